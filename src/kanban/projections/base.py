"""The read store interface and the projection protocol.

A projection is named, declares the event types it handles, and turns a batch
of stored events into read-store writes. The runner gives it the events after
its checkpoint and stores the new checkpoint in the same transaction as the
writes, so a crash never applies an event twice or skips one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from kanban.store.records import ProgressCallback, StoredEvent

if TYPE_CHECKING:
    from kanban.projections.bulk import Rebuild
    from kanban.projections.progress import Listener

#: A history row as stored: seq, board_id, version, type, data (JSON bytes), actor,
#: recorded_at, summary, unit_id, undo_of, redo_of, card_id.
HistoryTuple = tuple[
    int, str, int, str, bytes, str, str, str, str, str | None, str | None, str | None
]
#: A card to write: its view (`card_view`), the version of its latest change, and
#: whether its title or description may have changed (see `ReadTransaction.put_card`).
CardWrite = tuple[dict[str, Any], int, bool]


@dataclass(frozen=True, slots=True)
class ProjectorStatus:
    """One projection's progress: its checkpoint against the log's head."""

    name: str
    checkpoint: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.checkpoint, 0)


@dataclass(frozen=True, slots=True)
class BoardRow:
    id: str
    title: str
    version: int
    seq: int
    archived: bool
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class HistoryRow:
    seq: int
    board_id: str
    version: int
    type: str
    data: dict[str, Any]
    actor: str
    recorded_at: str
    summary: str
    unit_id: str
    undo_of: str | None
    redo_of: str | None
    card_id: str | None


@dataclass(frozen=True, slots=True)
class UserRow:
    user_id: str
    name: str
    display_name: str
    admin: bool
    password_hash: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class TokenRow:
    token_id: str
    user_id: str
    token_hash: str
    kind: str
    label: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None


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


class AccessReads(ABC):
    """What authentication and authorization ask the read side."""

    @abstractmethod
    def access_generation(self) -> Hashable:
        """A value that changes whenever users, tokens or members may have changed.

        An answer cached under one value is still true while the value holds;
        the value moves on with any committed change to those (by this process
        or another: a command-line revocation included), and with nothing else.
        """

    @abstractmethod
    def user(self, user_id: str) -> UserRow | None: ...

    @abstractmethod
    def user_by_name(self, name: str) -> UserRow | None:
        """The user with this sign-in name, compared case-insensitively."""

    @abstractmethod
    def users(self) -> list[UserRow]: ...

    @abstractmethod
    def token(self, token_id: str) -> TokenRow | None: ...

    @abstractmethod
    def tokens(self, user_id: str) -> list[TokenRow]: ...

    @abstractmethod
    def role(self, board_id: str, user_id: str) -> str | None:
        """The user's role on the board (None: not a member)."""

    @abstractmethod
    def members(self, board_id: str) -> list[dict[str, Any]]:
        """The board's members with their names and roles, owners first."""


class ReadTransaction(AccessWrites):
    """Writes of one projector batch; all of them and the checkpoints, or none."""

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

    @abstractmethod
    def board_version(self, board_id: str) -> int: ...

    # --- the out-of-order applier's bookkeeping (distributed mode) -----------

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
    def mark_applied(self, seqs: Sequence[int]) -> int:
        """Record applied seqs; return the contiguous watermark (all seqs up to it applied)."""

    @abstractmethod
    def put_board(self, row: BoardRow, frame: bytes) -> None:
        """Write a board's row and its frame (`render.frame`): the view without card contents."""

    def put_card(
        self, board_id: str, card: dict[str, Any], version: int, text_changed: bool = True
    ) -> None:
        """Write a card as its board's view shows it, with the version of its latest change.

        `text_changed=False` promises that the card is already stored with this title
        and description (a move, an archive), so that search need not index it again.
        """
        self.put_cards(board_id, [(card, version, text_changed)])

    @abstractmethod
    def put_cards(self, board_id: str, cards: Sequence[CardWrite]) -> None:
        """`put_card` for each of a board's `cards`, as (card, version, text_changed)."""

    @abstractmethod
    def delete_card(self, board_id: str, card_id: str) -> None: ...

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


class ReadStore(AccessReads):
    """The query side's storage: disposable, rebuilt from the log at will."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[ReadTransaction]: ...

    @abstractmethod
    def checkpoints(self) -> dict[str, int]: ...

    @abstractmethod
    def boards(self, member: str | None = None, everyone: bool = False) -> list[dict[str, Any]]:
        """The boards `member` belongs to (every board if None or `everyone`), with its role."""

    @abstractmethod
    def board_version(self, board_id: str) -> int | None: ...

    @abstractmethod
    def board_view(self, board_id: str, include_archived: bool) -> tuple[int, bytes] | None:
        """The board's view as JSON bytes, and its version (the frame and cards assembled)."""

    @abstractmethod
    def card(self, board_id: str, card_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def history(
        self,
        board_id: str,
        limit: int,
        before_seq: int | None = None,
        card_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Newest first, seq < before_seq."""

    @abstractmethod
    def history_after(self, board_id: str, after_seq: int, limit: int) -> list[dict[str, Any]]:
        """Oldest first, seq > after_seq."""

    @abstractmethod
    def search(self, query: str, limit: int, member: str | None = None) -> list[dict[str, Any]]:
        """Cards matching every word, best first (only `member`'s boards when given)."""

    @abstractmethod
    def close(self) -> None: ...


class Projection(ABC):
    """A named read model fed by the events it declares."""

    name: ClassVar[str]
    handles: ClassVar[frozenset[str]]

    @abstractmethod
    def apply(self, tx: ReadTransaction, events: Sequence[StoredEvent]) -> None:
        """Project events (all of a type it handles, in seq order, none seen before)."""

    def reset(self) -> None:  # noqa: B027 - an optional hook; most projections keep no memory
        """Forget in-memory state (called before a rebuild and after a failed batch)."""

    def rebuilder(self) -> Rebuild:
        """This projection's part in a rebuild from seq 0 (by default `apply`, a page at a time)."""
        from kanban.projections.bulk import Batched

        return Batched(self)


class ReadSide(Protocol):
    """What runs the projections for a process: the embedded projector or a stream worker."""

    def start(self) -> object: ...

    def stop(self) -> None: ...

    def wake(self, seq: int = 0) -> None: ...

    def add_listener(self, listener: Listener) -> None: ...

    @property
    def watermark(self) -> int: ...

    def wait_for(self, seq: int, timeout: float) -> bool: ...

    def status(self) -> list[ProjectorStatus]: ...

    def catch_up(self, progress: ProgressCallback | None = None) -> int: ...
