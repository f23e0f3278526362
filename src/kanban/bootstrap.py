"""The composition root: the one place that builds and wires the parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from kanban.distributed.relay import Relay
from kanban.projections.base import ReadStore
from kanban.projections.boards import BoardsProjection
from kanban.projections.history import HistoryProjection
from kanban.projections.runner import Projector
from kanban.projections.sqlite import SQLiteReadStore
from kanban.service.bus import CommandBus
from kanban.service.repository import BoardRepository
from kanban.settings import Settings
from kanban.store.base import EventStore
from kanban.store.sqlite import SQLiteEventStore

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Kanban:
    """The wired service: the log and its write side, the read models and their projector."""

    settings: Settings
    store: EventStore
    boards: BoardRepository
    bus: CommandBus
    read: ReadStore
    projector: Projector
    #: Publishes the log to Redis; only when `settings.redis_url` is set.
    relay: Relay | None = None

    def start(self) -> Kanban:
        self.bus.start()
        self.projector.start()
        if self.relay is not None:
            self.relay.start()
        return self

    def close(self) -> None:
        # Finish every queued command, then project and publish it, then let go.
        self.bus.stop()
        self.projector.stop()
        if self.relay is not None:
            self.relay.stop()
            self.relay.redis.close()
        self.read.close()
        self.store.close()

    def __enter__(self) -> Kanban:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_log(settings: Settings, clock: Clock = utc_now) -> EventStore:
    """Just the event log, for tools that read it (no writer thread, no read models)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SQLiteEventStore.open(settings.log_path, key=settings.log_key_bytes, clock=clock)


def bootstrap(settings: Settings, clock: Clock = utc_now) -> Kanban:
    store = open_log(settings, clock)
    boards = BoardRepository(store, settings.board_cache, settings.snapshot_every)
    read = SQLiteReadStore(settings.read_path)
    projector = Projector(store, read, [BoardsProjection(store), HistoryProjection()])
    if settings.redis_url is None:
        bus = CommandBus(store, boards, settings.max_batch, on_commit=projector.wake)
        return Kanban(settings, store, boards, bus, read, projector)
    client = redis.Redis.from_url(
        settings.redis_url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30
    )
    relay = Relay(store, client)

    def committed(seq: int) -> None:
        projector.wake(seq)
        relay.wake(seq)

    bus = CommandBus(store, boards, settings.max_batch, on_commit=committed)
    return Kanban(settings, store, boards, bus, read, projector, relay)
