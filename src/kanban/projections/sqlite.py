"""The read database: SQLite, separate from the log, disposable.

Delete the file and the next start rebuilds it from the log. A file written by
another read-schema version is deleted and rebuilt the same way. Each
projection's tables, writes and reads live in a module of their own
(`sqlite_boards`, `sqlite_history`, `sqlite_access`, `sqlite_ordering`); this
one holds the checkpoints and puts them together.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from kanban.projections import render
from kanban.projections.reads import ReadStore
from kanban.projections.sqlite_access import (
    ACCESS_SCHEMA,
    ACCESS_TABLES,
    SQLiteAccessReads,
    SQLiteAccessWrites,
)
from kanban.projections.sqlite_boards import (
    BOARD_TABLES,
    BOARDS_SCHEMA,
    SQLiteBoardReads,
    SQLiteBoardWrites,
)
from kanban.projections.sqlite_history import (
    HISTORY_SCHEMA,
    HISTORY_TABLES,
    SQLiteHistoryReads,
    SQLiteHistoryWrites,
)
from kanban.projections.sqlite_ordering import (
    ORDERING_SCHEMA,
    ORDERING_TABLES,
    SQLiteOrderingWrites,
)
from kanban.projections.writes import Checkpoints, ReadTransaction
from kanban.sqlite.checkpointer import WAL_SIZE_LIMIT
from kanban.sqlite.database import Database, Tuning, value

READ_SCHEMA = 6

CHECKPOINTS_SCHEMA = """
CREATE TABLE checkpoints (name TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
"""
SCHEMA = CHECKPOINTS_SCHEMA + BOARDS_SCHEMA + HISTORY_SCHEMA + ORDERING_SCHEMA + ACCESS_SCHEMA

#: What each projection owns, so that one can be rebuilt alone.
TABLES = {"boards": BOARD_TABLES, "history": HISTORY_TABLES, "access": ACCESS_TABLES}

#: The read models: disposable, so NORMAL (a crash may lose the newest batches, which
#: their checkpoints, in the same transactions, then replay). Its commits do not fsync,
#: so a growing WAL costs them nothing: it starts over only at the size it is cut back to.
READ_TUNING = Tuning("NORMAL", WAL_SIZE_LIMIT)


class SQLiteReadStore(SQLiteBoardReads, SQLiteHistoryReads, SQLiteAccessReads, ReadStore):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fragments: OrderedDict[str, render.Fragments] = OrderedDict()
        self._views_lock = threading.Lock()
        # Another read-schema version is deleted: the read database is disposable.
        self._db = Database(self.path, READ_TUNING, "the read database", disposable=READ_SCHEMA)
        try:
            with self._db.errors("creating the read models"):
                self._create_schema(self._db.writer)
        except BaseException:
            self._db.close()
            raise

    @staticmethod
    def _create_schema(conn: sqlite3.Connection) -> None:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version == 0:
            conn.execute("BEGIN IMMEDIATE")
            (again,) = conn.execute("PRAGMA user_version").fetchone()
            if again == 0:
                for statement in _statements(SCHEMA):
                    conn.execute(statement)
                _Transaction(conn).reset_access()
                conn.execute(f"PRAGMA user_version = {READ_SCHEMA}")
            conn.execute("COMMIT")
        # Also after a rebuild that was killed between dropping and building them.
        _Transaction(conn).build_indexes()

    # --- writes --------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[ReadTransaction]:
        with self._lock:
            if self._db.closed:
                self._db.check_open()
            conn = self._db.writer
            with self._db.errors("starting a read-model transaction"):
                conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Transaction(conn)
            except BaseException:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise
            with self._db.errors("committing the read models"):
                conn.execute("COMMIT")
            self._db.checkpointer.restart(conn)

    # --- reads ---------------------------------------------------------------

    def access_generation(self) -> Hashable:
        # The counter the access tables' triggers move, read again only when
        # data_version says another connection (of this process or another)
        # committed since this thread last read it: a pragma, most of the time.
        db = self._db
        conn = db.reader()
        try:
            (version,) = conn.execute("PRAGMA data_version").fetchone()
            seen: tuple[int, int] | None = getattr(db.local, "access", None)
            if seen is not None and seen[0] == version:
                return seen[1]
            generation = int(conn.execute("SELECT n FROM access_generation").fetchone()[0])
        except sqlite3.Error as exc:
            raise db.translate(exc, "reading the access generation") from exc
        db.local.access = (version, generation)
        return generation

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.reader().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._db.translate(exc, "reading the read models") from exc

    def checkpoints(self) -> dict[str, int]:
        return dict(self._all("SELECT name, seq FROM checkpoints"))

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _SQLiteCheckpoints(Checkpoints):
    conn: sqlite3.Connection

    def checkpoint(self, name: str) -> int:
        return value(self.conn, "SELECT seq FROM checkpoints WHERE name = ?", (name,), 0)

    def set_checkpoint(self, name: str, seq: int) -> None:
        self.set_checkpoints({name: seq})

    def checkpoints(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT name, seq FROM checkpoints").fetchall())

    def set_checkpoints(self, checkpoints: dict[str, int]) -> None:
        self.conn.executemany(
            "INSERT INTO checkpoints (name, seq) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET seq = excluded.seq",
            checkpoints.items(),
        )


class _Transaction(
    _SQLiteCheckpoints,
    SQLiteBoardWrites,
    SQLiteHistoryWrites,
    SQLiteAccessWrites,
    SQLiteOrderingWrites,
    ReadTransaction,
):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def clear(self, name: str) -> None:
        if name == "access":
            self.reset_access()
        else:
            for table in TABLES[name]:
                self.conn.execute(f"DELETE FROM {table}")
        self.conn.execute("DELETE FROM checkpoints WHERE name = ?", (name,))

    def clear_all(self) -> None:
        for table in (*BOARD_TABLES, *HISTORY_TABLES, *ORDERING_TABLES, "checkpoints"):
            self.conn.execute(f"DELETE FROM {table}")
        self.reset_access()


def _statements(script: str) -> Iterator[str]:
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
