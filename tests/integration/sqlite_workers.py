"""Code run in child processes by the SQLite tests (spawned, so it must be importable)."""

from __future__ import annotations

from multiprocessing.synchronize import Event

from kanban.store.records import NewEvent
from kanban.store.sqlite import SQLiteEventStore


def append_rounds(path: str, worker: str, rounds: int, start: Event | None = None) -> None:
    """Append one event to a shared stream and one to the worker's own, per round."""
    if start is not None:
        start.wait()
    with SQLiteEventStore(path) as store:
        for i in range(rounds):
            with store.batch() as batch:
                for stream in ("shared", f"own-{worker}"):
                    event = NewEvent(f"{worker}-{i}-{stream}", "Tick", 1, {"i": i})
                    version = batch.stream_version(stream)
                    batch.append(stream, version, [event], {"command_id": f"{worker}-{i}"})
