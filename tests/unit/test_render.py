"""Board views assembled from kept card fragments are byte for byte the full serialization."""

from __future__ import annotations

import orjson
from hypothesis import given

from kanban.domain.errors import KanbanError
from kanban.projections.render import ViewRenderer

from .test_properties import Intent, intents, many, seeded, to_command


@many
@given(intents)
def test_a_view_from_fragments_equals_serializing_the_whole_board(steps: list[Intent]) -> None:
    j = seeded()
    renderer = ViewRenderer()
    for op, x, y, who in steps:
        try:
            events = j.run(to_command(j, op, x, y), ("alice", "bob")[who])
        except KanbanError:
            continue
        # Only the cards the new events name are re-serialized; the rest are kept.
        renderer.forget(getattr(e, "card_id", "") for e in events)
        for include_archived in (False, True):
            expected = orjson.dumps(j.board.view(include_archived))
            assert renderer.render(j.board, include_archived) == expected
