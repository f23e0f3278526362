"""Which card events may change what search indexes (the rest skip the FTS write)."""

from __future__ import annotations

from typing import Any

import pytest

from kanban.projections.boards import changes_text


@pytest.mark.parametrize(
    ("type_name", "data", "changes"),
    [
        ("CardAdded", {"title": "New"}, True),
        ("CardEdited", {"changes": [{"field": "title", "value": "a", "previous": "b"}]}, True),
        ("CardEdited", {"changes": [{"field": "description", "value": "", "previous": "x"}]}, True),
        (
            "CardEdited",
            {"changes": [{"field": "labels", "value": [], "previous": ["x"]},
                         {"field": "title", "value": "a", "previous": "b"}]},
            True,
        ),
        ("CardEdited", {"changes": [{"field": "labels", "value": ["x"], "previous": []}]}, False),
        ("CardEdited", {"changes": [{"field": "due_date", "value": None, "previous": "x"}]}, False),
        ("CardMoved", {"to_column_id": "c"}, False),
        ("CardArchived", {}, False),
        ("CardRestored", {}, False),
        ("CardRemoved", {}, True),
        ("CardSplitInTwo", {}, True),  # an event this version does not know: index again
    ],
)  # fmt: skip
def test_only_known_text_neutral_events_skip_the_index(
    type_name: str, data: dict[str, Any], changes: bool
) -> None:
    assert changes_text(type_name, data) is changes
