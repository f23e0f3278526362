"""Undo and redo as compensating events.

Undo reverts one unit (the events of one command) by appending the inverse of
each of its events, newest first; history is never rewritten. Redo is the undo
of an undo. Before anything is recorded the inverse is tried on a copy of the
board: a collision with a later change by someone else refuses the whole unit
with an `UndoConflict` that names that change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kanban.domain import events as ev
from kanban.domain.errors import NothingToRedo, NothingToUndo, UndoConflict
from kanban.domain.model import Board, Card, ChangeRef, Column, UnitRef, aspects


def undo_target(board: Board, actor: str) -> UnitRef:
    """The actor's most recent unit on this board that is still in effect."""
    done = board.stacks_of(actor).done
    if not done:
        raise NothingToUndo("you have no change on this board left to undo")
    return done[-1]


def redo_target(board: Board, actor: str) -> UnitRef:
    """The actor's most recently undone unit, if they made no new change since."""
    undone = board.stacks_of(actor).undone
    if not undone:
        raise NothingToRedo("you have nothing to redo on this board")
    return undone[-1]


def compensate(
    board: Board, actor: str, unit: UnitRef, unit_events: Sequence[ev.Event], verb: str = "undo"
) -> list[ev.Event]:
    """The events that revert `unit_events` (the events of `unit`) on `board`."""
    for event in unit_events:
        for aspect in aspects(event):
            ref = board.last_change.get(aspect)
            if ref is not None and ref.version > unit.last_version and ref.actor != actor:
                what = f"{_describe(board, aspect)} was {_participle(ref.type)} since"
                raise _conflict(verb, what, ref)
    if board.archived and not all(
        isinstance(e, ev.BoardArchived | ev.BoardRestored) for e in unit_events
    ):
        raise _conflict(verb, "the board is archived", board.last_change.get("board:archived"))
    trial = board.clone()
    inverses: list[ev.Event] = []
    for event in reversed(unit_events):
        inverse = _Inverter(trial, verb, actor, unit).invert(event)
        trial.mutate(inverse)
        inverses.append(inverse)
    return inverses


def _conflict(verb: str, what: str, ref: ChangeRef | None) -> UndoConflict:
    if ref is None:
        return UndoConflict(f"cannot {verb}: {what}")
    return UndoConflict(
        f"cannot {verb}: {what} by {ref.actor} at version {ref.version} ({ref.type})",
        later={"version": ref.version, "actor": ref.actor, "type": ref.type},
    )


def _describe(board: Board, aspect: str) -> str:
    kind, _, rest = aspect.partition(":")
    entity_id, _, part = rest.partition(":")
    if kind == "board":
        return f"the board's {entity_id}"
    if kind == "column":
        column = board.column(entity_id)
        name = f"column {column.title!r}" if column else f"column {entity_id}"
        return f"{name}'s {part}" if part else name
    card = board.card(entity_id)
    name = f"card {card.title!r}" if card else f"card {entity_id}"
    return f"{name}'s {part}" if part else name


def _participle(event_type: str) -> str:
    """'CardMoved' -> 'moved': the verb of an event type's name."""
    words = re.findall(r"[A-Z][a-z]*", event_type)
    return words[-1].lower() if words else "changed"


def _clamp(position: int, size: int) -> int:
    # The original spot may no longer exist (others removed items since);
    # the nearest valid index is where a person would put it back.
    return max(0, min(position, size))


class _Inverter:
    """Builds the inverse of one event against the trial board, or refuses."""

    def __init__(self, board: Board, verb: str, actor: str, unit: UnitRef) -> None:
        self.board = board
        self.verb = verb
        self.actor = actor
        self.unit = unit

    def refuse(self, what: str, aspect: str | None = None) -> UndoConflict:
        ref = self.board.last_change.get(aspect) if aspect else None
        return _conflict(self.verb, what, ref)

    def invert(self, e: ev.Event) -> ev.Event:
        b = self.board
        match e:
            case ev.BoardRenamed():
                self.expect(b.title == e.title, "the board was renamed since", "board:title")
                return ev.BoardRenamed(e.previous_title, b.title)
            case ev.BoardArchived():
                self.expect(b.archived, "the board was restored since", "board:archived")
                return ev.BoardRestored()
            case ev.BoardRestored():
                self.expect(not b.archived, "the board was archived since", "board:archived")
                return ev.BoardArchived()
            case ev.ColumnAdded():
                column = self.column(e.column_id)
                if column.cards:
                    raise self.refuse(
                        f"column {column.title!r} now holds {len(column.cards)} card(s)",
                        f"column:{column.id}:cards",
                    )
                position = b.column_position(column.id)
                return ev.ColumnRemoved(column.id, column.title, position, column.wip_limit)
            case ev.ColumnRemoved():
                position = _clamp(e.position, len(b.column_order))
                return ev.ColumnAdded(e.column_id, e.title, position, e.wip_limit)
            case ev.ColumnRenamed():
                column = self.column(e.column_id)
                self.still(column.title == e.title, "the column was renamed since", column, "title")
                return ev.ColumnRenamed(column.id, e.previous_title, column.title)
            case ev.ColumnMoved():
                column = self.column(e.column_id)
                current = b.column_position(column.id)
                position = _clamp(e.previous_position, len(b.column_order) - 1)
                return ev.ColumnMoved(column.id, position, current)
            case ev.WipLimitChanged():
                column = self.column(e.column_id)
                self.still(
                    column.wip_limit == e.wip_limit,
                    "the WIP limit was changed since",
                    column,
                    "wip",
                )
                return ev.WipLimitChanged(column.id, e.previous_wip_limit, column.wip_limit)
            case ev.CardAdded():
                return self.invert_card_added(e)
            case ev.CardRemoved():
                column = self.column(e.column_id)
                self.room(column.id)
                position = _clamp(e.position, len(column.cards))
                return ev.CardAdded(
                    e.card_id,
                    column.id,
                    position,
                    e.title,
                    e.description,
                    e.labels,
                    e.assignees,
                    e.due_date,
                )
            case ev.CardEdited():
                card = self.live_card(e.card_id)
                for change in e.changes:
                    self.expect(
                        getattr(card, change.field) == change.value,
                        f"the card's {change.field} was changed since",
                        f"card:{card.id}:{change.field}",
                    )
                return ev.CardEdited(
                    card.id,
                    tuple(
                        ev.FieldChange(c.field, c.previous, c.value) for c in reversed(e.changes)
                    ),
                )
            case ev.CardMoved():
                card = self.live_card(e.card_id)
                self.expect(
                    card.column_id == e.to_column_id, "the card was moved since", f"card:{card.id}"
                )
                target = self.column(e.from_column_id)
                if target.id != card.column_id:
                    self.room(target.id)
                    size = len(target.cards)
                else:
                    size = len(target.cards) - 1
                position = _clamp(e.from_position, size)
                return ev.CardMoved(
                    card.id, card.column_id, b.card_position(card), target.id, position
                )
            case ev.CardArchived():
                card = self.card(e.card_id)
                self.expect(card.archived, "the card was restored since", f"card:{card.id}")
                column = self.column(e.column_id)
                self.room(column.id)
                previous = card.column_id if card.column_id != column.id else None
                return ev.CardRestored(
                    card.id, column.id, _clamp(e.position, len(column.cards)), previous
                )
            case ev.CardRestored():
                card = self.live_card(e.card_id)
                self.expect(
                    card.column_id == e.column_id, "the card was moved since", f"card:{card.id}"
                )
                return ev.CardArchived(
                    card.id, card.column_id, b.card_position(card), e.previous_column_id
                )
        raise self.refuse(f"{e.type_name} cannot be undone")

    def invert_card_added(self, e: ev.CardAdded) -> ev.Event:
        card = self.live_card(e.card_id)
        self.expect(card.column_id == e.column_id, "the card was moved since", f"card:{card.id}")
        for name in ("title", "description", "labels", "assignees", "due_date"):
            self.expect(
                getattr(card, name) == getattr(e, name),
                f"the card's {name} was changed since",
                f"card:{card.id}:{name}",
            )
        return ev.CardRemoved(
            card.id,
            card.column_id,
            self.board.card_position(card),
            card.title,
            card.description,
            card.labels,
            card.assignees,
            card.due_date,
        )

    # --- checks ---------------------------------------------------------------

    def expect(self, condition: bool, what: str, aspect: str) -> None:
        if not condition:
            raise self.refuse(what, aspect)

    def still(self, condition: bool, what: str, column: Column, aspect: str) -> None:
        """A column's `aspect` must be as the event being undone left it."""
        self.expect(condition, what, f"column:{column.id}:{aspect}")

    def column(self, column_id: str) -> Column:
        column = self.board.column(column_id)
        if column is None:
            raise self.refuse("the column was removed since", f"column:{column_id}")
        return column

    def card(self, card_id: str) -> Card:
        card = self.board.card(card_id)
        if card is None:
            raise self.refuse("the card was removed since", f"card:{card_id}")
        return card

    def live_card(self, card_id: str) -> Card:
        card = self.card(card_id)
        if card.archived:
            raise self.refuse("the card was archived since", f"card:{card_id}")
        return card

    def room(self, column_id: str) -> None:
        """Refuse to fill a column past its limit because of someone else's later change.

        With no such change the board is as the unit left it, so reverting it
        restores a state the board really had, even one over its limit.
        """
        column = self.board.columns[column_id]
        if not column.full:
            return
        for aspect in (f"column:{column_id}:cards", f"column:{column_id}:wip"):
            ref = self.board.last_change.get(aspect)
            if ref and ref.version > self.unit.last_version and ref.actor != self.actor:
                raise _conflict(
                    self.verb,
                    f"column {column.title!r} is at its WIP limit "
                    f"({len(column.cards)}/{column.wip_limit}) since a later change",
                    ref,
                )
