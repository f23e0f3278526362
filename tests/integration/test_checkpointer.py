"""WAL checkpoints run beside the writer: pages reach the database file, no commit waits."""

from __future__ import annotations

import time
from pathlib import Path

from kanban.projections.sqlite import SQLiteReadStore
from kanban.store.sqlite import SQLiteEventStore

from .backup_log import build_log


def test_the_log_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with SQLiteEventStore.open(path) as store:
        (automatic,) = store._writer.execute("PRAGMA wal_autocheckpoint").fetchone()
        assert automatic == 0  # no commit ever stops to checkpoint
        empty = path.stat().st_size
        build_log(store, 3_000, boards=5)
        deadline = time.monotonic() + 10
        while path.stat().st_size <= empty and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > empty, "the WAL's pages never reached the database file"
        assert store.head_seq() >= 3_000


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
