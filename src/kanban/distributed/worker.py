"""A projector worker: a Redis Streams consumer group member that feeds a read database.

Delivery is at least once (XACK only after the read-model transaction
commits; a crashed worker's pending entries are claimed by another after an
idle time); the ordered applier makes application exactly once and in order
per board. Whatever Redis forgot (a restart without persistence, trimming
past a lagging group) is caught up from the feed, which is the log itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import redis

from kanban.domain.errors import StorageError
from kanban.feed import streams
from kanban.projections.ordered import OrderedApplier
from kanban.projections.progress import ReportsProgress
from kanban.projections.projection import Projection
from kanban.projections.reads import ReadStore
from kanban.projections.rows import ProjectorStatus
from kanban.store.ports import EventFeed
from kanban.store.records import ProgressCallback

log = logging.getLogger(__name__)

REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)


class StreamWorker(ReportsProgress):
    """Consumes the log's stream as `consumer` in `group` and applies it to `read`."""

    def __init__(
        self,
        client: redis.Redis,
        feed: EventFeed,
        read: ReadStore,
        projections: Sequence[Projection],
        group: str,
        consumer: str,
        *,
        batch: int = 500,
        block_ms: int = 1000,
        claim_idle_ms: int = 10_000,
    ) -> None:
        self.redis = client
        self.feed = feed
        self.read = read
        self.projections = list(projections)
        self.group = group
        self.consumer = consumer
        self.batch = batch
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.applier = OrderedApplier(feed, read, projections)
        super().__init__(self.applier.watermark())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._epoch: str | None = None
        #: The highest seq seen in the stream: the watermark should reach it.
        self._highest = 0

    # --- the Projector-like surface the API uses -------------------------------

    def start(self) -> StreamWorker:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name=f"kanban-worker-{self.group}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join()

    def wake(self, seq: int = 0) -> None:
        """Nothing to do: the stream wakes the worker (kept for the bus hook)."""

    def status(self) -> list[ProjectorStatus]:
        head = self.feed.head_seq()
        checkpoints = self.read.checkpoints()
        return [ProjectorStatus(p.name, checkpoints.get(p.name, 0), head) for p in self.projections]

    def catch_up(self, progress: ProgressCallback | None = None) -> int:
        """Apply the feed up to its head now (also what happens while Redis is down)."""
        self._sync_epoch()
        before = self._watermark
        self._advance(self.applier.catch_up(self.feed.head_seq()))
        return self._watermark - before

    # --- the loop -----------------------------------------------------------------

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                self._consume()
                backoff = 0.2
            except REDIS_DOWN as exc:
                log.warning("redis unreachable (%s); catching up from the feed", exc)
                self._quietly(self.catch_up)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:
                log.exception("projector worker failed; retrying")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def _consume(self) -> None:
        key = self._prepare()
        while not self._stop.is_set():
            if self._sync_epoch():
                return  # a new epoch: start over on its stream
            try:
                claimed: Any = self.redis.xautoclaim(
                    key, self.group, self.consumer, self.claim_idle_ms, "0-0", count=self.batch
                )
                self._process(key, claimed[1])
                reply: Any = self.redis.xreadgroup(
                    self.group,
                    self.consumer,
                    {key: ">"},
                    count=self.batch,
                    block=self.block_ms,
                )
            except redis.ResponseError as exc:
                if "NOGROUP" in str(exc):
                    return  # Redis lost the group (restarted empty): prepare again
                raise
            for _stream, entries in reply or []:
                self._process(key, entries)
            if not reply and self._watermark < self._highest:
                # Idle, yet a seq below one we saw is still missing (a hole in
                # the stream, or a crashed peer's pending entry): read it from
                # the feed rather than wait for it.
                self._advance(self.applier.catch_up(self._highest))
            self._behind_check(key)
            self._advance(self.applier.watermark())  # other workers' progress

    def _prepare(self) -> str:
        """Have the group, and catch up from the feed whatever the stream no longer holds."""
        self._sync_epoch()
        assert self._epoch is not None
        key = streams.stream_key(self._epoch)
        try:
            self.redis.xgroup_create(key, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._behind_check(key)
        return key

    def _behind_check(self, key: str) -> None:
        first: Any = self.redis.xrange(key, count=1)
        target = streams.seq_of(first[0][0]) - 1 if first else self.feed.head_seq()
        if self._watermark < target:
            self._advance(self.applier.catch_up(target))

    def _process(self, key: str, entries: list[Any]) -> None:
        events, ids = [], []
        for entry_id, fields in entries:
            ids.append(entry_id)
            if fields:  # a claimed entry that was trimmed meanwhile has no fields
                events.append(streams.decode(fields))
        if events:
            self._highest = max(self._highest, max(e.seq for e in events))
            before = self._watermark
            after = self.applier.apply(events)
            # Other workers' events may fill the gap too: then which streams moved is unknown.
            passed = {e.seq: e.stream_id for e in events if before < e.seq <= after}
            known = len(passed) == after - before
            self._advance(after, frozenset(passed.values()) if known else None)
        if ids:
            # Only now: the read-model transaction has committed.
            self.redis.xack(key, self.group, *ids)
            self.redis.hset(streams.watermarks_key(self._epoch or ""), self.group, self._watermark)
            self.redis.publish(
                streams.projected_channel(self._epoch or ""), f"{self.group} {self._watermark}"
            )

    def _sync_epoch(self) -> bool:
        """Follow the log's epoch; True when it changed under a running worker."""
        epoch = self.feed.epoch()
        changed = self._epoch is not None and epoch != self._epoch
        if self.applier.ensure_epoch(epoch) or changed:
            self._advance(0)
        self._epoch = epoch
        return changed

    def _quietly(self, work: Callable[[], object]) -> None:
        try:
            work()
        except (StorageError, *REDIS_DOWN) as exc:
            log.warning("catch-up from the feed failed: %s", exc)
