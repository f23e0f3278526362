"""Who may do what on a board: roles, and the role each command needs.

A board's members and their roles are part of the board (its stream records
every grant), so the writer checks a command against the same state it
decides on: a member removed a moment ago cannot slip one more change in.
"""

from __future__ import annotations

import enum

from kanban.domain import commands as cmd
from kanban.domain.errors import BoardNotFound, Forbidden, ValidationFailed


class Role(enum.StrEnum):
    """A member's role; each includes everything the ones before it may do."""

    VIEWER = "viewer"
    EDITOR = "editor"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}

#: Commands that only an owner may give; every other board command needs an editor.
OWNER_COMMANDS: frozenset[type[cmd.Command]] = frozenset(
    {cmd.RenameBoard, cmd.ArchiveBoard, cmd.RestoreBoard, cmd.SetMember, cmd.RemoveMember}
)


def needed_role(command: cmd.Command) -> Role:
    return Role.OWNER if type(command) in OWNER_COMMANDS else Role.EDITOR


def role(value: object) -> Role:
    """A role from its name, or a validation error naming the choices."""
    try:
        return Role(str(value))
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ValidationFailed(f"role must be one of {choices}, not {value!r}") from None


def authorize(
    board_id: str, members: dict[str, Role], actor: str, admin: bool, needed: Role
) -> None:
    """Raise unless `actor` may act with `needed` on the board.

    A non-member learns nothing, not even that the board exists (the same
    error as for a board that does not); a member who lacks the role is told so.
    """
    if admin:
        return
    held = members.get(actor)
    if held is None:
        raise BoardNotFound(f"board {board_id} does not exist")
    if not held.allows(needed):
        raise Forbidden(f"your role on this board is {held}; this needs {needed}")
