"""The event store interface every adapter implements.

The store is domain-agnostic: it keeps typed JSON records in streams and knows
nothing of boards. Encoding events to dicts and folding them is the job of
`kanban.domain` and `kanban.service`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from kanban.domain.errors import ConcurrencyError, LogCorrupted

JSONDict = dict[str, Any]

Row = tuple[int, str, int, str, str, int, str, str, str, str]
"""seq, stream_id, version, event_id, type, schema_version, data, metadata,
recorded_at, hash: an event exactly as stored (data and metadata as JSON text)."""


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended: its id, type, schema version and data."""

    event_id: str
    type: str
    schema_version: int
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the log holds it.

    `seq` is the global, gapless, strictly increasing position in the log;
    `version` is the position within its stream (1, 2, 3 ... per board).
    """

    seq: int
    stream_id: str
    version: int
    event_id: str
    type: str
    schema_version: int
    data: JSONDict
    metadata: JSONDict
    recorded_at: datetime
    hash: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A cached fold of a stream up to `version`, in a format named by `schema`."""

    stream_id: str
    version: int
    schema: int
    state: bytes


@dataclass(frozen=True, slots=True)
class StreamInfo:
    stream_id: str
    version: int


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Outcome of walking the hash chain: `ok`, how many events, the first bad one."""

    ok: bool
    checked: int
    head_seq: int
    first_bad_seq: int | None = None
    reason: str | None = None


ProgressCallback = Callable[[int, int], None]
"""Called with (events done, events in total) during long walks."""


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

        Raises ConcurrencyError (writing nothing) when it is not.
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


class EventStore(EventFeed):
    """The append-only event log (and the authoritative feed of its events)."""

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

    def iter_all(self, after_seq: int = 0, page: int = 1000) -> Iterator[StoredEvent]:
        """Every committed event after `after_seq`, read in short pages."""
        while True:
            events = self.read_all(after_seq, page)
            yield from events
            if len(events) < page:
                return
            after_seq = events[-1].seq

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

    @abstractmethod
    def verify(self, progress: ProgressCallback | None = None) -> VerifyReport:
        """Walk the whole log: hash chain, increasing seqs, gapless versions."""

    # --- rows exactly as stored: backup and restore --------------------------

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

    # --- relay checkpoints: bookkeeping beside the log, not part of it --------

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
