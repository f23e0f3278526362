"""Prometheus metrics, one registry per app (so test apps do not collide)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kanban.projections.base import ProjectorStatus


class Metrics:
    def __init__(self, status: Callable[[], list[ProjectorStatus]]) -> None:
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
        self.registry.register(_LagCollector(status))


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
