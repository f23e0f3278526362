"""The relay against a real redis-server: every committed event, once, in log order."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import closing
from pathlib import Path

import pytest
import redis

from kanban.bootstrap import bootstrap
from kanban.distributed.relay import Relay
from kanban.domain import commands as cmd
from kanban.feed import streams
from kanban.settings import Settings
from kanban.store.ports import EventStore
from kanban.store.sqlite import SQLiteEventStore
from tests.contract.event_store import meta, new_event
from tests.redis_server import RedisServer

from .conftest import Client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteEventStore]:
    with SQLiteEventStore(tmp_path / "events.db") as store:
        yield store


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis_server.client()
    yield client
    client.close()


def fill(store: EventStore, count: int) -> None:
    for i in range(count):
        stream = f"board-{i % 3}"
        store.append(stream, store.stream_version(stream), [new_event(i=i)], meta())


def seqs(client: redis.Redis, store: EventStore) -> list[int]:
    entries = client.xrange(streams.stream_key(store.epoch()))
    return [streams.seq_of(entry_id) for entry_id, _ in entries]


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time limit"
        time.sleep(0.02)


def test_every_committed_event_reaches_the_stream_in_order(
    store: SQLiteEventStore, client: redis.Redis
) -> None:
    fill(store, 23)
    relay = Relay(store, client, page=5)
    assert relay.status().lag == 23
    assert relay.publish_pending() == 23
    entries = client.xrange(streams.stream_key(store.epoch()))
    assert [entry_id for entry_id, _ in entries] == [f"{n}-0".encode() for n in range(1, 24)]
    assert [streams.decode(fields) for _, fields in entries] == store.read_all()
    assert client.get(streams.EPOCH_KEY) == store.epoch().encode()
    status = relay.status()
    assert (status.published, status.head, status.lag, status.reachable) == (23, 23, 0, True)
    assert relay.publish_pending() == 0


def test_a_relay_that_lost_its_checkpoint_publishes_nothing_twice(
    store: SQLiteEventStore, client: redis.Redis
) -> None:
    """As after a kill between XADD and saving the checkpoint."""
    fill(store, 12)
    relay = Relay(store, client, page=4)
    relay.publish_pending()
    store.save_relay_checkpoint("relay", 5)
    assert relay.publish_pending() == 7  # refused by Redis: already published
    with closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute("DELETE FROM relay_checkpoints")
    assert relay.status().published == 0
    relay.publish_pending()
    assert seqs(client, store) == list(range(1, 13))
    assert relay.status().published == 12
    fill(store, 2)
    assert relay.publish_pending() == 2
    assert seqs(client, store) == list(range(1, 15))


def test_a_refused_entry_stops_the_pass_without_advancing(
    store: SQLiteEventStore, client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    key = streams.stream_key(store.epoch())
    client.set(key, "not a stream")
    fill(store, 4)
    relay = Relay(store, client)
    assert relay.publish_pending() == 0
    assert relay.status().published == 0
    assert "publishing seq 1 failed" in caplog.text
    client.delete(key)
    assert relay.publish_pending() == 4


def test_events_committed_while_redis_is_down_are_published_when_it_returns(
    store: SQLiteEventStore, client: redis.Redis, redis_server: RedisServer
) -> None:
    relay = Relay(store, client, backoff=(0.05, 0.2), poll_seconds=0.05)
    fill(store, 3)
    relay.publish_pending()
    redis_server.stop()
    with pytest.raises(redis.ConnectionError):
        relay.publish_pending()
    assert not relay.status().reachable
    with relay:
        fill(store, 5)  # the relay keeps retrying meanwhile
        relay.wake()
        assert relay.status().published == 3
        redis_server.start()  # empty: no persistence
        eventually(lambda: seqs(client, store) == [4, 5, 6, 7, 8])
        eventually(lambda: relay.status().reachable)
    assert relay.status().lag == 0
    assert client.get(streams.EPOCH_KEY) == store.epoch().encode()


def test_a_redis_restarted_empty_gets_the_new_events(
    store: SQLiteEventStore, client: redis.Redis, redis_server: RedisServer
) -> None:
    relay = Relay(store, client)
    fill(store, 5)
    relay.publish_pending()
    redis_server.restart()
    assert client.get(streams.EPOCH_KEY) is None
    fill(store, 3)
    assert relay.publish_pending() == 3
    assert seqs(client, store) == [6, 7, 8]
    assert client.get(streams.EPOCH_KEY) == store.epoch().encode()


def test_the_service_publishes_what_it_committed_by_the_time_it_closes(
    tmp_path: Path, redis_server: RedisServer, client: redis.Redis
) -> None:
    plain = bootstrap(Settings(data_dir=tmp_path / "plain"))
    assert plain.relay is None
    plain.close()
    settings = Settings(data_dir=tmp_path / "data", redis_url=redis_server.url)
    with bootstrap(settings) as kanban:
        assert kanban.relay is not None
        alice = Client(kanban)
        for _ in range(3):
            alice.board()
    with SQLiteEventStore(settings.log_path) as store:
        assert seqs(client, store) == list(range(1, 10))  # three events a board
        assert store.relay_checkpoint("relay") == 9


def test_commands_do_not_wait_for_a_frozen_redis(
    tmp_path: Path, redis_server: RedisServer, client: redis.Redis
) -> None:
    settings = Settings(data_dir=tmp_path / "data", redis_url=redis_server.url)
    with bootstrap(settings) as kanban:
        assert kanban.relay is not None
        alice = Client(kanban)
        board_id = alice.board()
        eventually(lambda: seqs(client, kanban.store) == list(range(1, 4)))
        redis_server.freeze()
        try:
            futures: list[Future[cmd.CommandResult]] = [
                kanban.bus.submit(
                    cmd.AddCard(board_id, f"card-{n}", "col0", f"Card {n}"), alice.ctx()
                )
                for n in range(20)
            ]
            assert all(future.result(timeout=10).appended for future in futures)
            status = kanban.relay.status()  # reads the log only: answers while Redis hangs
            assert status.head == 23
        finally:
            redis_server.thaw()
        eventually(lambda: seqs(client, kanban.store) == list(range(1, 24)), timeout=20)
        eventually(lambda: kanban.relay is not None and kanban.relay.status().lag == 0)


def test_trim_keeps_what_a_live_group_has_not_acknowledged(
    store: SQLiteEventStore, client: redis.Redis
) -> None:
    # Small stream nodes, so that approximate trimming is visible in a small stream.
    client.config_set("stream-node-max-entries", 5)
    client.config_set("stream-node-max-bytes", 0)
    key = streams.stream_key(store.epoch())
    relay = Relay(store, client, keep=0, retention=45)
    fill(store, 60)
    relay.publish_pending()
    client.xgroup_create(key, "live", id="0")
    client.xgroup_create(key, "dead", id="0")
    client.xreadgroup("live", "w1", {key: ">"}, count=30)
    client.xack(key, "live", *[streams.entry_id(n) for n in range(1, 21)])
    client.xreadgroup("dead", "w2", {key: ">"}, count=10)  # never acknowledged

    # The dead group (nothing acknowledged) holds the stream only down to the
    # retention bound, 60 - 45; above it, nothing is trimmed.
    assert relay.trim() == 16
    kept = seqs(client, store)
    assert 10 < kept[0] <= 16
    assert kept[-(60 - 16 + 1) :] == list(range(16, 61))

    # Without the dead group, the live one holds it at its oldest pending entry.
    client.xgroup_destroy(key, "dead")
    assert relay.trim() == 21
    kept = seqs(client, store)
    assert 15 < kept[0] <= 21
    assert kept[-40:] == list(range(21, 61))

    # Past the retention bound even the live group's pending entries go.
    fill(store, 40)
    relay.publish_pending()
    assert relay.trim() == 56
    kept = seqs(client, store)
    assert 50 < kept[0] <= 56
    assert kept[-45:] == list(range(56, 101))


def test_trim_keeps_a_window_that_acknowledged_groups_do_not_shrink(
    store: SQLiteEventStore, client: redis.Redis
) -> None:
    client.config_set("stream-node-max-entries", 5)
    client.config_set("stream-node-max-bytes", 0)
    key = streams.stream_key(store.epoch())
    relay = Relay(store, client, keep=20, retention=50)
    fill(store, 60)
    relay.publish_pending()
    client.xgroup_create(key, "caught-up", id="$")
    # Everything is acknowledged, yet the newest `keep` entries stay for
    # groups that come later or fall behind.
    assert relay.trim() == 41
    assert seqs(client, store)[-20:] == list(range(41, 61))


def test_trim_without_groups_keeps_the_window(store: SQLiteEventStore, client: redis.Redis) -> None:
    client.config_set("stream-node-max-entries", 5)
    client.config_set("stream-node-max-bytes", 0)
    relay = Relay(store, client, keep=10, retention=10)
    assert relay.trim() is None  # no stream yet
    fill(store, 30)
    relay.publish_pending()
    assert relay.trim() == 21
    kept = seqs(client, store)
    assert 15 < kept[0] <= 21
    assert kept[-10:] == list(range(21, 31))


def test_what_a_killed_writer_committed_is_published_by_the_next_relay(
    tmp_path: Path, redis_server: RedisServer, client: redis.Redis
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with bootstrap(settings) as kanban:
        board_id = Client(kanban).board(columns=("In", "Out"))
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        "KANBAN_REDIS_URL": redis_server.url,
    }
    argv = [sys.executable, "-m", "tests.integration.writer_child"]
    child = subprocess.Popen(
        [*argv, str(settings.data_dir), board_id, f"w{uuid.uuid4().hex[:6]}", "0", "3"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None
        acks = 0
        deadline = time.monotonic() + 20
        relaying = False  # the child's relay has talked to Redis
        while not (acks >= 40 and relaying) and time.monotonic() < deadline:
            acks += child.stdout.readline().startswith("ack ")
            relaying = relaying or client.exists(streams.EPOCH_KEY) == 1
        # Right after a commit: the relay has not published the newest events yet.
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert acks >= 40
    assert relaying
    with SQLiteEventStore(settings.log_path) as store:
        assert client.get(streams.EPOCH_KEY) == store.epoch().encode()
        Relay(store, client).publish_pending()
        log_seqs = [event.seq for event in store.read_all()]
        assert log_seqs == list(range(1, store.head_seq() + 1))
        assert seqs(client, store) == log_seqs
