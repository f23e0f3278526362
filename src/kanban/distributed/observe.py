"""How far behind the distributed read side is: per group, per consumer, and the relay.

Read at the moment of asking (a `/metrics` scrape, `kanban projections
status`), never cached. A group's applied seq is the watermark (the seq up to
which every event is applied) that its workers record in the epoch's
watermarks hash after every acknowledged batch; for a group that never wrote
one (created by hand, or no batch yet) it is the seq up to which the group
has acknowledged everything (its oldest pending entry minus one, else its
last-delivered id). Lag in seconds is the age of
the group's oldest unapplied event, from the log's `recorded_at`.

Redis being down or frozen never raises here: the relay's figures come from
the log (SQLite), `redis_up` is False and the groups are left out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from kanban.distributed.relay import Relay, RelayStatus
from kanban.feed import streams
from kanban.store.ports import EventFeed, RelayCheckpoints

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class ConsumerStats:
    """One consumer of a group: entries delivered to it and not acknowledged, idle time."""

    name: str
    pending: int
    idle_seconds: float


@dataclass(frozen=True, slots=True)
class GroupStats:
    """One consumer group: how far it has applied the log, and its consumers."""

    name: str
    #: The group's watermark: every event up to this seq is applied.
    applied: int
    head: int
    #: Age of the oldest event the group has not applied (0 when caught up).
    lag_seconds: float
    #: Entries delivered to the group's consumers and not acknowledged.
    pending: int
    consumers: tuple[ConsumerStats, ...]
    #: Where `applied` comes from: "watermark" (written by the group's workers)
    #: or "stream" (what the group acknowledged, when no watermark was written).
    source: str

    @property
    def lag_events(self) -> int:
        return max(self.head - self.applied, 0)


@dataclass(frozen=True, slots=True)
class DistributedStats:
    epoch: str
    head: int
    relay: RelayStatus
    groups: tuple[GroupStats, ...]
    #: The observation's own talk with Redis worked.
    redis_up: bool
    #: Why Redis could not be read (None when it could).
    error: str | None = None


def probe_client(url: str, timeout: float = 1.0) -> redis.Redis:
    """A client for observing: short timeouts and no retries, so a scrape never hangs."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


def distributed_stats(
    client: redis.Redis,
    store: RelayCheckpoints,
    epoch: str | None = None,
    *,
    relay: Relay | None = None,
    relay_name: str = "relay",
    clock: Clock | None = None,
) -> DistributedStats:
    """Per group lag and per consumer pending/idle on the epoch's stream, and the relay.

    `relay`: the live relay, whose own reachability is reported; without it
    the relay's checkpoint is read from the log. Never raises for Redis.
    """
    epoch = epoch if epoch is not None else store.epoch()
    head = store.head_seq()
    now = (clock or _utc_now)()
    error: str | None = None
    groups: tuple[GroupStats, ...] = ()
    try:
        groups = tuple(_groups(client, store, epoch, head, now))
    except redis.RedisError as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.debug("observing Redis failed: %s", error)
    redis_up = error is None
    if relay is not None:
        status = relay.status()
    else:
        status = RelayStatus(relay_name, store.relay_checkpoint(relay_name), head, redis_up)
    return DistributedStats(epoch, head, status, groups, redis_up, error)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _groups(
    client: redis.Redis, store: RelayCheckpoints, epoch: str, head: int, now: datetime
) -> list[GroupStats]:
    key = streams.stream_key(epoch)
    raw: dict[Any, Any] = client.hgetall(streams.watermarks_key(epoch))
    watermarks = {_text(group): int(seq) for group, seq in raw.items()}
    try:
        infos: list[dict[str, Any]] = client.xinfo_groups(key)
    except redis.ResponseError as exc:
        if "no such key" in str(exc).lower():
            return []  # nothing published to this epoch yet
        raise
    found = []
    for info in infos:
        name = _text(info["name"])
        pending = int(info["pending"])
        if name in watermarks:
            applied, source = watermarks[name], "watermark"
        else:
            applied, source = _acknowledged(client, key, name, info), "stream"
        applied = min(applied, head)
        consumers: list[dict[str, Any]] = client.xinfo_consumers(key, name)
        found.append(
            GroupStats(
                name=name,
                applied=applied,
                head=head,
                lag_seconds=_age(store, applied, head, now),
                pending=pending,
                consumers=tuple(
                    ConsumerStats(_text(c["name"]), int(c["pending"]), int(c["idle"]) / 1000)
                    for c in consumers
                ),
                source=source,
            )
        )
    return found


def _acknowledged(client: redis.Redis, key: str, group: str, info: dict[str, Any]) -> int:
    """Seq up to which `group` has acknowledged everything."""
    if int(info["pending"]) > 0:
        summary: dict[str, Any] = client.xpending(key, group)
        if summary.get("min") is not None:
            return streams.seq_of(summary["min"]) - 1
    return streams.seq_of(info["last-delivered-id"])


def _age(store: EventFeed, applied: int, head: int, now: datetime) -> float:
    """Seconds since the oldest unapplied event was committed (0 when there is none)."""
    if applied >= head:
        return 0.0
    oldest = store.read_all(applied, 1)
    if not oldest:
        return 0.0
    return max((now - oldest[0].recorded_at).total_seconds(), 0.0)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
