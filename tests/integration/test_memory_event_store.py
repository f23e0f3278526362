"""The in-memory event store: the shared contract, and the same hashes as SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from kanban.store.memory import MemoryEventStore
from kanban.store.ports import EventStore
from kanban.store.records import NewEvent
from kanban.store.sqlite import SQLiteEventStore
from tests.contract.event_store import (
    T0,
    EventLogContract,
    ListClock,
    LogRowsContract,
    LogVerifierContract,
    MakeStore,
    RelayCheckpointsContract,
    meta,
)


class MemoryStores:
    @pytest.fixture
    def make_store(self) -> Iterator[MakeStore]:
        stores: list[EventStore] = []

        def make(clock: Callable[[], datetime] | None = None) -> EventStore:
            store = MemoryEventStore(clock=clock)
            stores.append(store)
            return store

        yield make
        for store in stores:
            store.close()


class TestMemoryEventLog(MemoryStores, EventLogContract):
    pass


class TestMemoryLogVerifier(MemoryStores, LogVerifierContract):
    pass


class TestMemoryLogRows(MemoryStores, LogRowsContract):
    pass


class TestMemoryRelayCheckpoints(MemoryStores, RelayCheckpointsContract):
    pass


@pytest.mark.parametrize("key", [None, b"log key"])
def test_memory_and_sqlite_chains_agree(tmp_path: Path, key: bytes | None) -> None:
    """A log replayed into memory hashes exactly as on disk, so backups can be checked."""
    memory = MemoryEventStore(key=key, clock=ListClock(T0))
    with SQLiteEventStore(tmp_path / "log.db", key=key, clock=ListClock(T0)) as disk:
        for store in (memory, disk):
            store.append(
                "a", 0, [NewEvent("e1", "T", 1, {"b": 1, "a": [1, {"y": 2, "x": 3}]})], meta()
            )
            store.append("b", 0, [NewEvent("e2", "T", 2, {"t": "ü"})], meta("c2", "bob"))
            store.append("a", 1, [NewEvent("e3", "T", 1, {})], meta())
        assert memory.read_all() == disk.read_all()
    assert memory.verify().ok
    memory.close()
