"""The one-pass rebuild (projections/bulk.py) writes what live projection wrote.

However the log is cut into pages, however few boards it may hold in
memory, and whether it is stopped half way or overtaken by another
projector: the read side then answers exactly as it did before.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from typing import Any

import pytest

from kanban.bootstrap import Kanban, projections
from kanban.domain import commands as cmd
from kanban.projections import bulk
from kanban.projections.access import AccessProjection
from kanban.projections.boards import BoardsProjection
from kanban.projections.history import HistoryProjection
from kanban.projections.projection import Projection
from kanban.projections.runner import Projector
from kanban.projections.sqlite import SQLiteReadStore
from kanban.projections.sqlite_history import DEFERRED_INDEXES

from .conftest import Client
from .projection_story import Story, read_state, settle, tell_story


@pytest.fixture
def projected(kanban: Kanban) -> dict[str, Any]:
    """What the read side answered about the story when live projection wrote it (then stopped).

    The story's end goes back and forth between its two boards, so that a
    rebuild holding one board at a time lets each go and folds it again.
    """
    story = tell_story(kanban)
    alice, bob = Client(kanban, "alice"), Client(kanban, "bob")
    alice.run(cmd.AddCard(story.board_id, "c5", "col0", "Late card"))
    bob.run(cmd.RestoreBoard(story.archived_board_id))
    alice.run(cmd.Undo(story.board_id))  # c5 is removed after its row was written
    settle(kanban)
    state = read_state(kanban)
    kanban.projector.stop()
    return state


def fresh(kanban: Kanban, rebuild_capacity: int = 2_000) -> list[Projection]:
    return [
        BoardsProjection(kanban.store, kanban.mapper, rebuild_capacity=rebuild_capacity),
        HistoryProjection(kanban.mapper),
        AccessProjection(kanban.mapper),
    ]


def indexes(kanban: Kanban) -> set[str]:
    with closing(sqlite3.connect(kanban.settings.read_path)) as conn:
        return {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}


@pytest.mark.parametrize(
    ("page", "capacity"),
    [
        (10_000, 2_000),  # the whole story in one page, every board in memory
        (4, 2_000),  # many pages
        (4, 1),  # one board in memory: the other is written and folded again from the log
        (1, 1),
    ],
)
def test_a_rebuild_answers_as_live_projection_did(
    kanban: Kanban, projected: dict[str, Any], page: int, capacity: int
) -> None:
    head = kanban.store.head_seq()
    reached = bulk.rebuild(
        kanban.store, kanban.read, fresh(kanban, capacity), kanban.mapper, page=page
    )
    assert reached == head
    assert read_state(kanban) == projected
    assert set(DEFERRED_INDEXES) <= indexes(kanban)


def test_a_rebuild_stopped_half_way_is_finished_by_the_projector(
    kanban: Kanban, projected: dict[str, Any]
) -> None:
    stop = threading.Event()
    chosen = fresh(kanban)
    reached = bulk.rebuild(
        kanban.store,
        kanban.read,
        chosen,
        kanban.mapper,
        lambda done, total: stop.set(),
        stop,
        page=5,
    )
    assert reached == 5
    # History and access are complete up to the page; the boards wrote nothing yet.
    assert kanban.read.checkpoints() == {"history": 5, "access": 5}
    assert kanban.read.boards() == []
    assert set(DEFERRED_INDEXES) <= indexes(kanban)
    Projector(kanban.store, kanban.read, chosen, kanban.mapper).catch_up()
    assert read_state(kanban) == projected


def test_a_rebuild_overtaken_by_another_projector_ends_as_live_projection_did(
    kanban: Kanban, projected: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "PAGE", 5)
    other_read = SQLiteReadStore(kanban.settings.read_path)
    other = Projector(
        kanban.store, other_read, projections(kanban.store, kanban.mapper), kanban.mapper
    )
    # A server beside the command line catches up as soon as the first page is in.
    rebuilding = Projector(kanban.store, kanban.read, fresh(kanban), kanban.mapper)
    with pytest.raises(bulk.Overtaken):
        bulk.rebuild(
            kanban.store,
            kanban.read,
            rebuilding.projections,
            kanban.mapper,
            lambda done, total: other.catch_up(),
            page=5,
        )
    try:
        assert rebuilding.rebuild(progress=lambda done, total: other.catch_up()) == (
            kanban.store.head_seq()
        )
    finally:
        other_read.close()
    assert read_state(kanban) == projected


def test_history_indexes_dropped_by_a_killed_rebuild_are_built_on_open(
    kanban: Kanban, story: Story
) -> None:
    with kanban.read.transaction() as tx:
        tx.defer_indexes()
    assert not set(DEFERRED_INDEXES) & indexes(kanban)
    SQLiteReadStore(kanban.settings.read_path).close()
    assert set(DEFERRED_INDEXES) <= indexes(kanban)


@pytest.fixture
def story(kanban: Kanban) -> Story:
    return tell_story(kanban)


def test_a_first_start_on_a_long_log_projects_it_in_one_pass(
    kanban: Kanban, projected: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    passes: list[int] = []
    real = bulk.rebuild

    def counted(*args: Any, **kwargs: Any) -> int:
        passes.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(bulk, "rebuild", counted)
    monkeypatch.setattr("kanban.projections.runner.REBUILD_PAGE", 10)
    with kanban.read.transaction() as tx:
        for name in ("boards", "history", "access"):
            tx.clear(name)
    projector = Projector(kanban.store, kanban.read, fresh(kanban), kanban.mapper).start()
    try:
        assert projector.wait_for(kanban.store.head_seq(), timeout=10)
    finally:
        projector.stop()
    assert passes == [1]
    assert read_state(kanban) == projected
