"""One-line, human-readable summaries of events, for history views."""

from __future__ import annotations

from typing import Protocol

from kanban.domain import events as ev


class Titled(Protocol):
    @property
    def title(self) -> str: ...


class Names(Protocol):
    """Anything that can name a board's columns and cards (a Board does)."""

    def column(self, column_id: str) -> Titled | None: ...

    def card(self, card_id: str) -> Titled | None: ...


def summarize(event: ev.Event, before: Names | None) -> str:
    """Describe `event`, naming things as they were on the board just before it."""

    def column(column_id: str) -> str:
        c = before.column(column_id) if before else None
        return repr(c.title) if c else "a removed column"

    def card(card_id: str) -> str:
        c = before.card(card_id) if before else None
        return repr(c.title) if c else "a card"

    match event:
        case ev.BoardCreated():
            return f"created board {event.title!r}"
        case ev.BoardRenamed():
            return f"renamed the board from {event.previous_title!r} to {event.title!r}"
        case ev.BoardArchived():
            return "archived the board"
        case ev.BoardRestored():
            return "restored the board"
        case ev.ColumnAdded():
            return f"added column {event.title!r}"
        case ev.ColumnRenamed():
            return f"renamed column {event.previous_title!r} to {event.title!r}"
        case ev.ColumnMoved():
            return f"moved column {column(event.column_id)} to position {event.position}"
        case ev.ColumnRemoved():
            return f"removed column {event.title!r}"
        case ev.WipLimitChanged():
            limit = "cleared" if event.wip_limit is None else f"set to {event.wip_limit}"
            return f"WIP limit of column {column(event.column_id)} {limit}"
        case ev.CardAdded():
            return f"added card {event.title!r} to {column(event.column_id)}"
        case ev.CardEdited():
            fields = ", ".join(c.field for c in event.changes)
            return f"edited {fields} of card {card(event.card_id)}"
        case ev.CardMoved():
            if event.from_column_id == event.to_column_id:
                return (
                    f"moved card {card(event.card_id)} to position {event.to_position} "
                    f"in {column(event.to_column_id)}"
                )
            return (
                f"moved card {card(event.card_id)} from {column(event.from_column_id)} "
                f"to {column(event.to_column_id)}"
            )
        case ev.CardArchived():
            return f"archived card {card(event.card_id)}"
        case ev.CardRestored():
            return f"restored card {card(event.card_id)} to {column(event.column_id)}"
        case ev.CardRemoved():
            return f"removed card {event.title!r}"
        case ev.MemberAdded():
            return f"made {event.name} {_a(event.role)}"
        case ev.MemberRoleChanged():
            return f"changed {event.name} from {event.previous_role} to {event.role}"
        case ev.MemberRemoved():
            return f"removed {event.name} ({event.role}) from the board"
    return event.type_name


def _a(role: str) -> str:
    return f"an {role}" if role[:1] in "aeiou" else f"a {role}"
