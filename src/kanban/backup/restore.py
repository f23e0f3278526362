"""Restore: build a new log by replaying backups through the domain, and its read models.

Everything happens in a hidden sibling directory; only a complete, fsynced
store is renamed into place, so a restore killed at any moment leaves no
half-restored data dir that looks usable.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kanban.backup.follow import FOLLOW_FROM, Follower
from kanban.backup.replay import Replay
from kanban.bootstrap import projections
from kanban.domain.commands import is_board_stream
from kanban.domain.errors import BackupInvalid, CorruptEvent, RestoreRefused
from kanban.domain.model import RecordedEvent
from kanban.projections.bulk import Rebuilding
from kanban.projections.sqlite import SQLiteReadStore
from kanban.service.mapper import EventMapper
from kanban.store.codec import format_time
from kanban.store.records import JSONDict, ProgressCallback, Row
from kanban.store.sqlite import SQLiteEventStore

BATCH = 5000
#: A row as the replay checked it, with its data and record when it decoded them.
Checked = tuple[Row, tuple[JSONDict, RecordedEvent] | None]


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
    parallel: bool | None = None,
) -> RestoreReport:
    """Replay `paths` (a full backup, then its incrementals) into a new log and read models.

    `parallel`: project the read models in a second process while this one
    stores the log (see `kanban.backup.follow`); None decides by size.
    """
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
        report = _replay_into(paths, work, until_seq, until_time, key, progress, parallel)
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
    parallel: bool | None,
) -> RestoreReport:
    replay = Replay(paths, key)
    limit = format_time(until_time) if until_time is not None else None
    target: _Target | None = None
    page: list[Checked] = []
    cut = False
    count = 0
    with ExitStack() as stack, _named_in(replay):
        for row, decoded in replay.walk():
            if (until_seq is not None and row[0] > until_seq) or (limit and row[8] > limit):
                cut = True
                break
            if target is None:
                if replay.headers[0].since_seq:
                    raise RestoreRefused(
                        f"{paths[0]} is an incremental backup (from seq "
                        f"{replay.headers[0].since_seq + 1}); a restore starts with a full "
                        "backup, followed by its incrementals"
                    )
                if parallel is None:
                    parallel = _total(replay, until_seq) >= FOLLOW_FROM
                # The second process folds every board as it projects it: here that
                # would be the same work again, on the busier core.
                replay.fold_boards = not parallel
                target = stack.enter_context(_Target.open(work, key, parallel, replay.mapper))
            page.append((row, decoded))
            count += 1
            if len(page) >= BATCH:
                target.add(page)
                page.clear()
                if progress:
                    progress(count, _total(replay, until_seq))
        if target is None:
            raise RestoreRefused("nothing to restore: no event is at or before the given point")
        target.add(page)
        target.finish()
        if progress:
            progress(count, count)
        store = target.store
        boards = sum(1 for s in store.streams() if is_board_stream(s.stream_id))
        return RestoreReport(count, store.head_seq(), store.epoch(), cut, boards)


class _Target:
    """The new log and its read models, filled in one pass: each page stored, then projected.

    Projected here, the read models are fed the records the replay decoded to
    check each event, rather than read back and decoded again; projected by a
    `Follower`, they are read back, in another process, at the same time.
    """

    def __init__(
        self, store: SQLiteEventStore, importing: ExitStack, projecting: Rebuilding | Follower
    ) -> None:
        self.store = store
        self.last_seq = 0
        self._importing = importing
        self._projecting = projecting

    @classmethod
    @contextmanager
    def open(
        cls, work: Path, key: bytes | None, parallel: bool, mapper: EventMapper
    ) -> Iterator[_Target]:
        with ExitStack() as stack:
            # Always a new epoch: the original may have gone on past the backup and
            # published seqs this log will reuse for other events; consumers must
            # rebuild rather than trust them.
            store = stack.enter_context(SQLiteEventStore(work / "events.db", key=key))
            importing = stack.enter_context(ExitStack())
            importing.enter_context(store.importing())
            projecting: Rebuilding | Follower
            if parallel:
                projecting = Follower(work, key)
                stack.callback(projecting.close)
            else:
                read = SQLiteReadStore(work / "read.db")
                stack.callback(read.close)
                projecting = Rebuilding(read, projections(store, mapper))
                stack.callback(projecting.close)
            yield cls(store, importing, projecting)

    def add(self, page: list[Checked]) -> None:
        if not page:
            return
        # Stored first: a board the rebuild let go of is folded again from the store.
        self.store.import_rows([row for row, _ in page])
        self.last_seq = page[-1][0][0]
        if isinstance(self._projecting, Follower):
            self._projecting.stored(self.last_seq)
            return
        for row, decoded in page:
            assert decoded is not None  # projected here, every event was folded by the replay
            self._projecting.feed(row, *decoded)
        self._projecting.end_page(self.last_seq)

    def finish(self) -> None:
        # The log's deferred indexes are built first: a second process is still
        # projecting meanwhile, and the two finish side by side.
        self._importing.close()
        self._projecting.finish(self.last_seq)


@contextmanager
def _named_in(replay: Replay) -> Iterator[None]:
    """An event the second process could not read or fold, named in its backup file."""
    try:
        yield
    except CorruptEvent as exc:
        raise BackupInvalid(f"{replay.where(exc.seq)} {exc.reason}") from None


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
