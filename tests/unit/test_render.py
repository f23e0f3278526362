"""Board views assembled from a frame and kept card fragments are byte for byte the full view."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from kanban.domain.errors import KanbanError
from kanban.domain.model import Board, card_view
from kanban.projections import render

from .test_properties import Intent, intents, many, seeded, to_command


def fragment(board: Board, card_id: str) -> bytes:
    """A card's JSON as it appears in the board's view (what `put_cards` stores)."""
    return orjson.dumps(card_view(board.cards[card_id]))


@many
@given(intents, st.integers(min_value=1, max_value=4))
def test_a_view_from_fragments_equals_serializing_the_whole_board(
    steps: list[Intent], every: int
) -> None:
    j = seeded()
    #: What the projector writes per card: the version of its latest change, its fragment.
    rows = {c: (j.board.version, fragment(j.board, c)) for c in j.board.cards}
    readers = [render.Fragments(), render.Fragments()]  # one reads every step, one now and then
    for step, (op, x, y, who) in enumerate(steps):
        try:
            events = j.run(to_command(j, op, x, y), ("alice", "bob")[who])
        except KanbanError:
            continue
        for event in events:
            card_id = getattr(event, "card_id", "")
            if card_id in j.board.cards:
                rows[card_id] = (j.board.version, fragment(j.board, card_id))
            else:
                rows.pop(card_id, None)
        frame = orjson.loads(render.frame(j.board))
        for n, kept in enumerate(readers):
            if n == 1 and step % every:
                continue
            # A reader fetches only the rows changed since it last read.
            changed = [(c, body) for c, (v, body) in rows.items() if v > kept.version]
            kept.update(j.board.version, changed, frame)
            for include_archived in (False, True):
                expected = orjson.dumps(j.board.view(include_archived))
                assert render.assemble(frame, kept.cards, include_archived) == expected
