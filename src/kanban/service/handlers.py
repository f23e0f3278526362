"""Command handlers: load the board, let the domain decide, record the events.

Each runs inside its own savepoint of the writer's batch, so each command is
one transaction: all of its events or none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kanban.domain import commands as cmd
from kanban.domain import decide
from kanban.domain.access import Role, needed_role
from kanban.domain.commands import CommandResult
from kanban.domain.decide import DECISIONS
from kanban.domain.errors import UserNotFound
from kanban.domain.undo import compensate, redo_target, undo_target
from kanban.domain.users import DIRECTORY_DECISIONS
from kanban.service.unit_of_work import UnitOfWork

Handler = Callable[[Any, UnitOfWork], CommandResult]


def create_board(c: cmd.CreateBoard, uow: UnitOfWork) -> CommandResult:
    return uow.start(c.board_id, decide.create_board(c, uow.actor))


def change_board(c: cmd.BoardCommand, uow: UnitOfWork) -> CommandResult:
    board = uow.board(c.board_id, needed_role(c))
    return uow.record(board, DECISIONS[type(c)](board, c))


def set_member(c: cmd.SetMember, uow: UnitOfWork) -> CommandResult:
    board = uow.board(c.board_id, Role.OWNER)
    user = uow.directory().user(c.user_id)
    if user is None:
        raise UserNotFound(f"user {c.user_id} does not exist")
    return uow.record(board, decide.set_member(board, c, user.name))


def remove_member(c: cmd.RemoveMember, uow: UnitOfWork) -> CommandResult:
    # Any member may leave; only an owner may remove someone else.
    board = uow.board(c.board_id, Role.VIEWER if c.user_id == uow.actor else Role.OWNER)
    name = uow.directory().name_of(c.user_id)
    return uow.record(board, decide.remove_member(board, c, name))


def change_directory(c: cmd.SystemCommand, uow: UnitOfWork) -> CommandResult:
    directory = uow.directory()
    decision = DIRECTORY_DECISIONS[type(c)]
    return uow.record_system(directory, decision(directory, c, uow.actor, uow.ctx.admin))


def undo(c: cmd.Undo, uow: UnitOfWork) -> CommandResult:
    board = uow.board(c.board_id, Role.EDITOR)
    unit = undo_target(board, uow.actor)
    events = compensate(board, uow.actor, unit, uow.unit_events(board.id, unit), "undo")
    return uow.record(board, events, undo_of=unit.unit_id)


def redo(c: cmd.Redo, uow: UnitOfWork) -> CommandResult:
    board = uow.board(c.board_id, Role.EDITOR)
    unit = redo_target(board, uow.actor)
    events = compensate(board, uow.actor, unit, uow.unit_events(board.id, unit), "redo")
    return uow.record(board, events, redo_of=unit.unit_id)


HANDLERS: dict[type[cmd.Command], Handler] = {
    cmd.CreateBoard: create_board,
    cmd.Undo: undo,
    cmd.Redo: redo,
    cmd.SetMember: set_member,
    cmd.RemoveMember: remove_member,
    **dict.fromkeys(DECISIONS, change_board),
    **dict.fromkeys(DIRECTORY_DECISIONS, change_directory),
}
