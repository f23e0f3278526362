"""The read side's records: rows the projections write and the queries read back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: A history row as stored: seq, board_id, version, type, data (JSON bytes), actor,
#: recorded_at, summary, unit_id, undo_of, redo_of, card_id.
HistoryTuple = tuple[
    int, str, int, str, bytes, str, str, str, str, str | None, str | None, str | None
]
#: A card to write: its view (`card_view`), the version of its latest change, and
#: whether its title or description may have changed (see `BoardWrites.put_cards`).
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
