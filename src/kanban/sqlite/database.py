"""One SQLite database file: its writer, a reader per thread, its tuning, its errors.

The event log and the read database open their files here, so both get WAL,
owner-only files, a busy timeout, checkpoints beside the writer and driver
errors as `StorageError`; they differ only in their `Tuning`. Each thread reads
through its own `query_only` connection; the owner of a `Database` keeps its
writer to one thread at a time.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from kanban.domain.errors import StorageError
from kanban.sqlite.checkpointer import WAL_SIZE_LIMIT, Checkpointer


@dataclass(frozen=True, slots=True)
class Tuning:
    """How a database trades durability for speed (ADRs 0002, 0004 and 0011)."""

    #: The writer's PRAGMA synchronous: FULL survives power loss; NORMAL may lose the
    #: newest commits (to be replayed), and its commits do not fsync.
    synchronous: str
    #: The WAL is started over once it holds this many bytes (`Checkpointer.restart`).
    restart_bytes: int
    #: Page cache of the writer and of each reader, in KiB (None: SQLite's default).
    writer_cache_kib: int | None = None
    reader_cache_kib: int | None = None
    busy_timeout_ms: int = 30_000


def private_file(path: str | Path) -> None:
    """Create a database file readable by its owner only (SQLite gives its -wal and
    -shm files the same mode): the log and the read models hold password hashes."""
    if str(path) != ":memory:" and not os.path.exists(path):
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


T = TypeVar("T")


def value(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...], default: T) -> T:
    """The first column of the query's first row (of `default`'s type); `default` if none."""
    row = conn.execute(sql, args).fetchone()
    return row[0] if row else default


def is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class Database:
    """A database file in WAL mode: one writer connection, readers per thread, checkpoints.

    `name` says what it is in error messages ("the event log"). `disposable`:
    the schema version (`PRAGMA user_version`) of a database that may be thrown
    away; a file of another non-zero version is deleted and made anew.
    """

    def __init__(
        self, path: str | Path, tuning: Tuning, name: str, *, disposable: int | None = None
    ) -> None:
        self.path = Path(path)
        self.tuning = tuning
        self.name = name
        self.closed = False
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self.writer = self._open_writer(disposable)
        self.checkpointer = Checkpointer(self.path, restart_bytes=tuning.restart_bytes)

    # --- errors ----------------------------------------------------------------

    def errors(self, action: str) -> Translated:
        """Turn driver errors into StorageError, saying what we were doing."""
        return Translated(self, action)

    def translate(self, exc: sqlite3.Error, action: str) -> StorageError:
        if is_busy(exc):
            return StorageError(
                f"{self.name} at {self.path} stayed locked by another writer for more "
                f"than {self.tuning.busy_timeout_ms} ms while {action}; retry"
            )
        return StorageError(f"SQLite failed while {action} ({self.path}): {exc}")

    def check_open(self) -> None:
        if self.closed:
            raise StorageError(f"{self.name} is closed")

    # --- connections -------------------------------------------------------------

    def _connect(self, cache_kib: int | None) -> sqlite3.Connection:
        # check_same_thread=False: the writer is used by whichever thread holds its
        # owner's lock, and close() closes every thread's reader.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.tuning.busy_timeout_ms)}")
            if cache_kib is not None:
                # The default 2 MB page cache makes every insert into the log's
                # random-keyed indexes (event_id, command_id) a read once the log
                # outgrows it; appends then slow down as the log grows.
                conn.execute(f"PRAGMA cache_size = {-cache_kib}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_writer(self, disposable: int | None) -> sqlite3.Connection:
        with self.errors(f"opening {self.name}"):
            private_file(self.path)
            conn = self._connect(self.tuning.writer_cache_kib)
            try:
                if disposable is not None:
                    (version,) = conn.execute("PRAGMA user_version").fetchone()
                    if version not in (0, disposable):
                        conn.close()
                        for suffix in ("", "-wal", "-shm"):
                            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                        private_file(self.path)
                        conn = self._connect(self.tuning.writer_cache_kib)
                self._enable_wal(conn)
                conn.execute(f"PRAGMA synchronous = {self.tuning.synchronous}")
                # Checkpoints run beside the writer (Checkpointer), not inside a commit.
                conn.execute("PRAGMA wal_autocheckpoint = 0")
                conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
            except BaseException:
                conn.close()
                raise
        return conn

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        # Switching a fresh file to WAL can report "locked" without consulting the
        # busy handler while another process does the same, so retry.
        deadline = time.monotonic() + self.tuning.busy_timeout_ms / 1000
        while True:
            try:
                (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
                break
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        if str(mode).lower() != "wal":
            raise StorageError(f"could not put {self.path} in WAL mode (got {mode!r})")

    def reader(self) -> sqlite3.Connection:
        """This thread's read-only connection: each statement reads its own snapshot."""
        if self.closed:  # not check_open(): every read passes here
            self.check_open()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self.errors(f"connecting to {self.name}"):
                conn = self._connect(self.tuning.reader_cache_kib)
                conn.execute("PRAGMA query_only = ON")
            with self._readers_lock:
                if self.closed:  # close() ran while we connected
                    conn.close()
                    self.check_open()
                self._readers.append(conn)
            self._local.conn = conn
        return conn

    @property
    def local(self) -> threading.local:
        """Per-thread memory beside each thread's reader (say, what it last read)."""
        return self._local

    def close(self) -> None:
        """Stop the checkpoints and close every connection; the owner holds its writer lock."""
        if self.closed:
            return
        self.closed = True
        self.checkpointer.stop()
        self.writer.close()
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()


class Translated:
    """`Database.errors`: a class, as it wraps every statement (a generator-based
    context manager costs several times as much)."""

    __slots__ = ("action", "database")

    def __init__(self, database: Database, action: str) -> None:
        self.database = database
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, sqlite3.Error):
            raise self.database.translate(exc, self.action) from exc
