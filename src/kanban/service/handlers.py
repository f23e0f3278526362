"""Command handlers: load the board, let the domain decide, record the events.

Each runs inside its own savepoint of the writer's batch, so each command is
one transaction: all of its events or none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kanban.domain import commands as cmd
from kanban.domain import decide
from kanban.domain.commands import CommandResult
from kanban.domain.decide import DECISIONS
from kanban.domain.undo import compensate, redo_target, undo_target
from kanban.service.unit_of_work import UnitOfWork

Handler = Callable[[Any, UnitOfWork], CommandResult]


def create_board(c: cmd.CreateBoard, uow: UnitOfWork) -> CommandResult:
    return uow.start(c.board_id, decide.create_board(c))


def change_board(c: cmd.Command, uow: UnitOfWork) -> CommandResult:
    board = uow.board(c.board_id)
    return uow.record(board, DECISIONS[type(c)](board, c))


def undo(c: cmd.Undo, uow: UnitOfWork) -> CommandResult:
    board = uow.board(c.board_id)
    unit = undo_target(board, uow.actor)
    events = compensate(board, uow.actor, unit, uow.unit_events(board.id, unit), "undo")
    return uow.record(board, events, undo_of=unit.unit_id)


def redo(c: cmd.Redo, uow: UnitOfWork) -> CommandResult:
    board = uow.board(c.board_id)
    unit = redo_target(board, uow.actor)
    events = compensate(board, uow.actor, unit, uow.unit_events(board.id, unit), "redo")
    return uow.record(board, events, redo_of=unit.unit_id)


HANDLERS: dict[type[cmd.Command], Handler] = {
    cmd.CreateBoard: create_board,
    cmd.Undo: undo,
    cmd.Redo: redo,
    **dict.fromkeys(DECISIONS, change_board),
}
