"""Restore: build a new log by replaying backups through the domain, then its read models.

Everything happens in a hidden sibling directory; only a complete, fsynced
store is renamed into place, so a restore killed at any moment leaves no
half-restored data dir that looks usable.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kanban.backup.replay import Replay
from kanban.bootstrap import projections
from kanban.domain.commands import is_board_stream
from kanban.domain.errors import RestoreRefused
from kanban.projections.runner import Projector
from kanban.projections.sqlite import SQLiteReadStore
from kanban.store.base import ProgressCallback, Row
from kanban.store.codec import format_time
from kanban.store.sqlite import SQLiteEventStore

BATCH = 5000


@dataclass(frozen=True)
class RestoreReport:
    events: int
    last_seq: int
    epoch: str
    #: True when the restore stopped before the backups' last event.
    point_in_time: bool
    boards: int


def restore(
    paths: Sequence[Path],
    data_dir: Path,
    *,
    until_seq: int | None = None,
    until_time: datetime | None = None,
    force: bool = False,
    key: bytes | None = None,
    progress: ProgressCallback | None = None,
) -> RestoreReport:
    if until_seq is not None and until_time is not None:
        raise RestoreRefused("give --until-seq or --until-time, not both")
    target = Path(data_dir)
    if target.exists() and any(target.iterdir()) and not force:
        raise RestoreRefused(f"{target} is not empty; pass --force to replace what it holds")
    if os.path.ismount(target):
        # The swap renames the target, and a mount point cannot be renamed.
        raise RestoreRefused(
            f"{target} is a mount point; restore into a directory inside it (such as "
            f"{target / 'kanban'}) and make that the data dir"
        )
    work = target.parent / f".{target.name}.restoring-{uuid.uuid4().hex[:8]}"
    work.mkdir(parents=True)
    try:
        report = _replay_into(paths, work, until_seq, until_time, key, progress)
        _sync_tree(work)
        _swap_in(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return report


def _replay_into(
    paths: Sequence[Path],
    work: Path,
    until_seq: int | None,
    until_time: datetime | None,
    key: bytes | None,
    progress: ProgressCallback | None,
) -> RestoreReport:
    replay = Replay(paths, key)
    limit = format_time(until_time) if until_time is not None else None
    store: SQLiteEventStore | None = None
    pending: list[Row] = []
    cut = False
    count = 0
    try:
        for row in replay.rows():
            if (until_seq is not None and row[0] > until_seq) or (limit and row[8] > limit):
                cut = True
                break
            if store is None:
                if replay.headers[0].since_seq:
                    raise RestoreRefused(
                        f"{paths[0]} is an incremental backup (from seq "
                        f"{replay.headers[0].since_seq + 1}); a restore starts with a full "
                        "backup, followed by its incrementals"
                    )
                # Always a new epoch: the original may have gone on past the
                # backup and published seqs this log will reuse for other
                # events; consumers must rebuild rather than trust them.
                store = SQLiteEventStore.open(work / "events.db", key=key)
            pending.append(row)
            count += 1
            if len(pending) >= BATCH:
                store.import_rows(pending)
                pending.clear()
                if progress:
                    # The work is twice the events: storing them, then projecting them.
                    progress(count, 2 * _total(replay, until_seq))
        if store is None:
            raise RestoreRefused("nothing to restore: no event is at or before the given point")
        store.import_rows(pending)
        stored = count
        epoch = store.epoch()
        read = SQLiteReadStore(work / "read.db")

        def projected(done: int, total: int) -> None:
            if progress:
                progress(stored + done, stored + total)

        try:
            Projector(store, read, projections(store)).rebuild(progress=projected)
        finally:
            read.close()
        boards = sum(1 for s in store.streams() if is_board_stream(s.stream_id))
        return RestoreReport(count, store.head_seq(), epoch, cut, boards)
    finally:
        if store is not None:
            store.close()


def _total(replay: Replay, until_seq: int | None) -> int:
    total = replay.total + (replay.headers[0].since_seq if replay.headers else 0)
    return min(total, until_seq) if until_seq is not None else total


def _sync_tree(directory: Path) -> None:
    for path in directory.iterdir():
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    _sync_dir(directory)


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_in(work: Path, target: Path) -> None:
    old: Path | None = None
    if target.exists():
        old = target.parent / f".{target.name}.replaced-{uuid.uuid4().hex[:8]}"
        target.rename(old)
    work.rename(target)
    _sync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
