"""A pure, in-memory journal for domain tests: decide, record, apply, undo."""

from __future__ import annotations

import itertools

from kanban.domain import commands as cmd
from kanban.domain import decide
from kanban.domain import events as ev
from kanban.domain.decide import DECISIONS
from kanban.domain.model import Board, RecordedEvent
from kanban.domain.undo import compensate, redo_target, undo_target


class Journal:
    """One board's stream, kept as a list of recorded events."""

    def __init__(self, title: str = "Board", actor: str = "alice") -> None:
        self.records: list[RecordedEvent] = []
        self._ids = itertools.count(1)
        self.board: Board = Board("b1", "")
        self.run(cmd.CreateBoard("b1", title), actor)

    def run(self, command: cmd.Command, actor: str = "alice") -> list[ev.Event]:
        undo_of = redo_of = None
        if isinstance(command, cmd.CreateBoard):
            events = decide.create_board(command, actor)
        elif isinstance(command, cmd.Undo | cmd.Redo):
            is_undo = isinstance(command, cmd.Undo)
            unit = (undo_target if is_undo else redo_target)(self.board, actor)
            unit_events = [
                r.event
                for r in self.records
                if unit.first_version <= r.version <= unit.last_version
            ]
            verb = "undo" if is_undo else "redo"
            events = compensate(self.board, actor, unit, unit_events, verb)
            undo_of, redo_of = (unit.unit_id, None) if is_undo else (None, unit.unit_id)
        elif isinstance(command, cmd.SetMember):
            events = decide.set_member(self.board, command, command.user_id)
        elif isinstance(command, cmd.RemoveMember):
            events = decide.remove_member(self.board, command, command.user_id)
        else:
            events = DECISIONS[type(command)](self.board, command)
        command_id = f"cmd-{next(self._ids)}"
        for event in events:
            record = RecordedEvent(
                event,
                self.board.version + 1,
                len(self.records) + 1,
                actor,
                command_id,
                None,
                undo_of,
                redo_of,
            )
            self.records.append(record)
            if isinstance(event, ev.BoardCreated):
                self.board = Board.fold([record])
            else:
                self.board.apply(record)
        return events

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def refold(self) -> Board:
        return Board.fold(self.records)
