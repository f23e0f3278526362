"""Faults in the distributed mode (Redis Streams), against real processes and a real Redis.

Each test ends with every read database equal to a fresh fold of the log:
nothing lost, nothing applied twice, each board's order kept.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import pytest
import redis

from kanban.projections import render
from kanban.service.mapper import EventMapper
from kanban.service.repository import load_board
from kanban.store.sqlite import SQLiteEventStore
from tests.redis_server import RedisServer

from .conftest import Server, ServerFactory, history, make_board, ok, read_model_equals_fold
from .distributed import (
    CLAIM_IDLE,
    Load,
    Worker,
    all_delivered_and_acked,
    assert_equals_fold,
    eventually,
    groups,
    log_head,
    stream_key,
    stream_seqs,
)
from .sse import stream

Boards = list[tuple[str, list[str]]]


@dataclass
class Cluster:
    """A Redis, a writer publishing to it, and whatever workers a test adds."""

    redis: RedisServer
    client: redis.Redis
    make_server: ServerFactory
    tmp_path: Path
    writer: Server
    workers: list[Worker] = field(default_factory=list)
    replicas: list[Server] = field(default_factory=list)

    @property
    def log(self) -> Path:
        return self.writer.data_dir / "events.db"

    @property
    def key(self) -> str:
        return stream_key(self.log)

    def worker(self, name: str, read_db: Path, group: str = "g") -> Worker:
        worker = Worker(name, self.redis.url, self.writer, read_db, group)
        self.workers.append(worker)
        return worker.start()

    def boards(self, count: int) -> Boards:
        columns: list[tuple[str, int | None]] = [("In", None), ("Doing", None), ("Out", None)]
        with self.writer.client() as client:
            return [make_board(client, f"Board {n}", columns) for n in range(count)]

    def replica(self) -> Server:
        replica = self.make_server(
            token=self.writer.token,
            role="query",
            redis_url=self.redis.url,
            writer_url=self.writer.url,
            claim_idle=CLAIM_IDLE,
        )
        self.replicas.append(replica)
        return replica.start()


@pytest.fixture
def cluster(
    redis_server: RedisServer, make_server: ServerFactory, tmp_path: Path
) -> Iterator[Cluster]:
    client = redis_server.client(socket_timeout=10)
    writer = make_server(redis_url=redis_server.url, claim_idle=CLAIM_IDLE).start()
    found = Cluster(redis_server, client, make_server, tmp_path, writer)
    try:
        yield found
    finally:
        if redis_server.frozen:
            redis_server.thaw()
        for worker in found.workers:
            if worker.proc is not None:
                worker.stop()
        for replica in found.replicas:  # before the writer whose feed they read
            if replica.proc is not None:
                replica.stop()
        client.close()


def kill_mid_batch(worker: Worker, client: redis.Redis, key: str, group: str) -> list[bytes]:
    """SIGKILL `worker` at a moment it holds delivered, unacknowledged entries; their ids."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        worker.signal(signal.SIGSTOP)
        pending = client.xpending_range(key, group, "-", "+", 10_000, consumername=worker.name)
        if pending:
            worker.kill()
            return [entry["message_id"] for entry in pending]
        worker.signal(signal.SIGCONT)
        time.sleep(0.005)
    raise AssertionError("the worker never held a pending entry")


def test_a_worker_killed_mid_batch_is_taken_over_by_another(cluster: Cluster) -> None:
    shared = cluster.tmp_path / "shared-read.db"
    first = cluster.worker("first", shared)
    load = Load(cluster.writer, cluster.boards(3))
    load.wait_acks(20)
    orphaned = kill_mid_batch(first, cluster.client, cluster.key, "g")
    second = cluster.worker("second", shared)
    load.wait_acks(len(load.acked) + 200)
    load.finish()
    head = log_head(cluster.log)
    # The second worker claimed the dead one's entries (after the claim idle) and acked them.
    eventually(lambda: all_delivered_and_acked(cluster.client, cluster.key, {"g"}, head))
    consumers = {c["name"].decode(): c for c in cluster.client.xinfo_consumers(cluster.key, "g")}
    assert consumers["first"]["pending"] == 0
    assert orphaned
    assert second.alive
    assert_equals_fold(shared, cluster.log)
    assert_equals_fold(cluster.writer.data_dir / "read.db", cluster.log)


def test_what_a_killed_writer_committed_reaches_the_stream_and_the_read_models(
    cluster: Cluster,
) -> None:
    boards = cluster.boards(2)
    load = Load(cluster.writer, boards, writer_may_die=True)
    load.wait_acks(150)
    cluster.writer.kill()  # right after commits, mid-burst
    acked = load.finish()
    with SQLiteEventStore(cluster.log) as store:
        head = store.head_seq()
        assert acked[-1] <= head  # every acknowledged command is in the log
    cluster.writer.start()  # the same data dir: its relay resumes from its checkpoint
    eventually(lambda: stream_seqs(cluster.client, cluster.key) == list(range(1, head + 1)))
    with cluster.writer.client() as client:
        for board_id, _ in boards:
            read_model_equals_fold(client, board_id, head)
    # Later commands too, and the dead consumer's pending entries are claimed.
    more = Load(cluster.writer, boards, total=20).finish()
    eventually(lambda: all_delivered_and_acked(cluster.client, cluster.key, {"writer"}, more[-1]))
    assert stream_seqs(cluster.client, cluster.key) == list(range(1, more[-1] + 1))
    assert_equals_fold(cluster.writer.data_dir / "read.db", cluster.log)


def test_redis_restarted_empty_mid_stream(cluster: Cluster) -> None:
    shared = cluster.tmp_path / "shared-read.db"
    worker = cluster.worker("w", shared)
    replica = cluster.replica()
    boards = cluster.boards(2)
    Load(cluster.writer, boards, total=40).finish()
    key = cluster.key
    # The writer's, the worker's and the replica's group.
    eventually(lambda: len(groups(cluster.client, key)) == 3)
    names = set(groups(cluster.client, key))
    assert {"writer", "g"} < names
    before = log_head(cluster.log)
    eventually(lambda: all_delivered_and_acked(cluster.client, key, names, before))

    # The worker and the replica miss what is published now, and Redis then loses it.
    paused = [worker.proc, replica.proc]
    for proc in paused:
        assert proc is not None
        proc.send_signal(signal.SIGSTOP)
    try:
        load = Load(cluster.writer, boards)
        eventually(lambda: stream_seqs(cluster.client, key)[-1] > before + 40)
        missed = stream_seqs(cluster.client, key)[-1]
        cluster.redis.restart()  # empty: no stream, no groups
    finally:
        for proc in paused:
            assert proc is not None
            proc.send_signal(signal.SIGCONT)
    load.wait_acks(len(load.acked) + 60)
    load.finish()
    # Later commands reach every group through the recreated stream and groups.
    after = Load(cluster.writer, boards, total=20).finish()
    head = log_head(cluster.log)
    assert after[-1] == head
    eventually(lambda: all_delivered_and_acked(cluster.client, key, names, head))
    kept = stream_seqs(cluster.client, key)
    assert kept[0] > missed  # what the worker and the replica missed came from the log/feed
    assert kept[-1] == head
    for read_db in (shared, cluster.writer.data_dir / "read.db", replica.data_dir / "read.db"):
        assert_equals_fold(read_db, cluster.log)
    with replica.client() as client:
        for board_id, _ in boards:
            read_model_equals_fold(client, board_id, head)


def test_two_workers_racing_on_one_board_apply_each_event_once_in_order(
    cluster: Cluster,
) -> None:
    shared = cluster.tmp_path / "shared-read.db"
    workers = [cluster.worker(name, shared) for name in ("a", "b")]
    ((board_id, columns),) = cluster.boards(1)
    load = Load(cluster.writer, [(board_id, columns)], threads=6, total=240)
    checked = 0
    with SQLiteEventStore(cluster.log) as store:
        # Meanwhile, whatever the read model shows is the board at some version, whole.
        while not load.done or checked < 3:
            checked += check_snapshot(shared, store, board_id)
            time.sleep(0.05)
    load.finish()
    head = assert_equals_fold(shared, cluster.log)
    eventually(lambda: all_delivered_and_acked(cluster.client, cluster.key, {"g"}, head))
    for worker in workers:
        assert worker.alive
        assert "Traceback" not in worker.output()


def check_snapshot(read_db: Path, store: SQLiteEventStore, board_id: str) -> int:
    """In one read transaction: the view is the fold at its version, with its history."""
    if not read_db.exists():
        return 0
    with closing(sqlite3.connect(f"file:{read_db}?mode=ro", uri=True, timeout=10)) as conn:
        conn.execute("BEGIN")
        row = conn.execute("SELECT version, frame FROM boards WHERE id = ?", (board_id,))
        found = row.fetchone()
        if found is None:
            return 0
        version, frame = found
        cards = conn.execute("SELECT card_id, body FROM cards WHERE board_id = ?", (board_id,))
        view = render.assemble(orjson.loads(frame), dict(cards.fetchall()), True)
        rows = conn.execute(
            "SELECT seq, version FROM history WHERE board_id = ? ORDER BY seq", (board_id,)
        ).fetchall()
        conn.execute("COMMIT")
    events = store.read_stream(board_id, 1, version)
    assert rows == [(e.seq, e.version) for e in events]
    folded = load_board(store, EventMapper(), board_id, version).view(True)
    assert orjson.loads(view) == orjson.loads(orjson.dumps(folded))
    return 1


def test_commands_succeed_while_redis_is_frozen_and_everything_catches_up(
    cluster: Cluster,
) -> None:
    shared = cluster.tmp_path / "shared-read.db"
    cluster.worker("w", shared)
    boards = cluster.boards(2)
    Load(cluster.writer, boards, total=20).finish()
    cluster.redis.freeze()
    try:
        # Longer than the clients' 5 s socket timeout: Redis hangs, it does not refuse.
        frozen_until = time.monotonic() + 6
        during = Load(cluster.writer, boards, total=60).finish()
        assert len(during) == 120
        time.sleep(max(frozen_until - time.monotonic(), 0))
    finally:
        cluster.redis.thaw()
    after = Load(cluster.writer, boards, total=20).finish()
    head = log_head(cluster.log)
    assert after[-1] == head
    eventually(lambda: stream_seqs(cluster.client, cluster.key) == list(range(1, head + 1)))
    eventually(lambda: all_delivered_and_acked(cluster.client, cluster.key, {"writer", "g"}, head))
    assert_equals_fold(shared, cluster.log)
    assert_equals_fold(cluster.writer.data_dir / "read.db", cluster.log)


def test_a_query_replica_answers_like_the_writer_and_forwards_commands(
    cluster: Cluster,
) -> None:
    replica = cluster.replica()
    boards = cluster.boards(2)
    Load(cluster.writer, boards, total=10).finish()
    (board_id, columns), (other_id, _) = boards
    with cluster.writer.client() as writer, replica.client() as client:
        head = ok(writer.get("/readyz"))["head_seq"]
        params = {"min_seq": head}
        for path in ("/api/v1/boards", *(f"/api/v1/boards/{b}" for b, _ in boards)):
            assert ok(client.get(path, params=params)) == ok(writer.get(path, params=params))
        for b, _ in boards:
            assert history(client, b, 7, min_seq=head) == history(writer, b, 7, min_seq=head)
            read_model_equals_fold(client, b, head)  # `version=` is the writer's fold

        # A command sent to the replica is the writer's: 201, in the writer's log.
        body = {"column_id": columns[0], "title": "Sent to the replica"}
        added = client.post(f"/api/v1/boards/{board_id}/cards", json=body)
        assert added.status_code == 201, added.text
        card_id, seq = added.json()["card_id"], added.json()["seq"]
        events = ok(writer.get(f"/api/v1/boards/{board_id}/events"))["events"]
        mine = [(e["seq"], e["type"]) for e in events if e["data"].get("card_id") == card_id]
        assert mine == [(seq, "CardAdded")]
        assert ok(client.get(f"/api/v1/boards/{board_id}/cards/{card_id}", params={"min_seq": seq}))

        # Read your writes across replicas: written on the writer, read on the replica.
        for n in range(5):
            made = ok(writer.patch(f"/api/v1/boards/{other_id}", json={"title": f"Renamed {n}"}))
            seen = ok(client.get(f"/api/v1/boards/{other_id}", params={"min_seq": made["seq"]}))
            assert seen["title"] == f"Renamed {n}"
            assert seen["version"] == made["version"]

        # A live stream on the replica delivers a change made on the writer.
        with stream(client, board_id) as live:
            renamed = ok(writer.patch(f"/api/v1/boards/{board_id}", json={"title": "Live"}))
            (message,) = live.events(1, timeout=15)
            assert message.id == str(renamed["seq"])
            assert message.event == "BoardRenamed"
            assert message.json()["version"] == renamed["version"]

        # Users are events too: a user added on the writer signs in at the replica,
        # sees only the board shared with them, and a revocation reaches the replica.
        made = writer.post("/api/v1/users", json={"name": "rita", "password": "replica pw"})
        assert made.status_code == 201, made.text
        rita, token = made.json()["user_id"], made.json()["token"]
        grant = {"user_id": rita, "role": "viewer"}
        shared = ok(writer.post(f"/api/v1/boards/{board_id}/members", json=grant))
        with replica.client(token) as as_rita:
            mine = ok(as_rita.get("/api/v1/boards", params={"min_seq": shared["seq"]}))
            assert [(b["id"], b["role"]) for b in mine["boards"]] == [(board_id, "viewer")]
            assert as_rita.get(f"/api/v1/boards/{other_id}").status_code == 404
            tokens = ok(as_rita.get(f"/api/v1/users/{rita}/tokens"))["tokens"]
            revoked = as_rita.delete(f"/api/v1/users/{rita}/tokens/{tokens[0]['token_id']}")
            assert revoked.status_code == 204, revoked.text  # forwarded to the writer
            eventually(
                lambda: as_rita.get("/api/v1/users/me").status_code == 401,
                10,
                "the replica refusing a token revoked on the writer",
            )

        # Web sign-in through the replica: the writer issues the session, the replica
        # hands its cookie back, and never passes one caller's cookie to another.
        with httpx.Client(base_url=replica.url, timeout=10) as browser:
            signed = browser.post(
                "/api/v1/session", json={"name": "rita", "password": "replica pw"}
            )
            assert signed.status_code == 200, signed.text
            assert "kanban_session" in browser.cookies
            csrf = {"X-CSRF-Token": signed.json()["csrf_token"]}
            eventually(lambda: browser.get("/api/v1/boards").status_code == 200, 10, "session")
            card = {"column_id": columns[0], "title": "By cookie"}
            refused = browser.post(f"/api/v1/boards/{board_id}/cards", json=card, headers=csrf)
            assert refused.status_code == 403  # a viewer, checked by the writer
        with httpx.Client(base_url=replica.url, timeout=10) as stranger:
            assert stranger.post("/api/v1/boards", json={"title": "x"}).status_code == 401

    assert_equals_fold(replica.data_dir / "read.db", cluster.log)
    assert_equals_fold(cluster.writer.data_dir / "read.db", cluster.log)
    assert not (replica.data_dir / "events.db").exists()  # the replica has no log
