"""What the queries ask the read models, and the read store that holds them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable
from contextlib import AbstractContextManager
from typing import Any

from kanban.projections.rows import TokenRow, UserRow
from kanban.projections.writes import ReadTransaction


class BoardReads(ABC):
    """The board list, board views, cards and search."""

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
    def search(self, query: str, limit: int, member: str | None = None) -> list[dict[str, Any]]:
        """Cards matching every word, best first (only `member`'s boards when given)."""


class HistoryReads(ABC):
    """A board's history, newest or oldest first."""

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


class ReadStore(BoardReads, HistoryReads, AccessReads):
    """The query side's storage: disposable, rebuilt from the log at will."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[ReadTransaction]: ...

    @abstractmethod
    def checkpoints(self) -> dict[str, int]: ...

    @abstractmethod
    def close(self) -> None: ...
