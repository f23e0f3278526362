"""A story told through the command bus, and what the read side answers about it.

Shared by the projection tests: `tell_story` changes two boards in every way
there is (by two actors, undo and redo included) and waits until projected;
`read_state` collects every answer the read store gives about the log.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import orjson

from kanban.bootstrap import Kanban
from kanban.domain import commands as cmd
from kanban.service.repository import load_board

from .conftest import Client

WORDS = ("projector", "proj", "fts", "throwaway", "idea", '"foo" AND (')


def settle(kanban: Kanban) -> None:
    assert kanban.projector.wait_for(kanban.store.head_seq(), timeout=10)


def read_state(kanban: Kanban) -> dict[str, Any]:
    """Everything the read side answers about every board and card in the log."""
    read, log = kanban.read, kanban.store.read_all()
    boards = sorted({e.stream_id for e in log if not e.stream_id.startswith("$")})
    cards = sorted({(e.stream_id, e.data["card_id"]) for e in log if "card_id" in e.data})
    users = read.users()
    return {
        "checkpoints": read.checkpoints(),
        "boards": read.boards(),
        "users": users,
        "tokens": {u.user_id: read.tokens(u.user_id) for u in users},
        "members": {b: read.members(b) for b in boards},
        "views": {(b, a): read.board_view(b, a) for b in boards for a in (False, True)},
        "cards": {key: read.card(*key) for key in cards},
        "history": {b: read.history(b, 10**6) for b in boards},
        "search": {w: sorted(read.search(w, 100), key=lambda h: h["id"]) for w in WORDS},
    }


def assert_views_equal_the_fold(kanban: Kanban) -> None:
    for stream in kanban.store.streams():
        if stream.stream_id.startswith("$"):
            continue  # the system stream: users and tokens, no board
        board = load_board(kanban.store, kanban.mapper, stream.stream_id)
        for include_archived in (False, True):
            found = kanban.read.board_view(board.id, include_archived)
            assert found is not None
            assert found[0] == board.version
            assert orjson.loads(found[1]) == board.view(include_archived)


def assert_search_index_equals_the_fold(kanban: Kanban) -> None:
    """Search indexes every card (archived too) with its current title and description."""
    with closing(sqlite3.connect(kanban.settings.read_path)) as conn:
        indexed = conn.execute(
            "SELECT c.board_id, c.card_id, f.title, f.description"
            " FROM cards_fts f JOIN cards c ON c.id = f.rowid"
        ).fetchall()
        (rows,) = conn.execute("SELECT count(*) FROM cards_fts").fetchone()
    expected = []
    for stream in kanban.store.streams():
        if not stream.stream_id.startswith("$"):
            board = load_board(kanban.store, kanban.mapper, stream.stream_id)
            expected += [(board.id, c.id, c.title, c.description) for c in board.cards.values()]
    assert sorted(indexed) == sorted(expected)
    assert rows == len(expected)  # no words left behind by a removed card


@dataclass
class Story:
    board_id: str
    archived_board_id: str


def tell_story(kanban: Kanban) -> Story:
    """Two boards changed by alice and bob in every way there is, undo and redo included."""
    alice, bob = Client(kanban, "alice"), Client(kanban, "bob")
    b = alice.board("Roadmap", columns=("To do", "Doing", "Done"))
    alice.run(
        cmd.AddCard(b, "c1", "col0", "Write the projector", "fold events into tables",
                    labels=("core",), assignees=("alice",), due_date="2026-12-31")
    )  # fmt: skip
    bob.run(cmd.AddCard(b, "c2", "col0", "Search", "full text with fts5"))
    bob.run(cmd.EditCard(b, "c2", labels=("ux", "api"), assignees=("bob", "alice")))
    alice.run(cmd.MoveCard(b, "c1", "col1", 0))
    alice.run(cmd.Undo(b))
    alice.run(cmd.Redo(b))
    bob.run(cmd.AddCard(b, "c3", "col2", "Throwaway spike"))
    bob.run(cmd.Undo(b))  # the card is removed again
    alice.run(cmd.AddCard(b, "c4", "col2", "Old idea"))
    alice.run(cmd.ArchiveCard(b, "c4"))
    bob.run(cmd.ArchiveCard(b, "c2"))
    bob.run(cmd.RestoreCard(b, "c2", position=0))
    alice.run(cmd.AddColumn(b, "col3", "Later"))
    alice.run(cmd.RemoveColumn(b, "col3"))
    alice.run(cmd.EditColumn(b, "col1", title="Doing now", wip_limit=1))
    alice.run(cmd.MoveColumn(b, "col2", 0))
    alice.run(cmd.EditCard(b, "c1", title="Write the projector well", due_date=None))
    alice.run(cmd.RenameBoard(b, "Roadmap 2026"))
    side = bob.board("Side", columns=("Only",))
    bob.run(cmd.AddCard(side, "s1", "col0", "Side card"))
    bob.run(cmd.ArchiveBoard(side))
    settle(kanban)
    return Story(b, side)
