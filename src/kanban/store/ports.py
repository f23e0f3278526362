"""The event store's ports, one per capability; each consumer names the one it needs.

- `EventFeed`: the ordered feed of committed events, what projectors read
  (the log itself, or a writer's feed over HTTP);
- `EventLog`: the feed plus writing (batches) and the stream queries of the
  write side and of time travel;
- `LogRows`: the feed plus its rows exactly as stored, for backup, restore
  and the one-pass rebuild;
- `RelayCheckpoints`: the feed plus how far each relay has published it;
- `LogVerifier`: the walk of the whole hash chain.

`EventStore` is all of them: what an adapter (SQLite, memory) implements.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from kanban.domain.errors import ConcurrencyError, LogCorrupted
from kanban.store.records import (
    NewEvent,
    ProgressCallback,
    Row,
    Snapshot,
    StoredEvent,
    StreamInfo,
    VerifyReport,
)


class Batch(ABC):
    """One write transaction holding the log's write lock.

    Everything read through a batch is read inside the write lock, so it is the
    current tail: no other writer, thread or process, can append until the
    batch commits or rolls back. Appends become durable at commit only.
    """

    @abstractmethod
    def unit(self, alone: bool = False) -> AbstractContextManager[None]:
        """A savepoint: all appends inside it, or none when it raises.

        `alone`: the batch's first and only unit, which an implementation may run
        without a savepoint; when it raises, the whole batch rolls back instead of
        committing (no later unit may start in it).
        """

    @abstractmethod
    def stream_version(self, stream_id: str) -> int:
        """Current version of the stream (0 when it has no events)."""

    @abstractmethod
    def read_stream(
        self, stream_id: str, from_version: int = 1, to_version: int | None = None
    ) -> list[StoredEvent]:
        """Events of one stream with from_version <= version <= to_version."""

    @abstractmethod
    def events_for_command(self, command_id: str) -> list[StoredEvent]:
        """Events whose metadata carries this command id, in seq order."""

    def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        metadata: Mapping[str, Any],
    ) -> list[StoredEvent]:
        """Append events to a stream whose version must be `expected_version`.

        Raises ConcurrencyError (writing nothing) when it is not. The events come
        back as stored, their data and metadata the very mappings given.
        """
        actual = self.stream_version(stream_id)
        if actual != expected_version:
            raise ConcurrencyError(
                f"stream {stream_id!r} is at version {actual}, not the expected version "
                f"{expected_version}; nothing was written"
            )
        if not events:
            return []
        return self._append(stream_id, actual, events, metadata)

    @abstractmethod
    def _append(
        self,
        stream_id: str,
        version: int,
        events: Sequence[NewEvent],
        metadata: Mapping[str, Any],
    ) -> list[StoredEvent]:
        """Write events after `version`, the stream's checked current version."""

    @abstractmethod
    def save_snapshot(self, snapshot: Snapshot) -> None:
        """Store a snapshot (a disposable cache, not part of the log)."""


class EventFeed(ABC):
    """The ordered feed of committed events: what a projector reads of the log.

    The event store is one; a writer's `/api/v1/events` seen over HTTP is
    another, for processes that cannot open the log file.
    """

    @abstractmethod
    def epoch(self) -> str:
        """Id of this log's history line; a point-in-time restore starts a new one."""

    @abstractmethod
    def head_seq(self) -> int:
        """Seq of the newest committed event (0 for an empty log)."""

    @abstractmethod
    def read_all(self, after_seq: int = 0, limit: int | None = None) -> list[StoredEvent]:
        """Committed events with seq > after_seq in seq order, at most `limit`."""

    @abstractmethod
    def read_stream(
        self, stream_id: str, from_version: int = 1, to_version: int | None = None
    ) -> list[StoredEvent]:
        """Committed events of one stream with from_version <= version <= to_version."""

    def load_snapshot(self, stream_id: str, max_version: int | None = None) -> Snapshot | None:
        """The newest snapshot at or below max_version, where the feed keeps snapshots."""
        return None


class EventLog(EventFeed):
    """The append-only event log: its feed, its write transactions, its streams."""

    @abstractmethod
    def batch(self) -> AbstractContextManager[Batch]:
        """Open a write transaction; commit on normal exit, roll back on error."""

    def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        metadata: Mapping[str, Any],
    ) -> list[StoredEvent]:
        """Append in a transaction of its own; durable when this returns."""
        with self.batch() as batch, batch.unit(alone=True):
            return batch.append(stream_id, expected_version, events, metadata)

    @abstractmethod
    def stream_version(self, stream_id: str) -> int:
        """Committed version of a stream (0 when it has no events)."""

    @abstractmethod
    def streams(self) -> list[StreamInfo]:
        """Every stream with its current version, ordered by first event."""

    @abstractmethod
    def version_at(self, stream_id: str, at: datetime) -> int:
        """The stream's version as of time `at` (0 when it had no events yet)."""

    @abstractmethod
    def load_snapshot(self, stream_id: str, max_version: int | None = None) -> Snapshot | None:
        """The newest snapshot of the stream at or below max_version."""


class LogRows(EventFeed):
    """The log's rows exactly as stored (JSON texts, hashes): backup, restore, rebuild."""

    @property
    @abstractmethod
    def chain_name(self) -> str:
        """The hash chain this log is written with: "sha256" or "hmac-sha256"."""

    @abstractmethod
    def read_rows(self, after_seq: int, limit: int) -> list[Row]:
        """Events after `after_seq` exactly as stored (JSON texts, hash), in seq order."""

    @abstractmethod
    def import_rows(self, rows: Sequence[Row]) -> None:
        """Append rows exactly as given (a restore), in one transaction.

        They must continue the log: the first seq is the head's plus one.
        The caller checks their hash chain and history; this only stores them.
        """

    @contextmanager
    def importing(self) -> Iterator[None]:
        """Around the `import_rows` that fill a new, empty log (a restore).

        The store may then skip each transaction's fsync and build secondary
        indexes once, at the end: the caller syncs the files before anyone
        trusts them. A log that holds events already is refused.
        """
        if self.head_seq() != 0:
            raise LogCorrupted("only a new, empty log takes an import; this one holds events")
        with self._import_mode():
            yield

    @contextmanager
    def _import_mode(self) -> Iterator[None]:
        yield


class RelayCheckpoints(EventFeed):
    """The feed, and how far each relay has published it: bookkeeping beside the log."""

    @abstractmethod
    def relay_checkpoint(self, name: str) -> int:
        """Seq up to which the relay `name` has published this log (0 when none).

        A checkpoint recorded under another epoch of the log counts as none.
        """

    @abstractmethod
    def save_relay_checkpoint(self, name: str, seq: int) -> None:
        """Record that relay `name` has published up to `seq` of the current epoch.

        A short write transaction of its own, under the log's write lock, so it
        never interleaves with a batch; it must not be called inside one.
        """


class LogVerifier(ABC):
    """Checks the whole log against its hash chain."""

    @abstractmethod
    def verify(self, progress: ProgressCallback | None = None) -> VerifyReport:
        """Walk the whole log: hash chain, increasing seqs, gapless versions."""


class EventStore(EventLog, LogRows, RelayCheckpoints, LogVerifier):
    """An event store adapter: every capability above, and connections to release."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
