"""The composition root: the one place that builds and wires the parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

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
    """The wired service: the event store, the write side's boards and the bus."""

    settings: Settings
    store: EventStore
    boards: BoardRepository
    bus: CommandBus

    def start(self) -> Kanban:
        self.bus.start()
        return self

    def close(self) -> None:
        self.bus.stop()
        self.store.close()

    def __enter__(self) -> Kanban:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def bootstrap(settings: Settings, clock: Clock = utc_now) -> Kanban:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = SQLiteEventStore.open(settings.log_path, key=settings.log_key_bytes, clock=clock)
    boards = BoardRepository(store, settings.board_cache, settings.snapshot_every)
    bus = CommandBus(store, boards, settings.max_batch)
    return Kanban(settings, store, boards, bus)
