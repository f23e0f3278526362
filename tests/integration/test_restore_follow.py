"""A restore whose read models a second process builds while the first stores the log."""

from __future__ import annotations

import dataclasses
import gzip
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kanban.backup import format as backup_format
from kanban.backup.restore import restore
from kanban.domain.errors import BackupInvalid, StorageError
from kanban.projections.sqlite import SQLiteReadStore
from kanban.store.sqlite import SQLiteEventStore

from .backup_log import build_log

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 6_000


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A full backup of 6,000 events over 30 boards."""
    root = tmp_path_factory.mktemp("follow")
    with SQLiteEventStore(root / "events.db") as store:
        build_log(store, EVENTS, boards=30)
        with open(root / "backup.jsonl.gz", "wb") as f:
            backup_format.write(store, f)
    return root / "backup.jsonl.gz"


def read_models(data_dir: Path) -> dict[str, object]:
    """Every read-model row (search's own index tables aside), and what a search finds."""
    conn = sqlite3.connect(data_dir / "read.db")
    try:
        tables = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("cards_fts")
        ]
        found: dict[str, object] = {t: sorted(conn.execute(f"SELECT * FROM {t}")) for t in tables}
    finally:
        conn.close()
    read = SQLiteReadStore(data_dir / "read.db")
    try:
        found["search"] = read.search("card", 10_000)
    finally:
        read.close()
    return found


def test_a_second_process_builds_the_same_read_models(backup: Path, tmp_path: Path) -> None:
    def caught_up(done: int, total: int) -> None:
        """Hold the restore until the second process projected what is stored, so that
        it waits for the rest (else it may start after the last page and never wait)."""
        if done < total:
            [work] = tmp_path.glob(".beside.restoring-*")
            deadline = time.monotonic() + 30
            while history_checkpoint(work / "read.db") != done:
                assert time.monotonic() < deadline, "the second process never caught up"
                time.sleep(0.01)

    alone = restore([backup], tmp_path / "alone", parallel=False)
    beside = restore([backup], tmp_path / "beside", parallel=True, progress=caught_up)
    assert beside == dataclasses.replace(alone, epoch=beside.epoch)
    assert (beside.events, beside.last_seq, beside.boards) == (EVENTS, EVENTS, 30)
    models = read_models(tmp_path / "beside")
    assert models == read_models(tmp_path / "alone")
    assert len(models["history"]) == EVENTS  # type: ignore[arg-type]
    assert models["search"]
    with SQLiteEventStore(tmp_path / "beside" / "events.db") as store:
        assert store.verify().ok
    assert not multiprocessing.active_children()


def history_checkpoint(read_db: Path) -> int | None:
    try:
        conn = sqlite3.connect(f"file:{read_db}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT seq FROM checkpoints WHERE name = 'history'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet
        return None
    return None if row is None else int(row[0])


def test_a_damaged_backup_stops_both_and_leaves_nothing(backup: Path, tmp_path: Path) -> None:
    lines = backup_format_lines(backup)
    lines[EVENTS - 10] = lines[EVENTS - 10].replace(b'"CardMoved"', b'"CardRenamed"', 1)
    damaged = tmp_path / "damaged.jsonl.gz"
    write_lines(damaged, lines)
    with pytest.raises(BackupInvalid):
        restore([damaged], tmp_path / "restored", parallel=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.jsonl.gz"]
    assert not multiprocessing.active_children()


def test_when_the_second_process_dies_the_restore_fails_and_leaves_nothing(
    backup: Path, tmp_path: Path
) -> None:
    killed: list[int] = []

    def kill_the_projector(done: int, total: int) -> None:
        if not killed:
            [child] = multiprocessing.active_children()
            os.kill(child.pid or 0, signal.SIGKILL)
            killed.append(done)

    with pytest.raises(StorageError, match=r"projecting the restored log .* failed"):
        restore([backup], tmp_path / "restored", parallel=True, progress=kill_the_projector)
    assert killed
    assert list(tmp_path.iterdir()) == []


def test_kill_9_of_the_restoring_process_leaves_no_process_behind(
    backup: Path, tmp_path: Path
) -> None:
    script = (
        "import multiprocessing, sys, time\n"
        "from pathlib import Path\n"
        "from kanban.backup.restore import restore\n"
        "def progress(done, total):\n"
        "    print(*(c.pid for c in multiprocessing.active_children()), flush=True)\n"
        "    time.sleep(0.5)\n"
        "if __name__ == '__main__':\n"
        f"    restore([Path({str(backup)!r})], Path({str(tmp_path / 'data')!r}),"
        " parallel=True, progress=progress)\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, cwd=tmp_path
    )
    assert process.stdout is not None
    with process.stdout:
        child = int(process.stdout.readline())
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    deadline = time.monotonic() + 20
    while alive(child):
        assert time.monotonic() < deadline, "the projecting process outlived the restore"
        time.sleep(0.05)
    assert not (tmp_path / "data").exists()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def backup_format_lines(path: Path) -> list[bytes]:
    return gzip.decompress(path.read_bytes()).splitlines(keepends=True)


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(gzip.compress(b"".join(lines)))
