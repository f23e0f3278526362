"""Commands: requests to change a board, named in the imperative.

A command may be refused; an event is a fact. Who asks, and under which
command id, travels beside the command in a `CommandContext`.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from typing import ClassVar, Final

#: The stream of users and tokens, beside the boards' streams. Board ids never
#: start with "$", so it cannot collide with one.
SYSTEM_STREAM: Final = "$system"


def is_board_stream(stream_id: str) -> bool:
    """Whether a stream holds a board (system streams start with "$")."""
    return not stream_id.startswith("$")


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


#: Marks an optional field the command leaves as it is (None would clear it).
UNSET: Final = _Unset.UNSET


@dataclass(frozen=True, slots=True)
class CommandContext:
    """Who issues a command, and the ids that make it traceable and idempotent."""

    actor: str
    command_id: str
    correlation_id: str | None = None
    causation_id: str | None = None
    #: If set, the board must be at exactly this version (optimistic concurrency).
    expected_version: int | None = None
    #: An admin may act on every board and every user.
    admin: bool = False
    #: The id was made for this command just now (`new`): no earlier command can
    #: share it, so the writer does not look for one to replay.
    fresh: bool = False

    @classmethod
    def new(
        cls, actor: str, *, admin: bool = False, expected_version: int | None = None
    ) -> CommandContext:
        """A context under a new random command id (a request without an Idempotency-Key)."""
        return cls(
            actor, str(uuid.uuid4()), expected_version=expected_version, admin=admin, fresh=True
        )


@dataclass(frozen=True, slots=True)
class Command:
    """Base of every command; `board_id` names the stream it changes."""

    board_id: str


@dataclass(frozen=True, slots=True)
class CreateBoard(Command):
    title: str


@dataclass(frozen=True, slots=True)
class RenameBoard(Command):
    title: str


@dataclass(frozen=True, slots=True)
class ArchiveBoard(Command):
    pass


@dataclass(frozen=True, slots=True)
class RestoreBoard(Command):
    pass


@dataclass(frozen=True, slots=True)
class AddColumn(Command):
    column_id: str
    title: str
    position: int | None = None
    wip_limit: int | None = None


@dataclass(frozen=True, slots=True)
class EditColumn(Command):
    """Rename a column and/or set (a number) or clear (None) its WIP limit."""

    column_id: str
    title: str | _Unset = UNSET
    wip_limit: int | _Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class MoveColumn(Command):
    column_id: str
    position: int


@dataclass(frozen=True, slots=True)
class RemoveColumn(Command):
    column_id: str


@dataclass(frozen=True, slots=True)
class AddCard(Command):
    card_id: str
    column_id: str
    title: str
    description: str = ""
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    due_date: str | None = None
    position: int | None = None


@dataclass(frozen=True, slots=True)
class EditCard(Command):
    """Change any of a card's fields; UNSET leaves a field alone, None clears due_date."""

    card_id: str
    title: str | _Unset = UNSET
    description: str | _Unset = UNSET
    labels: tuple[str, ...] | _Unset = UNSET
    assignees: tuple[str, ...] | _Unset = UNSET
    due_date: str | _Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class MoveCard(Command):
    card_id: str
    column_id: str
    position: int | None = None


@dataclass(frozen=True, slots=True)
class ArchiveCard(Command):
    card_id: str


@dataclass(frozen=True, slots=True)
class RestoreCard(Command):
    """Bring an archived card back, by default where it was archived from."""

    card_id: str
    column_id: str | None = None
    position: int | None = None


@dataclass(frozen=True, slots=True)
class Undo(Command):
    pass


@dataclass(frozen=True, slots=True)
class Redo(Command):
    pass


# --- membership ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetMember(Command):
    """Make a user a member with this role, or change the role they have."""

    user_id: str
    role: str


@dataclass(frozen=True, slots=True)
class RemoveMember(Command):
    user_id: str


# --- users and tokens (the system stream) ----------------------------------------
#
# Secrets never travel in a command: the caller hashes a password or a token
# before asking, so neither the log nor a log line can ever hold one.


@dataclass(frozen=True, slots=True)
class AddUser(Command):
    """Add a user, with a first API token when `token_id` and `token_hash` are given."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("password_hash", "token_id", "token_hash")
    user_id: str
    name: str
    display_name: str = ""
    admin: bool = False
    password_hash: str | None = None
    token_id: str | None = None
    token_hash: str | None = None
    board_id: str = field(default=SYSTEM_STREAM, kw_only=True)


@dataclass(frozen=True, slots=True)
class UpdateUser(Command):
    """Change a user's display name, admin flag or password (None removes it)."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("password_hash",)
    user_id: str
    display_name: str | _Unset = UNSET
    admin: bool | _Unset = UNSET
    password_hash: str | _Unset | None = UNSET
    board_id: str = field(default=SYSTEM_STREAM, kw_only=True)


@dataclass(frozen=True, slots=True)
class IssueToken(Command):
    """Record a new API token or web session for a user (its secret's hash only)."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("token_id", "token_hash", "expires_at")
    user_id: str
    token_id: str
    token_hash: str
    kind: str = "api"
    label: str = ""
    expires_at: str | None = None
    board_id: str = field(default=SYSTEM_STREAM, kw_only=True)


@dataclass(frozen=True, slots=True)
class RevokeToken(Command):
    user_id: str
    token_id: str
    board_id: str = field(default=SYSTEM_STREAM, kw_only=True)


#: Commands on the system stream, answered by the directory of users.
SYSTEM_COMMANDS: Final = (AddUser, UpdateUser, IssueToken, RevokeToken)


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a handled command reports back: the board's version and last seq."""

    board_id: str
    version: int
    seq: int
    created: dict[str, str] = field(default_factory=dict)
    #: How many events the command appended (0 for a no-op or a retry).
    appended: int = 0
    #: True when this is the stored answer to a retried command id.
    replayed: bool = False
    #: For undo/redo: the command id of the unit that was undone or redone.
    unit_id: str | None = None
    #: Seq of the command's first event (None when it appended nothing).
    first_seq: int | None = None
