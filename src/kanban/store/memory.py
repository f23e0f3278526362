"""An in-process event store with the same contract and hash chain as SQLite.

Used to replay a log in memory (checking a backup against its source) and for
fast tests. A batch buffers its appends and snapshots and publishes them at
commit, so readers only ever see committed events, as with SQLite.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple

from kanban.domain.errors import LogCorrupted, StorageError
from kanban.store import codec
from kanban.store.chain import GENESIS, Chain, ChainWalker, chain_rows
from kanban.store.ports import Batch, EventStore
from kanban.store.records import (
    NewEvent,
    ProgressCallback,
    Row,
    Snapshot,
    StoredEvent,
    StreamInfo,
    VerifyReport,
)

Clock = Callable[[], datetime]


class _Tail(NamedTuple):
    seq: int
    hash: bytes
    recorded_at: str


def _command_id(row: Row) -> object:
    return codec.loads(row[7]).get("command_id")


class MemoryEventStore(EventStore):
    """The event log in lists and dicts; gone when the process ends."""

    def __init__(
        self, *, key: bytes | None = None, clock: Clock | None = None, epoch: str | None = None
    ) -> None:
        self._chain = Chain(key)
        self._clock: Clock = clock or (lambda: datetime.now(UTC))
        self._epoch = epoch or uuid.uuid4().hex
        # The write lock is held for a whole batch; `_mu` only for the moments
        # committed state is read or published, so readers never wait on a batch.
        self._write_lock = threading.RLock()
        self._writer_thread: int | None = None
        self._mu = threading.Lock()
        self._rows: list[Row] = []
        self._streams: dict[str, list[Row]] = {}
        self._commands: dict[object, list[Row]] = {}
        self._event_ids: set[str] = set()
        self._snapshots: dict[str, dict[int, Snapshot]] = {}
        self._relay_checkpoints: dict[str, tuple[str, int]] = {}
        self._closed = False

    # --- writing -----------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        if self._writer_thread == threading.get_ident():
            raise RuntimeError("batches do not nest; use batch.unit() inside a batch")
        with self._write_lock:
            self._check_open()
            self._writer_thread = threading.get_ident()
            try:
                batch = _MemoryBatch(self, self._tail())
                try:
                    yield batch
                finally:
                    batch.closed = True
                self._publish(batch.rows, batch.snapshots)
            finally:
                self._writer_thread = None

    def _tail(self) -> _Tail:
        with self._mu:
            if not self._rows:
                return _Tail(0, GENESIS, "")
            last = self._rows[-1]
        return _Tail(last[0], bytes.fromhex(last[9]), last[8])

    def _publish(self, rows: list[Row], snapshots: list[Snapshot]) -> None:
        with self._mu:
            for row in rows:
                self._rows.append(row)
                self._streams.setdefault(row[1], []).append(row)
                self._commands.setdefault(_command_id(row), []).append(row)
                self._event_ids.add(row[3])
            for snapshot in snapshots:
                self._snapshots.setdefault(snapshot.stream_id, {})[snapshot.version] = snapshot

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the event store is closed")

    # --- committed state, for batches and readers ----------------------------

    def _stream_rows(self, stream_id: str) -> list[Row]:
        with self._mu:
            return list(self._streams.get(stream_id, ()))

    def _command_rows(self, command_id: str) -> list[Row]:
        with self._mu:
            return list(self._commands.get(command_id, ()))

    def _has_event_id(self, event_id: str) -> bool:
        with self._mu:
            return event_id in self._event_ids

    # --- reading -------------------------------------------------------------

    def read_stream(
        self, stream_id: str, from_version: int = 1, to_version: int | None = None
    ) -> list[StoredEvent]:
        self._check_open()
        return _select(self._stream_rows(stream_id), from_version, to_version)

    def read_all(self, after_seq: int = 0, limit: int | None = None) -> list[StoredEvent]:
        self._check_open()
        # seq n lives at index n - 1: the log is gapless.
        start = max(after_seq, 0)
        with self._mu:
            rows = self._rows[start:] if limit is None else self._rows[start : start + limit]
        return [codec.to_stored(row) for row in rows]

    def head_seq(self) -> int:
        self._check_open()
        with self._mu:
            return len(self._rows)

    @property
    def chain_name(self) -> str:
        return self._chain.name

    def read_rows(self, after_seq: int, limit: int) -> list[Row]:
        self._check_open()
        start = max(after_seq, 0)
        with self._mu:
            return self._rows[start : start + limit]

    def import_rows(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        with self._write_lock:
            head = self.head_seq()
            if rows[0][0] != head + 1:
                raise LogCorrupted(
                    f"rows to import start at seq {rows[0][0]}, but the log's head is {head}"
                )
            self._publish(list(rows), [])

    def stream_version(self, stream_id: str) -> int:
        self._check_open()
        with self._mu:
            rows = self._streams.get(stream_id)
            return rows[-1][2] if rows else 0

    def streams(self) -> list[StreamInfo]:
        self._check_open()
        with self._mu:
            # dicts keep insertion order, which is the order of first events.
            return [StreamInfo(sid, rows[-1][2]) for sid, rows in self._streams.items()]

    def version_at(self, stream_id: str, at: datetime) -> int:
        self._check_open()
        moment = codec.format_time(at)
        version = 0
        for row in self._stream_rows(stream_id):
            if row[8] > moment:
                break
            version = row[2]
        return version

    def load_snapshot(self, stream_id: str, max_version: int | None = None) -> Snapshot | None:
        self._check_open()
        with self._mu:
            kept = dict(self._snapshots.get(stream_id, {}))
        usable = [v for v in kept if max_version is None or v <= max_version]
        return kept[max(usable)] if usable else None

    def epoch(self) -> str:
        return self._epoch

    def verify(self, progress: ProgressCallback | None = None) -> VerifyReport:
        self._check_open()
        with self._mu:
            rows = list(self._rows)
        walker = ChainWalker(self._chain)
        for row in rows:
            reason = walker.check(row)
            if reason is not None:
                return VerifyReport(False, walker.checked, len(rows), row[0], reason)
            if progress is not None and walker.checked % 10000 == 0:
                progress(walker.checked, len(rows))
        if progress is not None:
            progress(walker.checked, len(rows))
        return VerifyReport(True, walker.checked, walker.last_seq)

    # --- relay checkpoints -----------------------------------------------------

    def relay_checkpoint(self, name: str) -> int:
        self._check_open()
        with self._mu:
            epoch, seq = self._relay_checkpoints.get(name, (self._epoch, 0))
        return seq if epoch == self._epoch else 0

    def save_relay_checkpoint(self, name: str, seq: int) -> None:
        if self._writer_thread == threading.get_ident():
            raise RuntimeError("save_relay_checkpoint() inside a batch would deadlock")
        with self._write_lock:
            self._check_open()
            with self._mu:
                self._relay_checkpoints[name] = (self._epoch, seq)

    def close(self) -> None:
        with self._write_lock:
            self._closed = True


def _select(rows: list[Row], from_version: int, to_version: int | None) -> list[StoredEvent]:
    return [
        codec.to_stored(row)
        for row in rows
        if row[2] >= from_version and (to_version is None or row[2] <= to_version)
    ]


class _MemoryBatch(Batch):
    """Buffers appends and snapshots; a unit remembers buffer lengths to undo."""

    def __init__(self, store: MemoryEventStore, tail: _Tail) -> None:
        self._store = store
        self._tail = tail
        self.rows: list[Row] = []
        self.snapshots: list[Snapshot] = []
        self.closed = False

    def _check(self) -> None:
        if self.closed:
            raise RuntimeError("this batch has already committed or rolled back")

    @contextmanager
    def unit(self, alone: bool = False) -> Iterator[None]:
        # Undoing a unit costs nothing here: alone or not, the same marks.
        self._check()
        mark = (len(self.rows), len(self.snapshots), self._tail)
        try:
            yield
        except BaseException:
            del self.rows[mark[0] :]
            del self.snapshots[mark[1] :]
            self._tail = mark[2]
            raise

    def _pending(self, stream_id: str) -> list[Row]:
        return [row for row in self.rows if row[1] == stream_id]

    def stream_version(self, stream_id: str) -> int:
        self._check()
        pending = self._pending(stream_id)
        if pending:
            return pending[-1][2]
        return self._store.stream_version(stream_id)

    def read_stream(
        self, stream_id: str, from_version: int = 1, to_version: int | None = None
    ) -> list[StoredEvent]:
        self._check()
        rows = self._store._stream_rows(stream_id) + self._pending(stream_id)
        return _select(rows, from_version, to_version)

    def events_for_command(self, command_id: str) -> list[StoredEvent]:
        self._check()
        pending = [row for row in self.rows if _command_id(row) == command_id]
        return [codec.to_stored(row) for row in self._store._command_rows(command_id) + pending]

    def _append(
        self,
        stream_id: str,
        actual: int,
        events: Sequence[NewEvent],
        metadata: Mapping[str, Any],
    ) -> list[StoredEvent]:
        self._check_event_ids(stream_id, events)
        store = self._store
        rows = chain_rows(
            store._chain, store._clock, self._tail, stream_id, actual, events, metadata
        )
        self.rows.extend(rows)
        last = rows[-1]
        self._tail = _Tail(last[0], bytes.fromhex(last[9]), last[8])
        return codec.appended(rows, events, metadata)

    def _check_event_ids(self, stream_id: str, events: Sequence[NewEvent]) -> None:
        seen = {row[3] for row in self.rows}
        for event in events:
            if event.event_id in seen or self._store._has_event_id(event.event_id):
                raise StorageError(
                    f"event id {event.event_id!r} appended to stream {stream_id!r} is already "
                    "in the log; nothing was written"
                )
            seen.add(event.event_id)

    def save_snapshot(self, snapshot: Snapshot) -> None:
        self._check()
        self.snapshots.append(snapshot)
