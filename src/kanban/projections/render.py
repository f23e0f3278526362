"""Board views as JSON bytes: a small frame per board, one fragment per card.

A board's view holds every card, so writing it per change costs O(cards):
a board of 5,000 cards is 1.2 MB of JSON, twice (with and without archived
cards), and even a board of 40 cards wrote about 80 KB per command. The
projector writes instead the board's frame (its fields, its columns and
their card ids in order) and the fragment of each card that changed; a
reader assembles the view from the frame and the fragments it keeps, and
fetches only the fragments that changed since (`Fragments`). The bytes equal
`orjson.dumps(board.view(include_archived))`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from kanban.domain.model import Board


def exact(data: bytes) -> bytes:
    """A copy of exactly its length, for bytes that are kept.

    orjson hands back buffers with room to spare (4 KiB for a 300-byte card),
    and they keep it: 50,000 kept card fragments held 213 MiB instead of 15.
    """
    return bytes(memoryview(data))


def frame(board: Board) -> bytes:
    """The board without its cards' contents: what a view is assembled around."""
    archived: dict[str, list[str]] = {}
    for card in board.cards.values():
        if card.archived:
            archived.setdefault(card.column_id, []).append(card.id)
    columns = []
    for column_id in board.column_order:
        column = board.columns[column_id]
        columns.append(
            {
                "id": column.id,
                "title": column.title,
                "wip_limit": column.wip_limit,
                "over_limit": column.over_limit,
                "cards": column.cards,
                "archived": archived.get(column_id, []),
            }
        )
    return orjson.dumps(
        {
            "id": board.id,
            "title": board.title,
            "version": board.version,
            "archived": board.archived,
            "columns": columns,
        }
    )


def card_ids(board_frame: dict[str, Any]) -> Iterable[str]:
    for column in board_frame["columns"]:
        yield from column["cards"]
        yield from column["archived"]


def assemble(
    board_frame: dict[str, Any], fragments: Mapping[str, bytes], include_archived: bool
) -> bytes:
    """The view's bytes, from a decoded frame and every card's fragment."""
    columns = []
    for column in board_frame["columns"]:
        ids = column["cards"] + column["archived"] if include_archived else column["cards"]
        head = orjson.dumps(
            {
                "id": column["id"],
                "title": column["title"],
                "wip_limit": column["wip_limit"],
                "over_limit": column["over_limit"],
            }
        )
        cards = b",".join([fragments[card_id] for card_id in ids])
        columns.append(head[:-1] + b',"cards":[' + cards + b"]}")
    head = orjson.dumps(
        {
            "id": board_frame["id"],
            "title": board_frame["title"],
            "version": board_frame["version"],
            "archived": board_frame["archived"],
        }
    )
    return head[:-1] + b',"columns":[' + b",".join(columns) + b"]}"


@dataclass
class Fragments:
    """One board's card fragments as a reader last fetched them, up to `version`."""

    version: int = 0
    cards: dict[str, bytes] = field(default_factory=dict)

    def update(self, version: int, changed: Iterable[tuple[str, bytes]], board_frame: Any) -> None:
        """Take the fragments changed after `self.version`, up to the frame's `version`."""
        for card_id, body in changed:
            self.cards[card_id] = exact(body)
        self.version = version
        listed = sum(len(c["cards"]) + len(c["archived"]) for c in board_frame["columns"])
        if len(self.cards) > 64 and len(self.cards) > 2 * listed:
            # Cards gone from the board (an add undone) are not fetched again: drop them.
            kept = set(card_ids(board_frame))
            self.cards = {k: v for k, v in self.cards.items() if k in kept}
