"""Prometheus metrics, one registry per app (so test apps do not collide)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from kanban.projections.rows import ProjectorStatus

if TYPE_CHECKING:
    from kanban.distributed.observe import DistributedStats


class Metrics:
    def __init__(
        self,
        status: Callable[[], list[ProjectorStatus]],
        distributed: Callable[[], DistributedStats] | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "kanban_commands",
            "Commands handled, by command and outcome.",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.events = Counter(
            "kanban_events_appended", "Events appended to the log.", registry=self.registry
        )
        self.latency = Histogram(
            "kanban_http_request_duration_seconds",
            "HTTP request latency.",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        #: Requests the shortcut answered, by (method, route): plain ints, counted on
        #: the event loop alone, where a Counter's lock cost each one 1.6 µs.
        self.shortcut: dict[tuple[str, str], int] = {}
        self.registry.register(_ShortcutCollector(self.shortcut))
        self.registry.register(_LagCollector(status))
        if distributed is not None:
            self.registry.register(_DistributedCollector(distributed))
        # `labels()` checks and converts its arguments on every call, a measurable
        # share of a cheap request: each child is looked up once, then kept.
        self._observed: dict[tuple[str, str, int], Any] = {}
        self._counted: dict[tuple[str, str], Any] = {}

    def observe(
        self, method: str, route: str, status: int, seconds: float, shortcut: bool = False
    ) -> None:
        """One request's latency by method, route template and status; counted if shortcut."""
        key = (method, route, status)
        child = self._observed.get(key)
        if child is None:
            child = self._observed[key] = self.latency.labels(method, route, str(status))
        child.observe(seconds)
        if shortcut:
            self.shortcut[method, route] = self.shortcut.get((method, route), 0) + 1

    def count(self, command: str, outcome: str) -> None:
        """One command handled, by its name and outcome."""
        key = (command, outcome)
        child = self._counted.get(key)
        if child is None:
            child = self._counted[key] = self.commands.labels(command, outcome)
        child.inc()


class _ShortcutCollector(Collector):
    def __init__(self, counts: dict[tuple[str, str], int]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "kanban_shortcut_requests",
            "Requests the shortcut in front of the framework answered, by method and route.",
            labels=["method", "route"],
        )
        # A copy: /metrics collects in a worker thread while the event loop counts.
        for (method, route), count in list(self.counts.items()):
            family.add_metric([method, route], count)
        yield family


class _LagCollector(Collector):
    """Projection lag is read at scrape time, never stale."""

    def __init__(self, status: Callable[[], list[ProjectorStatus]]) -> None:
        self.status = status

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lag = GaugeMetricFamily(
            "kanban_projection_lag_events",
            "Log head minus the projection's checkpoint.",
            labels=["projection"],
        )
        checkpoint = GaugeMetricFamily(
            "kanban_projection_checkpoint",
            "Last seq applied by the projection.",
            labels=["projection"],
        )
        for s in self.status():
            lag.add_metric([s.name], s.lag)
            checkpoint.add_metric([s.name], s.checkpoint)
        yield lag
        yield checkpoint


class _DistributedCollector(Collector):
    """Consumer groups, consumers and the relay, read from Redis and the log at scrape time.

    Only on the writer with Redis: it alone has the log that lag is measured
    against. With Redis down the groups are absent and kanban_redis_up is 0.
    """

    def __init__(self, observe: Callable[[], DistributedStats]) -> None:
        self.observe = observe

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = self.observe()
        lag_events = GaugeMetricFamily(
            "kanban_group_lag_events",
            "Log head minus the consumer group's contiguous applied seq.",
            labels=["group"],
        )
        lag_seconds = GaugeMetricFamily(
            "kanban_group_lag_seconds",
            "Age of the oldest event the consumer group has not applied (0 when caught up).",
            labels=["group"],
        )
        pending = GaugeMetricFamily(
            "kanban_consumer_pending",
            "Stream entries delivered to the consumer and not acknowledged.",
            labels=["group", "consumer"],
        )
        idle = GaugeMetricFamily(
            "kanban_consumer_idle_seconds",
            "Seconds since the consumer last read from its group.",
            labels=["group", "consumer"],
        )
        for group in stats.groups:
            lag_events.add_metric([group.name], group.lag_events)
            lag_seconds.add_metric([group.name], group.lag_seconds)
            for consumer in group.consumers:
                pending.add_metric([group.name, consumer.name], consumer.pending)
                idle.add_metric([group.name, consumer.name], consumer.idle_seconds)
        yield lag_events
        yield lag_seconds
        yield pending
        yield idle
        yield GaugeMetricFamily(
            "kanban_relay_lag_events",
            "Committed events the relay has not yet published to Redis.",
            value=stats.relay.lag,
        )
        yield GaugeMetricFamily(
            "kanban_redis_up",
            "1 when Redis answered this scrape, 0 when it did not.",
            value=1 if stats.redis_up else 0,
        )
