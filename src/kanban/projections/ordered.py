"""Applying events that arrive out of global order, each exactly once.

Several projector workers share one read database, so events reach it in no
global order and some twice (redelivery after a crash). Order matters only
within a board: an event at or below the board's applied version is skipped,
and one that would leave a gap makes the applier fetch the missing events
from the feed first. Every applied seq is recorded, and the watermark is the
highest seq up to which every event is applied, whichever worker applied it.
"""

from __future__ import annotations

from collections.abc import Sequence

from kanban.domain.errors import StorageError
from kanban.projections.projection import Projection
from kanban.projections.reads import ReadStore
from kanban.store.ports import EventFeed
from kanban.store.records import StoredEvent

EPOCH = "epoch"


class OrderedApplier:
    def __init__(self, feed: EventFeed, read: ReadStore, projections: Sequence[Projection]) -> None:
        self.feed = feed
        self.read = read
        self.projections = list(projections)

    def ensure_epoch(self, epoch: str) -> bool:
        """Make the read models belong to `epoch`; True when they had to be reset."""
        with self.read.transaction() as tx:
            current = tx.meta(EPOCH)
            if current == epoch:
                return False
            # Another history line (a restore): nothing of the old one may stay.
            tx.clear_all()
            tx.set_meta(EPOCH, epoch)
        for projection in self.projections:
            projection.reset()
        return current is not None

    def apply(self, events: Sequence[StoredEvent]) -> int:
        """Apply what is new among `events` in one transaction; return the watermark."""
        try:
            with self.read.transaction() as tx:
                versions: dict[str, int] = {}
                todo: list[StoredEvent] = []
                seen: list[int] = []
                for event in sorted(events, key=lambda e: e.seq):
                    stream = event.stream_id
                    current = versions.get(stream)
                    if current is None:
                        current = tx.stream_version(stream)
                    seen.append(event.seq)
                    if event.version <= current:
                        continue  # applied before, by us or another worker
                    if event.version > current + 1:
                        missing = self._fill(stream, current + 1, event.version - 1)
                        todo.extend(missing)
                        seen.extend(e.seq for e in missing)
                    todo.append(event)
                    versions[stream] = event.version
                for projection in self.projections:
                    mine = [e for e in todo if e.type in projection.handles]
                    if mine:
                        projection.apply(tx, mine)
                tx.set_stream_versions(versions)
                watermark = tx.mark_applied(seen)
                for projection in self.projections:
                    tx.set_checkpoint(projection.name, watermark)
                return watermark
        except BaseException:
            # Projections may have run ahead in memory of what rolled back.
            for projection in self.projections:
                projection.reset()
            raise

    def watermark(self) -> int:
        with self.read.transaction() as tx:
            return tx.watermark()

    def catch_up(self, target: int, page: int = 500) -> int:
        """Apply the feed's events until the watermark reaches `target`."""
        watermark = self.watermark()
        while watermark < target:
            events = self.feed.read_all(watermark, page)
            if not events:
                break
            watermark = self.apply(events)
        return watermark

    def _fill(self, stream_id: str, first: int, last: int) -> list[StoredEvent]:
        missing = self.feed.read_stream(stream_id, first, last)
        if [e.version for e in missing] != list(range(first, last + 1)):
            raise StorageError(f"the feed lacks versions {first}..{last} of stream {stream_id}")
        return missing
