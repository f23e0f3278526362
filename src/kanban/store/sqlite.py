"""The SQLite event store: one database file in WAL mode, shared by processes.

Writes go through one connection per store guarded by a threading.Lock and
BEGIN IMMEDIATE, which also serialises writers in other processes. Reads use a
connection per thread, each read in a short transaction of its own, so a
reader sees one consistent snapshot and never waits for writers.
"""

from __future__ import annotations

import hmac
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from kanban.domain.errors import (
    LogCorrupted,
    LogKeyMismatch,
    StorageError,
)
from kanban.sqlite.checkpointer import WAL_RESTART_BYTES
from kanban.sqlite.database import Database, Tuning
from kanban.store import codec
from kanban.store.chain import GENESIS, Chain, ChainWalker, chain_rows
from kanban.store.migrations import apply_migrations
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


VERIFY_PAGE = 5000

CACHE_KIB = 64 * 1024
"""Page cache of the write connection (readers get a quarter each)."""
#: The log: FULL, so that an acknowledged commit survives power loss and kill -9.
LOG_TUNING = Tuning("FULL", WAL_RESTART_BYTES, CACHE_KIB, CACHE_KIB // 4)

_COLS = codec.ROW_COLUMNS
SQL_TAIL = "SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1"
SQL_STREAM_VERSION = "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = ?"
SQL_IMPORT_DEFERRED = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'"
    " AND name IN ('events_command_id', 'events_stream_recorded_at') ORDER BY name"
)
SQL_INSERT = (
    "INSERT INTO events (seq, stream_id, version, event_id, type, schema_version,"
    " data, metadata, recorded_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SQL_READ_STREAM = (
    f"SELECT {_COLS} FROM events WHERE stream_id = ? AND version >= ? AND version <= ?"
    " ORDER BY version"
)
SQL_READ_ALL = f"SELECT {_COLS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
SQL_FOR_COMMAND = f"SELECT {_COLS} FROM events WHERE command_id = ? ORDER BY seq"
SQL_VERSION_AT = (
    "SELECT version FROM events WHERE stream_id = ? AND recorded_at <= ?"
    " ORDER BY recorded_at DESC, seq DESC LIMIT 1"
)
SQL_STREAMS = "SELECT stream_id, max(version) FROM events GROUP BY stream_id ORDER BY min(seq)"
SQL_LOAD_SNAPSHOT = (
    "SELECT stream_id, version, schema, state FROM snapshots"
    " WHERE stream_id = ? AND version <= ? ORDER BY version DESC LIMIT 1"
)
SQL_SAVE_SNAPSHOT = (
    "INSERT OR REPLACE INTO snapshots (stream_id, version, schema, state) VALUES (?, ?, ?, ?)"
)
SQL_RELAY_CHECKPOINT = "SELECT seq FROM relay_checkpoints WHERE name = ? AND epoch = ?"
SQL_SAVE_RELAY_CHECKPOINT = (
    "INSERT OR REPLACE INTO relay_checkpoints (name, epoch, seq) VALUES (?, ?, ?)"
)

_MAX_VERSION = 2**63 - 1


class _Tail(NamedTuple):
    seq: int
    hash: bytes
    recorded_at: str


class SQLiteEventStore(EventStore):
    """The event log in one SQLite file; safe for many threads and processes.

    Opening applies pending migrations, creates the log's epoch on first open
    and checks the log key: `key` makes the hash chain an HMAC, and a keyed log
    opens only with the same key (LogKeyMismatch otherwise).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        key: bytes | None = None,
        clock: Clock | None = None,
        busy_timeout_ms: int = 30000,
        epoch: str | None = None,
    ) -> None:
        self.path = Path(path)
        #: The epoch a new log takes (default: a fresh one); ignored once created.
        self._new_epoch = epoch
        self._chain = Chain(key)
        self._clock: Clock = clock or (lambda: datetime.now(UTC))
        self._write_lock = threading.Lock()
        self._writer_thread: int | None = None
        tuning = replace(LOG_TUNING, busy_timeout_ms=busy_timeout_ms)
        self._db = Database(self.path, tuning, "the event log")
        self._writer = self._db.writer
        #: Wraps every statement: the database's own, not a method calling it.
        self._errors = self._db.errors
        try:
            with self._errors("opening the event log"):
                apply_migrations(self._writer)
                self._epoch = self._init_meta()
        except BaseException:
            self._db.close()
            raise

    # --- connections ---------------------------------------------------------

    @contextmanager
    def _read(self, action: str) -> Iterator[sqlite3.Connection]:
        """This thread's reader, for one statement (its own snapshot: no BEGIN needed,
        and each statement more hands the GIL to another thread and back)."""
        conn = self._db.reader()
        with self._db.errors(action):
            yield conn

    def _init_meta(self) -> str:
        """Create epoch and chain facts once; check the key against them."""
        conn = self._writer
        meta = dict(conn.execute("SELECT key, value FROM log_meta").fetchall())
        if "epoch" not in meta or "chain" not in meta:
            conn.execute("BEGIN IMMEDIATE")
            try:
                fresh = {"epoch": self._new_epoch or uuid.uuid4().hex, "chain": self._chain.name}
                check = self._chain.key_check()
                if check is not None:
                    fresh["key_check"] = check
                # OR IGNORE: another process may have won the race to create them.
                conn.executemany(
                    "INSERT OR IGNORE INTO log_meta (key, value) VALUES (?, ?)", fresh.items()
                )
                conn.execute("COMMIT")
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            meta = dict(conn.execute("SELECT key, value FROM log_meta").fetchall())
        self._check_key(meta)
        return str(meta["epoch"])

    def _check_key(self, meta: Mapping[str, str]) -> None:
        chain = meta["chain"]
        if chain == self._chain.name == "sha256":
            return
        if chain == "hmac-sha256" and self._chain.name == "sha256":
            raise LogKeyMismatch(
                f"the event log at {self.path} is keyed (hmac-sha256) but no log key was "
                "given; configure the key it was created with"
            )
        if chain == "sha256":
            raise LogKeyMismatch(
                f"the event log at {self.path} is not keyed (plain sha256) but a log key was "
                "given; remove the key setting"
            )
        if chain != "hmac-sha256":
            raise LogKeyMismatch(f"the event log at {self.path} uses unknown chain {chain!r}")
        expected = self._chain.key_check() or ""
        if not hmac.compare_digest(meta.get("key_check", ""), expected):
            raise LogKeyMismatch(
                f"the configured log key does not match the key the event log at {self.path} "
                "was created with"
            )

    # --- writing -----------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        if self._writer_thread == threading.get_ident():
            raise RuntimeError("batches do not nest; use batch.unit() inside a batch")
        with self._write_lock:
            self._db.check_open()
            self._writer_thread = threading.get_ident()
            conn = self._writer
            try:
                # Before this write rather than after the last: the batch before it
                # is answered and projected without waiting for the WAL to start over.
                self._db.checkpointer.restart(conn)
                with self._errors("starting a write transaction"):
                    conn.execute("BEGIN IMMEDIATE")
                batch: _SQLiteBatch | None = None
                try:
                    batch = _SQLiteBatch(self, conn)
                    yield batch
                except BaseException:
                    if batch is not None:
                        batch.closed = True
                    if conn.in_transaction:
                        with suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                    raise
                batch.closed = True
                if batch.doomed:
                    if conn.in_transaction:  # an I/O error may have ended it already
                        with self._errors("rolling back"):
                            conn.execute("ROLLBACK")
                    return
                with self._errors("committing"):
                    try:
                        conn.execute("COMMIT")
                    except sqlite3.Error:
                        if conn.in_transaction:
                            with suppress(sqlite3.Error):
                                conn.execute("ROLLBACK")
                        raise
            finally:
                self._writer_thread = None

    # --- reading -------------------------------------------------------------

    def read_stream(
        self, stream_id: str, from_version: int = 1, to_version: int | None = None
    ) -> list[StoredEvent]:
        top = _MAX_VERSION if to_version is None else to_version
        with self._read("reading a stream") as conn:
            rows = conn.execute(SQL_READ_STREAM, (stream_id, from_version, top)).fetchall()
        return [codec.to_stored(row) for row in rows]

    def read_all(self, after_seq: int = 0, limit: int | None = None) -> list[StoredEvent]:
        with self._read("reading the log") as conn:
            params = (after_seq, -1 if limit is None else limit)
            rows = conn.execute(SQL_READ_ALL, params).fetchall()
        return [codec.to_stored(row) for row in rows]

    @property
    def chain_name(self) -> str:
        return self._chain.name

    def read_rows(self, after_seq: int, limit: int) -> list[Row]:
        with self._read("reading the log") as conn:
            found: list[Row] = conn.execute(SQL_READ_ALL, (after_seq, limit)).fetchall()
        return found

    def import_rows(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        with self.batch() as batch:
            assert isinstance(batch, _SQLiteBatch)
            head = batch._tail.seq
            if rows[0][0] != head + 1:
                raise LogCorrupted(
                    f"rows to import start at seq {rows[0][0]}, but the log's head is {head}"
                )
            with self._errors("importing events"):
                self._writer.executemany(SQL_INSERT, rows)

    @contextmanager
    def _import_mode(self) -> Iterator[None]:
        # No fsync per page (restore syncs the new files once, before the swap), and the
        # indexes only lookups by command and by time use are built once, after the rows:
        # a sorted build instead of a random insert per row, about half an import's time.
        with self._write_lock, self._errors("preparing an import"):
            deferred = self._writer.execute(SQL_IMPORT_DEFERRED).fetchall()
            for name, _ in deferred:
                self._writer.execute(f"DROP INDEX {name}")
            self._writer.execute("PRAGMA synchronous = OFF")
        try:
            yield
        finally:
            with self._write_lock, self._errors("finishing an import"):
                self._writer.execute("PRAGMA synchronous = FULL")
                for _, sql in deferred:
                    self._writer.execute(sql)

    def head_seq(self) -> int:
        with self._read("reading the head") as conn:
            (seq,) = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
        return int(seq)

    def stream_version(self, stream_id: str) -> int:
        with self._read("reading a stream version") as conn:
            (version,) = conn.execute(SQL_STREAM_VERSION, (stream_id,)).fetchone()
        return int(version)

    def streams(self) -> list[StreamInfo]:
        with self._read("listing streams") as conn:
            rows = conn.execute(SQL_STREAMS).fetchall()
        return [StreamInfo(stream_id, version) for stream_id, version in rows]

    def version_at(self, stream_id: str, at: datetime) -> int:
        moment = codec.format_time(at)
        with self._read("reading a past version") as conn:
            row = conn.execute(SQL_VERSION_AT, (stream_id, moment)).fetchone()
        return 0 if row is None else int(row[0])

    def load_snapshot(self, stream_id: str, max_version: int | None = None) -> Snapshot | None:
        top = _MAX_VERSION if max_version is None else max_version
        with self._read("loading a snapshot") as conn:
            row = conn.execute(SQL_LOAD_SNAPSHOT, (stream_id, top)).fetchone()
        return None if row is None else Snapshot(row[0], row[1], row[2], bytes(row[3]))

    def epoch(self) -> str:
        return self._epoch

    def verify(self, progress: ProgressCallback | None = None) -> VerifyReport:
        """Walk the log in pages of short read transactions, so memory stays flat."""
        walker = ChainWalker(self._chain)
        total = self.head_seq()
        while True:
            with self._read("verifying the log") as conn:
                rows = conn.execute(SQL_READ_ALL, (walker.last_seq, VERIFY_PAGE)).fetchall()
            for row in rows:
                reason = walker.check(row)
                if reason is not None:
                    head = max(total, self.head_seq())
                    return VerifyReport(False, walker.checked, head, row[0], reason)
            total = max(total, walker.checked)
            if progress is not None:
                progress(walker.checked, total)
            if len(rows) < VERIFY_PAGE:
                return VerifyReport(True, walker.checked, walker.last_seq)

    # --- relay checkpoints -----------------------------------------------------

    def relay_checkpoint(self, name: str) -> int:
        with self._read("reading a relay checkpoint") as conn:
            row = conn.execute(SQL_RELAY_CHECKPOINT, (name, self._epoch)).fetchone()
        return 0 if row is None else int(row[0])

    def save_relay_checkpoint(self, name: str, seq: int) -> None:
        if self._writer_thread == threading.get_ident():
            raise RuntimeError("save_relay_checkpoint() inside a batch would deadlock")
        with self._write_lock:
            self._db.check_open()
            conn = self._writer
            with self._errors("saving a relay checkpoint"):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute(SQL_SAVE_RELAY_CHECKPOINT, (name, self._epoch, seq))
                    conn.execute("COMMIT")
                finally:
                    if conn.in_transaction:
                        with suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")

    def close(self) -> None:
        if self._writer_thread == threading.get_ident():
            raise RuntimeError("close() inside a batch would deadlock; close after it")
        # Taking the write lock lets a batch in another thread finish first.
        with self._write_lock:
            self._db.close()


class _SQLiteBatch(Batch):
    """A batch on the writer connection; its tail is what the next append chains to."""

    def __init__(self, store: SQLiteEventStore, conn: sqlite3.Connection) -> None:
        self._store = store
        self._conn = conn
        self._units = 0
        self.closed = False
        #: Its unit alone raised: the batch must roll back, not commit.
        self.doomed = False
        #: Stream versions read or written in this batch.
        self._versions: dict[str, int] = {}
        # Re-read inside the lock: another process may have appended since.
        with store._errors("reading the tail of the log"):
            row = conn.execute(SQL_TAIL).fetchone()
        if row is None:
            self._tail = _Tail(0, GENESIS, "")
        else:
            try:
                self._tail = _Tail(row[0], bytes.fromhex(row[1]), row[2])
            except (ValueError, TypeError) as exc:
                raise LogCorrupted(
                    f"the newest event (seq {row[0]}) has a malformed hash; run verify"
                ) from exc

    def _check(self) -> None:
        if self.closed:
            raise RuntimeError("this batch has already committed or rolled back")

    @contextmanager
    def unit(self, alone: bool = False) -> Iterator[None]:
        self._check()
        if self.doomed:
            raise RuntimeError("this batch's unit alone failed: it can only roll back")
        if alone and self._units:
            raise RuntimeError("a unit alone must be its batch's first")
        self._units += 1
        # Alone, no savepoint (two statements fewer per command written alone):
        # if it raises, the whole batch rolls back instead of committing.
        name = None if alone else f"unit{self._units}"
        tail = self._tail
        if name is not None:
            with self._store._errors("opening a savepoint"):
                self._conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._tail = tail
            self._versions.clear()  # what the unit appended is gone
            if name is None:
                self.doomed = True
            # Some errors (disk full, I/O) end the whole transaction, savepoints too.
            elif self._conn.in_transaction:
                with self._store._errors("rolling back a savepoint"):
                    self._conn.execute(f"ROLLBACK TO {name}")
                    self._conn.execute(f"RELEASE {name}")
            raise
        if name is not None:
            with self._store._errors("releasing a savepoint"):
                self._conn.execute(f"RELEASE {name}")

    def stream_version(self, stream_id: str) -> int:
        self._check()
        # The write lock is held: only this batch moves a stream (see `_append`).
        known = self._versions.get(stream_id)
        if known is not None:
            return known
        with self._store._errors("reading a stream version"):
            (version,) = self._conn.execute(SQL_STREAM_VERSION, (stream_id,)).fetchone()
        self._versions[stream_id] = int(version)
        return int(version)

    def read_stream(
        self, stream_id: str, from_version: int = 1, to_version: int | None = None
    ) -> list[StoredEvent]:
        self._check()
        top = _MAX_VERSION if to_version is None else to_version
        with self._store._errors("reading a stream"):
            rows = self._conn.execute(SQL_READ_STREAM, (stream_id, from_version, top)).fetchall()
        return [codec.to_stored(row) for row in rows]

    def events_for_command(self, command_id: str) -> list[StoredEvent]:
        self._check()
        with self._store._errors("looking up a command"):
            rows = self._conn.execute(SQL_FOR_COMMAND, (command_id,)).fetchall()
        return [codec.to_stored(row) for row in rows]

    def _append(
        self,
        stream_id: str,
        actual: int,
        events: Sequence[NewEvent],
        metadata: Mapping[str, Any],
    ) -> list[StoredEvent]:
        store = self._store
        rows = chain_rows(
            store._chain, store._clock, self._tail, stream_id, actual, events, metadata
        )
        with self._store._errors("appending events"):
            try:
                self._insert(rows)
            except sqlite3.IntegrityError as exc:
                if "event_id" not in str(exc):
                    raise
                raise StorageError(
                    f"an event id appended to stream {stream_id!r} is already in the log; "
                    "nothing was written"
                ) from exc
        last = rows[-1]
        self._tail = _Tail(last[0], bytes.fromhex(last[9]), last[8])
        self._versions[stream_id] = actual + len(rows)
        return codec.appended(rows, events, metadata)

    def _insert(self, rows: list[Row]) -> None:
        conn = self._conn
        if len(rows) == 1:
            # One statement is atomic by itself: the common case skips the savepoint.
            conn.execute(SQL_INSERT, rows[0])
            return
        # executemany runs one statement per row; the savepoint makes the append
        # all-or-nothing when a later row fails (say, a duplicate event id).
        conn.execute("SAVEPOINT append")
        try:
            conn.executemany(SQL_INSERT, rows)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO append")
                conn.execute("RELEASE append")
            raise
        conn.execute("RELEASE append")

    def save_snapshot(self, snapshot: Snapshot) -> None:
        self._check()
        with self._store._errors("saving a snapshot"):
            self._conn.execute(
                SQL_SAVE_SNAPSHOT,
                (snapshot.stream_id, snapshot.version, snapshot.schema, snapshot.state),
            )
