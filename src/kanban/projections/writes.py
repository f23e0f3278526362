"""What the projections write, one interface per projection, and the checkpoints.

Each projection is typed on its own writes. A projector batch is one
`ReadTransaction`, which is all of them: every write and the checkpoints
commit together, or none does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from kanban.projections.rows import BoardRow, CardWrite, HistoryRow, HistoryTuple, TokenRow, UserRow


class Checkpoints(ABC):
    """Each projection's checkpoint: the seq of the last event it has applied."""

    @abstractmethod
    def checkpoint(self, name: str) -> int: ...

    @abstractmethod
    def set_checkpoint(self, name: str, seq: int) -> None: ...

    @abstractmethod
    def checkpoints(self) -> dict[str, int]:
        """Every projection's checkpoint (one read instead of one per projection)."""

    @abstractmethod
    def set_checkpoints(self, checkpoints: dict[str, int]) -> None:
        """Set several checkpoints at once."""

    @abstractmethod
    def clear(self, name: str) -> None:
        """Forget everything projection `name` wrote, and its checkpoint."""


class BoardWrites(ABC):
    """The boards projection's writes: each board's row and frame, and its cards."""

    @abstractmethod
    def board_version(self, board_id: str) -> int:
        """The version the board's row was written at (0: no row)."""

    @abstractmethod
    def put_board(self, row: BoardRow, frame: bytes) -> None:
        """Write a board's row and its frame (`render.frame`): the view without card contents."""

    @abstractmethod
    def put_cards(self, board_id: str, cards: Sequence[CardWrite]) -> None:
        """Write each of a board's `cards` as (card, version, text_changed): the card as
        the board's view shows it, and the version of its latest change.

        `text_changed=False` promises that the card is already stored with this title
        and description (a move, an archive), so that search need not index it again.
        """

    @abstractmethod
    def delete_card(self, board_id: str, card_id: str) -> None: ...


class HistoryWrites(ABC):
    """The history projection's writes: one row per event, undone flags, the titles."""

    @abstractmethod
    def add_history(self, rows: Sequence[HistoryRow]) -> None: ...

    @abstractmethod
    def add_history_rows(self, rows: Sequence[HistoryTuple]) -> None:
        """`add_history` for rows already in their stored shape (a rebuild's millions)."""

    @abstractmethod
    def defer_indexes(self) -> None:
        """Drop the indexes that a rebuild's appends would otherwise grow row by row."""

    @abstractmethod
    def build_indexes(self) -> None:
        """Build every index `defer_indexes` dropped (nothing when they exist)."""

    @abstractmethod
    def set_undone(self, board_id: str, unit_id: str, undone: bool) -> None: ...

    @abstractmethod
    def names(self, board_id: str) -> dict[str, str]:
        """Titles of a board's columns and cards as the history projection last saw them."""

    @abstractmethod
    def name(self, board_id: str, key: str) -> str | None:
        """One title of `names` ("card:<id>" or "column:<id>"), or None."""

    @abstractmethod
    def put_names(self, board_id: str, names: dict[str, str]) -> None:
        """Set these titles of the board; the others stay as they are."""


class AccessWrites(ABC):
    """The access projection's writes: users, tokens and board members."""

    @abstractmethod
    def put_user(self, row: UserRow) -> None: ...

    @abstractmethod
    def update_user(self, user_id: str, display_name: str | None, admin: bool | None) -> None: ...

    @abstractmethod
    def set_password(self, user_id: str, password_hash: str | None) -> None: ...

    @abstractmethod
    def put_token(self, row: TokenRow) -> None: ...

    @abstractmethod
    def revoke_token(self, token_id: str, revoked_at: str) -> None: ...

    @abstractmethod
    def put_member(self, board_id: str, user_id: str, role: str) -> None: ...

    @abstractmethod
    def delete_member(self, board_id: str, user_id: str) -> None: ...


class OrderingWrites(ABC):
    """The out-of-order applier's bookkeeping (distributed mode): what it applied, where.

    Its watermark is the read side's watermark: the seq up to which every
    event is applied, whichever worker applied it.
    """

    @abstractmethod
    def clear_all(self) -> None:
        """Forget every read model and all bookkeeping (a new log epoch)."""

    @abstractmethod
    def meta(self, key: str) -> str | None: ...

    @abstractmethod
    def set_meta(self, key: str, value: str) -> None: ...

    @abstractmethod
    def stream_version(self, stream_id: str) -> int:
        """The newest version of the stream applied to the read models (0: none)."""

    @abstractmethod
    def set_stream_versions(self, versions: dict[str, int]) -> None: ...

    @abstractmethod
    def watermark(self) -> int:
        """The seq up to which every event is applied (0: none)."""

    @abstractmethod
    def mark_applied(self, seqs: Sequence[int]) -> int:
        """Record applied seqs; return the watermark they leave."""


class ReadTransaction(Checkpoints, BoardWrites, HistoryWrites, AccessWrites, OrderingWrites):
    """Writes of one projector batch: every projection's and the checkpoints, or none."""
