"""Helpers for the distributed-mode fault tests.

`kanban projector` worker processes, client threads that keep writing
commands, bounded waits, and the end check of every fault test: a read
database equal to a fresh fold of the log, each event applied exactly once.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import orjson
import redis

from kanban.feed import streams
from kanban.projections.sqlite import SQLiteReadStore
from kanban.service.mapper import EventMapper
from kanban.service.repository import load_board
from kanban.store.sqlite import SQLiteEventStore

from .conftest import Server, server_env

#: Seconds before a consumer claims entries another left unacknowledged.
CLAIM_IDLE = "0.5"


def eventually(check: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what or check}"
        time.sleep(0.05)


class Worker:
    """A `kanban projector` child: consumer `name` of `group`, feeding `read_db`."""

    def __init__(self, name: str, redis_url: str, writer: Server, read_db: Path, group: str):
        self.name = name
        self.read_db = read_db
        self.log_path = read_db.parent / f"worker-{name}.log"
        self.argv = [
            sys.executable,
            "-m",
            "kanban.cli",
            "projector",
            "--redis-url",
            redis_url,
            "--data-dir",
            str(writer.data_dir),
            "--read-db",
            str(read_db),
            "--group",
            group,
            "--consumer",
            name,
        ]
        self.env = server_env(claim_idle=CLAIM_IDLE)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
        eventually(lambda: "running" in self.output() or not self.alive, 20, "worker start")
        assert self.alive, self.output()
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> int:
        """SIGTERM (after SIGCONT, in case it is stopped), then SIGKILL if it hangs."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Load:
    """Client threads adding a card and moving it, round the boards, until stopped.

    Every acknowledged command's seq is kept. A transport error ends a thread
    quietly when the writer is expected to die; any other failure is kept.
    """

    def __init__(
        self,
        server: Server,
        boards: list[tuple[str, list[str]]],
        threads: int = 4,
        total: int | None = None,
        writer_may_die: bool = False,
    ) -> None:
        self.server = server
        self.boards = boards
        self.total = total
        self.writer_may_die = writer_may_die
        self.acked: list[int] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._issued = 0
        self._stop = threading.Event()
        self._deadline = time.monotonic() + 60
        self._pool = ThreadPoolExecutor(threads)
        self._futures: list[Future[None]] = [
            self._pool.submit(self._run, n) for n in range(threads)
        ]

    def _next(self) -> int | None:
        with self._lock:
            if self._stop.is_set() or time.monotonic() > self._deadline:
                return None  # a failing test leaves no thread writing for long
            if self.total is not None and self._issued >= self.total:
                return None
            self._issued += 1
            return self._issued

    def _run(self, thread: int) -> None:
        with self.server.client(timeout=15.0) as client:
            while (n := self._next()) is not None:
                board_id, columns = self.boards[n % len(self.boards)]
                try:
                    added = client.post(
                        f"/api/v1/boards/{board_id}/cards",
                        json={"column_id": columns[0], "title": f"t{thread} card {n}"},
                    )
                    self._note(added, 201)
                    card = added.json()["card_id"]
                    moved = client.post(
                        f"/api/v1/boards/{board_id}/cards/{card}/move",
                        json={"column_id": columns[n % len(columns)], "position": 0},
                    )
                    self._note(moved, 200)
                except httpx.TransportError as exc:
                    if not self.writer_may_die:
                        with self._lock:
                            self.errors.append(f"{type(exc).__name__}: {exc}")
                    return
                except AssertionError:
                    return

    def _note(self, response: httpx.Response, status: int) -> None:
        with self._lock:
            if response.status_code != status:
                self.errors.append(f"{response.status_code}: {response.text}")
                raise AssertionError(self.errors[-1])
            self.acked.append(response.json()["seq"])

    def wait_acks(self, count: int, timeout: float = 30.0) -> None:
        eventually(lambda: len(self.acked) >= count or self.errors, timeout, f"{count} acks")
        assert not self.errors, self.errors

    def finish(self, timeout: float = 60.0) -> list[int]:
        """Wait until the threads are done (stopping them unless `total` ends them)."""
        if self.total is None:
            self._stop.set()
        for future in self._futures:
            future.result(timeout)
        self._pool.shutdown()
        assert not self.errors, self.errors
        return sorted(self.acked)

    @property
    def done(self) -> bool:
        return all(future.done() for future in self._futures)


# --- what Redis and the read databases hold --------------------------------------------


def stream_key(log: Path) -> str:
    with SQLiteEventStore(log) as store:
        return streams.stream_key(store.epoch())


def log_head(log: Path) -> int:
    with SQLiteEventStore(log) as store:
        return store.head_seq()


def stream_seqs(client: redis.Redis, key: str) -> list[int]:
    return [streams.seq_of(entry_id) for entry_id, _ in client.xrange(key)]


def groups(client: redis.Redis, key: str) -> dict[str, dict[str, Any]]:
    try:
        found: list[dict[str, Any]] = client.xinfo_groups(key)
    except redis.ResponseError:  # no stream (yet)
        return {}
    return {group["name"].decode(): group for group in found}


def all_delivered_and_acked(client: redis.Redis, key: str, names: set[str], head: int) -> bool:
    """Every group in `names` exists, was delivered the stream up to `head`, has no pending."""
    found = groups(client, key)
    return names <= set(found) and all(
        streams.seq_of(found[name]["last-delivered-id"]) >= head and found[name]["pending"] == 0
        for name in names
    )


def projected(read_db: Path) -> int:
    """The read database's contiguous applied seq (0 while it does not exist yet)."""
    if not read_db.exists():
        return 0
    with closing(sqlite3.connect(f"file:{read_db}?mode=ro", uri=True, timeout=10)) as conn:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'watermark'").fetchone()
        except sqlite3.OperationalError:
            return 0
    return int(row[0]) if row else 0


def assert_equals_fold(read_db: Path, log: Path, timeout: float = 30.0) -> int:
    """Wait until `read_db` has applied the whole log, then compare it with a fresh fold.

    Every board's view equals the fold of its events; its history rows are
    exactly its events (same seqs, versions 1..n in seq order), so nothing is
    lost, nothing applied twice, and each board's order kept. Returns the head.
    """
    with SQLiteEventStore(log) as store:
        head = store.head_seq()
        eventually(lambda: projected(read_db) >= head, timeout, f"{read_db.name} reaching {head}")
        read = SQLiteReadStore(read_db)
        try:
            assert read.checkpoints() == {"boards": head, "history": head, "access": head}
            # The system stream (users and tokens) is no board.
            infos = [i for i in store.streams() if not i.stream_id.startswith("$")]
            assert sorted(b["id"] for b in read.boards()) == sorted(i.stream_id for i in infos)
            for info in infos:
                folded = load_board(store, EventMapper(), info.stream_id)
                for archived in (True, False):
                    found = read.board_view(info.stream_id, archived)
                    assert found is not None, info.stream_id
                    assert found[0] == folded.version == info.version
                    expected = orjson.loads(orjson.dumps(folded.view(archived)))
                    assert orjson.loads(found[1]) == expected
                events = store.read_stream(info.stream_id)
                rows = sorted(read.history(info.stream_id, info.version + 1), key=_seq)
                assert [r["seq"] for r in rows] == [e.seq for e in events]
                assert [r["version"] for r in rows] == list(range(1, info.version + 1))
        finally:
            read.close()
    return head


def _seq(row: dict[str, Any]) -> int:
    seq: int = row["seq"]
    return seq
