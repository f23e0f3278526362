"""Which card events may change what search indexes (the rest skip the FTS write)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from kanban.domain import events as ev
from kanban.projections.boards import changes_text


@dataclass(frozen=True, slots=True)
class CardSplitInTwo(ev.Event):
    """An event this version of the projection does not know."""

    type_name: ClassVar[str] = "CardSplitInTwo"
    card_id: str


def edited(*fields: str) -> ev.CardEdited:
    return ev.CardEdited("c", tuple(ev.FieldChange(f, "new", "old") for f in fields))


@pytest.mark.parametrize(
    ("event", "changes"),
    [
        (ev.CardAdded("c", "col", 0, "New"), True),
        (edited("title"), True),
        (edited("description"), True),
        (edited("labels", "title"), True),
        (edited("labels"), False),
        (edited("assignees", "due_date"), False),
        (ev.CardMoved("c", "a", 0, "b", 1), False),
        (ev.CardArchived("c", "col", 0), False),
        (ev.CardRestored("c", "col", 0), False),
        (ev.CardRemoved("c", "col", 0, "Gone"), True),
        (CardSplitInTwo("c"), True),  # unknown: index again
    ],
)
def test_only_known_text_neutral_events_skip_the_index(event: ev.Event, changes: bool) -> None:
    assert changes_text(event) is changes
