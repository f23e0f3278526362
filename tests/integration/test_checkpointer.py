"""WAL checkpoints run beside the writer: pages reach the database file, no commit waits."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from pathlib import Path

from kanban.projections.sqlite import SQLiteReadStore
from kanban.sqlite.checkpointer import WAL_RESTART_BYTES, WAL_SIZE_LIMIT, Checkpointer
from kanban.store.records import NewEvent
from kanban.store.sqlite import SQLiteEventStore

from .backup_log import build_log


def test_the_log_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with SQLiteEventStore(path) as store:
        (automatic,) = store._writer.execute("PRAGMA wal_autocheckpoint").fetchone()
        assert automatic == 0  # no commit ever stops to checkpoint
        empty = path.stat().st_size
        build_log(store, 3_000, boards=5)
        deadline = time.monotonic() + 10
        while path.stat().st_size <= empty and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > empty, "the WAL's pages never reached the database file"
        assert store.head_seq() >= 3_000


def test_the_logs_wal_starts_over_long_before_the_size_it_may_keep(tmp_path: Path) -> None:
    """A commit that grows the WAL file pays for a journal commit of the file's size on
    top of its data. The WAL starts over at a few MB, far below the 64 MB it may keep,
    so from then on commits write where it already reached."""
    path = tmp_path / "events.db"
    assert WAL_RESTART_BYTES * 4 <= WAL_SIZE_LIMIT
    with SQLiteEventStore(path) as store:
        version = 0

        def commit(megabytes: float) -> None:  # one-event commits of 20 KB each
            nonlocal version
            for _ in range(int(megabytes * 50)):
                event = NewEvent(str(uuid.uuid4()), "Noted", 1, {"text": "x" * 20_000})
                store.append("stream", version, [event], {"actor": "test"})
                version += 1

        # One commit at a time until the checkpoint thread flags the WAL as over its
        # limit: the commit after a flag starts the WAL over and clears it, so writing
        # a fixed amount first would race that thread.
        written = 0
        while not store._db.checkpointer.restart_due:
            assert written < WAL_SIZE_LIMIT / 2, "no checkpoint found the WAL over its limit"
            commit(0.02)
            written += 20_000
        assert wal_size(path) < WAL_SIZE_LIMIT
        commit(0.02)  # this commit starts the WAL over, before it writes
        reached = wal_size(path)
        commit(WAL_RESTART_BYTES / 2 / 2**20)
        assert wal_size(path) == reached, "the WAL grew instead of starting over"


def test_the_read_database_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "read.db"
    read = SQLiteReadStore(path)
    try:
        empty = path.stat().st_size
        with read.transaction() as tx:
            for n in range(2_000):
                tx.put_member(f"board-{n}", "user", "viewer")
        deadline = time.monotonic() + 10
        while path.stat().st_size <= empty and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > empty
    finally:
        read.close()


def test_the_wal_stays_bounded_under_writes_that_never_pause(tmp_path: Path) -> None:
    """A passive checkpoint never finds the whole WAL copied and unread while writes go on
    (each commit adds frames as it copies), so the WAL would never start over and grow
    without bound, every read slower for it; past its limit the writer restarts it."""
    path = tmp_path / "busy.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute(f"PRAGMA journal_size_limit = {LIMIT}")
    writer.execute("PRAGMA busy_timeout = 10000")
    writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
    stop = threading.Event()

    def read() -> None:  # a reader always somewhere in the WAL, as a projector is
        reader = sqlite3.connect(path, isolation_level=None)
        while not stop.is_set():
            reader.execute("SELECT max(id) FROM t").fetchone()
        reader.close()

    reader = threading.Thread(target=read)
    reader.start()
    checkpointer = Checkpointer(path, interval=0.01, restart_bytes=LIMIT)
    largest = 0
    try:
        for n in range(6_000):
            writer.execute("INSERT INTO t (body) VALUES (?)", (bytes(2_000),))
            checkpointer.restart(writer)  # as the stores' writers do after each commit
            if n % 100 == 0:
                largest = max(largest, wal_size(path))
    finally:
        checkpointer.stop()
        stop.set()
        reader.join()
        writer.close()
    # 6,000 commits of a 4 KiB page or two each: about 45 MiB of WAL if never restarted.
    assert largest < 16 * LIMIT, f"the WAL grew to {largest:,} bytes"


LIMIT = 1024 * 1024


def wal_size(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0
