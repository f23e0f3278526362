"""Commands: requests to change a board or the users, named in the imperative.

A command may be refused; an event is a fact. Who asks, and under which
command id, travels beside the command in a `CommandContext`. A board command
names its board (`board_id`); a system command changes the system stream.
Both say which stream they change (`stream_id`).
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


_ID_NAMESPACE = uuid.UUID("6f1c1d2e-4b7a-4c39-9d43-6b1f0f3c2a10")


def derived_id(command_id: str, kind: str) -> str:
    """The id of what a command creates, derived from the command id.

    A retry under the same command id (an Idempotency-Key) thus creates the
    same ids, so its payload matches and the first result is returned.
    """
    return str(uuid.uuid5(_ID_NAMESPACE, f"{command_id}:{kind}"))


@dataclass(frozen=True, slots=True)
class Command:
    """Base of every command: a `BoardCommand` or a `SystemCommand`."""

    # Not an ABC: isinstance on an ABC costs several times as much, on every command.
    @property
    def stream_id(self) -> str:
        """The stream the command changes."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class BoardCommand(Command):
    """A command that changes one board: its stream is the board's."""

    board_id: str

    @property
    def stream_id(self) -> str:
        return self.board_id


@dataclass(frozen=True, slots=True)
class SystemCommand(Command):
    """A command on the system stream: users and tokens."""

    @property
    def stream_id(self) -> str:
        return SYSTEM_STREAM


@dataclass(frozen=True, slots=True)
class CreateBoard(BoardCommand):
    title: str


@dataclass(frozen=True, slots=True)
class RenameBoard(BoardCommand):
    title: str


@dataclass(frozen=True, slots=True)
class ArchiveBoard(BoardCommand):
    pass


@dataclass(frozen=True, slots=True)
class RestoreBoard(BoardCommand):
    pass


@dataclass(frozen=True, slots=True)
class AddColumn(BoardCommand):
    column_id: str
    title: str
    position: int | None = None
    wip_limit: int | None = None


@dataclass(frozen=True, slots=True)
class EditColumn(BoardCommand):
    """Rename a column and/or set (a number) or clear (None) its WIP limit."""

    column_id: str
    title: str | _Unset = UNSET
    wip_limit: int | _Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class MoveColumn(BoardCommand):
    column_id: str
    position: int


@dataclass(frozen=True, slots=True)
class RemoveColumn(BoardCommand):
    column_id: str


@dataclass(frozen=True, slots=True)
class AddCard(BoardCommand):
    card_id: str
    column_id: str
    title: str
    description: str = ""
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    due_date: str | None = None
    position: int | None = None


@dataclass(frozen=True, slots=True)
class EditCard(BoardCommand):
    """Change any of a card's fields; UNSET leaves a field alone, None clears due_date."""

    card_id: str
    title: str | _Unset = UNSET
    description: str | _Unset = UNSET
    labels: tuple[str, ...] | _Unset = UNSET
    assignees: tuple[str, ...] | _Unset = UNSET
    due_date: str | _Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class MoveCard(BoardCommand):
    card_id: str
    column_id: str
    position: int | None = None


@dataclass(frozen=True, slots=True)
class ArchiveCard(BoardCommand):
    card_id: str


@dataclass(frozen=True, slots=True)
class RestoreCard(BoardCommand):
    """Bring an archived card back, by default where it was archived from."""

    card_id: str
    column_id: str | None = None
    position: int | None = None


@dataclass(frozen=True, slots=True)
class Undo(BoardCommand):
    pass


@dataclass(frozen=True, slots=True)
class Redo(BoardCommand):
    pass


# --- membership ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetMember(BoardCommand):
    """Make a user a member with this role, or change the role they have."""

    user_id: str
    role: str


@dataclass(frozen=True, slots=True)
class RemoveMember(BoardCommand):
    user_id: str


# --- users and tokens (the system stream) ----------------------------------------
#
# Secrets never travel in a command: the caller hashes a password or a token
# before asking, so neither the log nor a log line can ever hold one.


@dataclass(frozen=True, slots=True)
class AddUser(SystemCommand):
    """Add a user, with a first API token when `token_id` and `token_hash` are given."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("password_hash", "token_id", "token_hash")
    user_id: str
    name: str
    display_name: str = ""
    admin: bool = False
    password_hash: str | None = None
    token_id: str | None = None
    token_hash: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateUser(SystemCommand):
    """Change a user's display name, admin flag or password (None removes it)."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("password_hash",)
    user_id: str
    display_name: str | _Unset = UNSET
    admin: bool | _Unset = UNSET
    password_hash: str | _Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class IssueToken(SystemCommand):
    """Record a new API token or web session for a user (its secret's hash only)."""

    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("token_id", "token_hash", "expires_at")
    user_id: str
    token_id: str
    token_hash: str
    kind: str = "api"
    label: str = ""
    expires_at: str | None = None


@dataclass(frozen=True, slots=True)
class RevokeToken(SystemCommand):
    user_id: str
    token_id: str


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a handled command reports back: its stream's version and last seq."""

    stream_id: str
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

    @property
    def board_id(self) -> str:
        """The board the command changed (AttributeError for the system stream's)."""
        if not is_board_stream(self.stream_id):
            raise AttributeError(f"a result in stream {self.stream_id!r} has no board_id")
        return self.stream_id
