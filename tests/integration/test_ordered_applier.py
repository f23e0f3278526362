"""Events applied in any order, some twice, give the read models of a fresh fold."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kanban.bootstrap import Kanban
from kanban.projections.boards import BoardsProjection
from kanban.projections.history import HistoryProjection
from kanban.projections.ordered import OrderedApplier
from kanban.projections.runner import Projector
from kanban.projections.sqlite import SQLiteReadStore
from kanban.service.mapper import EventMapper
from kanban.service.repository import load_board
from kanban.store.records import StoredEvent

from .projection_story import settle, tell_story


@pytest.fixture
def story_log(kanban: Kanban) -> Kanban:
    """A running Kanban whose log holds the two-board story, projected in order."""
    tell_story(kanban)
    settle(kanban)
    return kanban


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[SQLiteReadStore]:
    """An empty read database of its own, as a worker on another machine has."""
    store = SQLiteReadStore(tmp_path / "replica.db")
    yield store
    store.close()


def applier(kanban: Kanban, read: SQLiteReadStore) -> OrderedApplier:
    feed = kanban.store
    return OrderedApplier(
        feed, read, [BoardsProjection(feed, kanban.mapper), HistoryProjection(kanban.mapper)]
    )


def answers(read: SQLiteReadStore, kanban: Kanban) -> dict[str, object]:
    boards = [s.stream_id for s in kanban.store.streams()]
    return {
        "views": {b: read.board_view(b, True) for b in boards},
        "history": {b: read.history(b, 10**6) for b in boards},
        "boards": read.boards(),
    }


def test_shuffled_duplicated_batches_equal_the_in_order_projection(
    story_log: Kanban, replica: SQLiteReadStore
) -> None:
    events = story_log.store.read_all()
    shuffled = events + random.Random(7).sample(events, len(events) // 2)
    random.Random(3).shuffle(shuffled)
    worker = applier(story_log, replica)
    for i in range(0, len(shuffled), 5):
        worker.apply(shuffled[i : i + 5])
    assert worker.watermark() == story_log.store.head_seq()
    assert answers(replica, story_log) == answers(story_log.read, story_log)


def test_a_gap_is_filled_from_the_feed(story_log: Kanban, replica: SQLiteReadStore) -> None:
    events = story_log.store.read_all()
    worker = applier(story_log, replica)
    # Only the newest event arrives: everything before it on its board is fetched.
    last = events[-1]
    worker.apply([last])
    board = load_board(story_log.store, EventMapper(), last.stream_id)
    found = replica.board_view(last.stream_id, True)
    assert found is not None
    assert orjson.loads(found[1]) == board.view(True)
    # The other board's events were not fetched, so the watermark waits for them.
    assert worker.watermark() < last.seq
    worker.apply(events)
    assert worker.watermark() == last.seq


def test_the_watermark_is_contiguous(story_log: Kanban, replica: SQLiteReadStore) -> None:
    events = story_log.store.read_all()
    by_board: dict[str, list[StoredEvent]] = {}
    for e in events:
        by_board.setdefault(e.stream_id, []).append(e)
    first, second = by_board.values()
    worker = applier(story_log, replica)
    worker.apply(second)
    assert worker.watermark() < second[-1].seq  # first board's seqs are missing below
    worker.apply(first)
    assert worker.watermark() == events[-1].seq


def test_a_new_epoch_resets_the_read_models(story_log: Kanban, replica: SQLiteReadStore) -> None:
    worker = applier(story_log, replica)
    assert not worker.ensure_epoch(story_log.store.epoch())
    worker.apply(story_log.store.read_all())
    assert replica.boards()
    assert worker.ensure_epoch("another-history-line")
    assert replica.boards() == []
    assert worker.watermark() == 0


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.randoms(use_true_random=False), st.integers(1, 12))
def test_any_delivery_order_converges(
    story_log: Kanban, tmp_path_factory: pytest.TempPathFactory, rnd: random.Random, size: int
) -> None:
    read = SQLiteReadStore(tmp_path_factory.mktemp("r") / "replica.db")
    try:
        events = story_log.store.read_all()
        deliveries = events + rnd.sample(events, len(events) // 3)
        rnd.shuffle(deliveries)
        worker = applier(story_log, read)
        for i in range(0, len(deliveries), size):
            worker.apply(deliveries[i : i + size])
        assert answers(read, story_log) == answers(story_log.read, story_log)
    finally:
        read.close()


def test_an_embedded_projector_in_between_makes_the_worker_rebuild(
    story_log: Kanban, replica: SQLiteReadStore
) -> None:
    worker = applier(story_log, replica)
    epoch = story_log.store.epoch()
    worker.ensure_epoch(epoch)
    worker.apply(story_log.store.read_all())
    # The embedded projector takes the same read database over for a while...
    embedded = Projector(story_log.store, replica, worker.projections, story_log.mapper)
    embedded.start()
    embedded.stop()
    # ...so a worker must not trust its old bookkeeping: it starts afresh.
    assert worker.ensure_epoch(epoch)
    assert worker.watermark() == 0
