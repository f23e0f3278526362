"""A board's history: every change with who, when, what, and whether it is undone."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from kanban.domain.model import Board
from kanban.domain.summary import summarize
from kanban.service.mapper import EventMapper
from kanban.store.ports import EventFeed


@dataclass(frozen=True, slots=True)
class HistoryItem:
    seq: int
    version: int
    type: str
    data: dict[str, Any]
    actor: str
    recorded_at: datetime | None
    summary: str
    unit_id: str
    undo_of: str | None
    redo_of: str | None
    undone: bool


def board_history(store: EventFeed, mapper: EventMapper, board_id: str) -> list[HistoryItem]:
    """Oldest first. A unit's events are `undone` while its latest undo stands."""
    items: list[HistoryItem] = []
    undone: dict[str, bool] = {}
    board: Board | None = None
    for stored in store.read_stream(board_id):
        record = mapper.decode(stored)
        summary = summarize(record.event, board)
        board = Board.fold([record], board)
        if record.undo_of:
            undone[record.undo_of] = True
        elif record.redo_of:
            undone[record.redo_of] = False
        items.append(
            HistoryItem(
                stored.seq,
                stored.version,
                stored.type,
                stored.data,
                record.actor,
                record.recorded_at,
                summary,
                record.command_id,
                record.undo_of,
                record.redo_of,
                False,
            )
        )
    # Undo and redo events are facts of their own and are never "undone".
    return [
        item
        if item.undo_of or item.redo_of
        else replace(item, undone=undone.get(item.unit_id, False))
        for item in items
    ]
