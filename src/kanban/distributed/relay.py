"""The relay: publishes every committed event of the log to the epoch's Redis stream.

The log stays the source of truth and the relay is a transactional outbox
read straight from it: it keeps its own checkpoint in SQLite (beside the log,
not in Redis) and on every pass publishes whatever was committed after it, in
seq order, each event as the entry `<seq>-0`. A crash between XADD and the
checkpoint save only means re-sending entries Redis already has; Redis refuses
an id that is not above the stream's top, and such a refusal counts as
published, so nothing is ever duplicated. An event committed just before the
process dies is published by the next relay on the same log.

Redis being down or frozen never reaches the command path: the bus only calls
`wake()`, which sets a flag; the relay's own thread does all the talking to
Redis, backs off while it is unreachable and catches up when it returns.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, cast

import redis
from redis.typing import EncodableT, FieldT

from kanban.feed import streams
from kanban.store.ports import RelayCheckpoints

log = logging.getLogger(__name__)

#: Errors that mean "Redis is unreachable right now": back off and retry.
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)

_ALREADY_THERE = "equal or smaller than the target stream top item"


@dataclass(frozen=True, slots=True)
class RelayStatus:
    """How far the relay got: `published` is its checkpoint, `head` the log's head."""

    name: str
    published: int
    head: int
    reachable: bool

    @property
    def lag(self) -> int:
        return max(self.head - self.published, 0)


class Relay:
    """Publishes the log to Redis from a daemon thread (or one pass at a time)."""

    def __init__(
        self,
        store: RelayCheckpoints,
        redis: redis.Redis,
        *,
        name: str = "relay",
        page: int = 500,
        keep: int = 10_000,
        retention: int = 100_000,
        trim_every: float = 10.0,
        poll_seconds: float = 0.5,
        linger: float = 0.01,
        backoff: tuple[float, float] = (0.2, 5.0),
        join_timeout: float = 15.0,
    ) -> None:
        if page < 1 or not 0 <= keep <= retention:
            raise ValueError("page must be at least 1 and 0 <= keep <= retention")
        self.store = store
        self.redis = redis
        self.name = name
        self.page = page
        #: The stream keeps about this many newest entries, so a new or lagging
        #: group reads from Redis rather than the feed...
        self.keep = keep
        #: ...and more only while a live group has not acknowledged them, up to
        #: this many below the newest: past it they go regardless, so a dead
        #: group cannot pin the stream forever.
        self.retention = retention
        self.trim_every = trim_every
        self.poll_seconds = poll_seconds
        #: Pause after a pass that published something, so that a burst of commits
        #: goes out in a few pipelines instead of one pass (and checkpoint) each.
        self.linger = linger
        self.backoff = backoff
        self.join_timeout = join_timeout
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # One pass (publish or trim) at a time, whether from the thread or a caller.
        self._pass_lock = threading.Lock()
        self._reachable = False

    # --- lifecycle -----------------------------------------------------------

    def start(self) -> Relay:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="kanban-relay", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread after one last pass; give up waiting after `join_timeout`.

        The thread is a daemon, so a Redis that hangs cannot hold shutdown
        hostage; whatever it did not publish is published by the next relay.
        """
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            self._wake.set()
            thread.join(self.join_timeout)
            if thread.is_alive():
                log.warning(
                    "relay %r did not stop within %.0f s (Redis hanging?); leaving it behind",
                    self.name,
                    self.join_timeout,
                )

    def wake(self, seq: int = 0) -> None:
        """Called after a commit: there are events to publish. Never blocks."""
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- progress ------------------------------------------------------------

    def status(self) -> RelayStatus:
        """Checkpoint, log head and whether the last talk with Redis worked.

        Reads only the log, never Redis, so it answers at once even when Redis
        hangs.
        """
        published = self.store.relay_checkpoint(self.name)
        return RelayStatus(self.name, published, self.store.head_seq(), self._reachable)

    # --- work ----------------------------------------------------------------

    def publish_pending(self) -> int:
        """Publish everything committed after the checkpoint; return how many were.

        Raises redis.ConnectionError / TimeoutError when Redis is unreachable;
        the checkpoint then stays at the last page Redis confirmed.
        """
        with self._pass_lock:
            try:
                published = self._publish()
            except REDIS_DOWN:
                self._reachable = False
                raise
            self._reachable = True
            return published

    def _publish(self) -> int:
        epoch = self.store.epoch()
        key = streams.stream_key(epoch)
        # Also tells readers which stream is current (again, after a Redis restart).
        self.redis.set(streams.EPOCH_KEY, epoch)
        after = self.store.relay_checkpoint(self.name)
        published = 0
        while True:
            events = self.store.read_all(after, self.page)
            if not events:
                return published
            pipe = self.redis.pipeline(transaction=False)
            for event in events:
                fields = cast("dict[FieldT, EncodableT]", streams.encode(event))
                pipe.xadd(key, fields, id=streams.entry_id(event.seq))
            results = pipe.execute(raise_on_error=False)
            done = after
            failure: tuple[int, Exception] | None = None
            for event, result in zip(events, results, strict=True):
                refused = isinstance(result, Exception)
                if failure is None:
                    if refused and _ALREADY_THERE not in str(result):
                        failure = (event.seq, result)
                    else:
                        done = event.seq
                elif not refused:
                    # A later entry went in after a failed one: Redis will refuse the
                    # failed id from now on as below the top, so the stream has a hole.
                    log.error(
                        "relay %r: seq %d is missing from %s (seq %d went in after it failed)",
                        self.name,
                        failure[0],
                        key,
                        event.seq,
                    )
                    break
            if done > after:
                self.store.save_relay_checkpoint(self.name, done)
                published += done - after
                after = done
            if failure is not None:
                log.error("relay %r: publishing seq %d failed: %s", self.name, *failure)
                return published
            if len(events) < self.page:
                return published

    def trim(self) -> int | None:
        """Trim the stream (approximately) to its newest `keep` entries, within limits.

        Entries some live consumer group has not acknowledged are kept beyond
        `keep`, up to `retention` entries below the newest: past that bound
        they go regardless, so a dead group cannot pin the stream forever.
        Returns the MINID trimmed to (None: nothing to trim).
        """
        with self._pass_lock:
            key = streams.stream_key(self.store.epoch())
            newest = self.store.relay_checkpoint(self.name)
            try:
                groups: list[dict[str, Any]] = self.redis.xinfo_groups(key)
            except redis.ResponseError as exc:
                if "no such key" in str(exc).lower():
                    return None
                raise
            floor = newest - self.keep  # a window of `keep` entries by length
            if groups:
                acked = min(self._acknowledged(key, group) for group in groups)
                floor = min(floor, acked)
            floor = max(floor, newest - self.retention)
            if floor < 1:
                return None
            self.redis.xtrim(key, minid=streams.entry_id(floor + 1), approximate=True)
            return floor + 1

    def _acknowledged(self, key: str, group: dict[str, Any]) -> int:
        """Seq up to which `group` has acknowledged everything."""
        if int(group["pending"]) > 0:
            summary: dict[str, Any] = self.redis.xpending(key, group["name"])
            if summary.get("min") is not None:
                return streams.seq_of(summary["min"]) - 1
        return streams.seq_of(group["last-delivered-id"])

    # --- the thread ----------------------------------------------------------

    def _run(self) -> None:
        delay = self.backoff[0]
        failing = False
        last_trim = 0.0
        while True:
            # A pass that starts after stop() sees everything committed before it.
            stopping = self._stop.is_set()
            self._wake.clear()
            try:
                published = self.publish_pending()
                if time.monotonic() - last_trim >= self.trim_every:
                    last_trim = time.monotonic()
                    self.trim()
            except REDIS_DOWN as exc:
                self._reachable = False
                level = logging.DEBUG if failing else logging.WARNING
                log.log(level, "relay %r: Redis unreachable (%s); retrying", self.name, exc)
            except Exception:
                log.exception("relay %r: pass failed; retrying", self.name)
            else:
                if failing:
                    log.info("relay %r: publishing again", self.name)
                failing, delay = False, self.backoff[0]
                if stopping:
                    return
                if published:
                    self._stop.wait(self.linger)
                self._wake.wait(self.poll_seconds)
                continue
            if stopping:
                return
            # Commits keep waking the relay; only stop() cuts a back-off short.
            failing = True
            self._stop.wait(delay)
            delay = min(delay * 2, self.backoff[1])
