"""The read database: SQLite, separate from the log, disposable.

Delete the file and the next start rebuilds it from the log. A file written by
another read-schema version is deleted and rebuilt the same way.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import orjson

from kanban.domain.errors import StorageError
from kanban.projections import render
from kanban.projections.base import (
    BoardRow,
    CardWrite,
    HistoryRow,
    HistoryTuple,
    ReadStore,
    ReadTransaction,
)
from kanban.projections.sqlite_access import (
    ACCESS_SCHEMA,
    ACCESS_TABLES,
    SQLiteAccessReads,
    SQLiteAccessWrites,
)
from kanban.sqlite.checkpointer import WAL_SIZE_LIMIT
from kanban.sqlite.database import Database, Tuning

READ_SCHEMA = 6
#: Boards whose card fragments a reader keeps between views.
FRAGMENT_BOARDS = 256

SCHEMA = """
CREATE TABLE checkpoints (name TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE boards (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, version INTEGER NOT NULL, seq INTEGER NOT NULL,
    archived INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    frame BLOB NOT NULL
);
CREATE TABLE cards (
    id INTEGER PRIMARY KEY, board_id TEXT NOT NULL, card_id TEXT NOT NULL,
    version INTEGER NOT NULL, body BLOB NOT NULL, UNIQUE (board_id, card_id)
);
-- A reader assembling a board's view fetches the cards changed since it last did.
CREATE INDEX cards_changed ON cards (board_id, version);
CREATE VIRTUAL TABLE cards_fts USING fts5(title, description, tokenize = 'unicode61');
CREATE TABLE history (
    seq INTEGER PRIMARY KEY, board_id TEXT NOT NULL, version INTEGER NOT NULL,
    type TEXT NOT NULL, data BLOB NOT NULL, actor TEXT NOT NULL, recorded_at TEXT NOT NULL,
    summary TEXT NOT NULL, unit_id TEXT NOT NULL, undo_of TEXT, redo_of TEXT, card_id TEXT
);
CREATE TABLE units (
    board_id TEXT NOT NULL, unit_id TEXT NOT NULL, undone INTEGER NOT NULL,
    PRIMARY KEY (board_id, unit_id)
) WITHOUT ROWID;
CREATE TABLE names (
    board_id TEXT NOT NULL, key TEXT NOT NULL, title TEXT NOT NULL, PRIMARY KEY (board_id, key)
) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE stream_versions (
    stream_id TEXT PRIMARY KEY, version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE applied (seq INTEGER PRIMARY KEY);
"""

#: Indexes a rebuild drops while it appends, and builds once after (see `bulk`).
DEFERRED_INDEXES = {
    "history_board": "history (board_id, seq)",
    "history_card": "history (board_id, card_id, seq)",
}

#: What each projection owns, so that one can be rebuilt alone.
TABLES = {
    "boards": ("boards", "cards", "cards_fts"),
    "history": ("history", "units", "names"),
    "access": ACCESS_TABLES,
}
#: The out-of-order applier's bookkeeping (distributed mode).
ORDERING_TABLES = ("meta", "stream_versions", "applied")

HISTORY_COLUMNS = (
    "h.seq, h.version, h.type, h.data, h.actor, h.recorded_at, h.summary, h.undo_of, "
    "h.redo_of, h.unit_id, coalesce(u.undone, 0) AND h.undo_of IS NULL AND h.redo_of IS NULL,"
    " coalesce(p.display_name, h.actor)"
)
HISTORY_FROM = (
    "FROM history h LEFT JOIN units u ON u.board_id = h.board_id AND u.unit_id = h.unit_id"
    " LEFT JOIN users p ON p.user_id = h.actor"
)


#: The read models: disposable, so NORMAL (a crash may lose the newest batches, which
#: their checkpoints, in the same transactions, then replay). Its commits do not fsync,
#: so a growing WAL costs them nothing: it starts over only at the size it is cut back to.
READ_TUNING = Tuning("NORMAL", WAL_SIZE_LIMIT)


class SQLiteReadStore(SQLiteAccessReads, ReadStore):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        #: Per board, the card fragments last read, to assemble the next view from.
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
                for statement in _statements(SCHEMA + ACCESS_SCHEMA):
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
            self._db.restart_wal()

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

    def boards(self, member: str | None = None, everyone: bool = False) -> list[dict[str, Any]]:
        join = "LEFT JOIN" if everyone or member is None else "JOIN"
        rows = self._all(
            "SELECT b.id, b.title, b.version, b.archived, b.created_at, b.updated_at, m.role"
            f" FROM boards b {join} members m ON m.board_id = b.id AND m.user_id = ?"
            " ORDER BY b.created_at, b.id",
            (member,),
        )
        return [
            {
                "id": i,
                "title": t,
                "version": v,
                "archived": bool(a),
                "created_at": c,
                "updated_at": u,
                "role": r,
            }
            for i, t, v, a, c, u, r in rows
        ]

    def board_version(self, board_id: str) -> int | None:
        rows = self._all("SELECT version FROM boards WHERE id = ?", (board_id,))
        return rows[0][0] if rows else None

    def board_view(self, board_id: str, include_archived: bool) -> tuple[int, bytes] | None:
        with self._views_lock:
            try:
                return self._assemble(board_id, include_archived)
            except KeyError:
                # A fragment missing from what was kept: fetch them all again.
                self._fragments.pop(board_id, None)
            try:
                return self._assemble(board_id, include_archived)
            except KeyError as exc:
                raise StorageError(
                    f"board {board_id} lists card {exc} but has no row for it"
                ) from exc

    def _assemble(self, board_id: str, include_archived: bool) -> tuple[int, bytes] | None:
        found = self._frame_and_fragments(board_id)
        if found is None:
            return None
        version, board_frame, kept = found
        return version, render.assemble(board_frame, kept.cards, include_archived)

    def _frame_and_fragments(
        self, board_id: str
    ) -> tuple[int, dict[str, Any], render.Fragments] | None:
        """The board's frame, and its cards' fragments as of that frame, in one snapshot."""
        conn = self._db.reader()
        try:
            conn.execute("BEGIN")
            try:
                row = conn.execute(
                    "SELECT version, frame FROM boards WHERE id = ?", (board_id,)
                ).fetchone()
                if row is None:
                    return None
                version, board_frame = row[0], orjson.loads(row[1])
                kept = self._fragments.get(board_id)
                if kept is None or kept.version > version:
                    kept = render.Fragments()
                if kept.version < version:
                    changed = conn.execute(
                        "SELECT card_id, body FROM cards WHERE board_id = ? AND version > ?",
                        (board_id, kept.version),
                    ).fetchall()
                    kept.update(version, changed, board_frame)
            finally:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._db.translate(exc, "reading a board's view") from exc
        self._fragments[board_id] = kept
        self._fragments.move_to_end(board_id)
        while len(self._fragments) > FRAGMENT_BOARDS:
            self._fragments.popitem(last=False)
        return version, board_frame, kept

    def card(self, board_id: str, card_id: str) -> dict[str, Any] | None:
        rows = self._all(
            "SELECT version, body FROM cards WHERE board_id = ? AND card_id = ?",
            (board_id, card_id),
        )
        if not rows:
            return None
        return {"board_id": board_id, **orjson.loads(rows[0][1]), "version": rows[0][0]}

    def history(
        self,
        board_id: str,
        limit: int,
        before_seq: int | None = None,
        card_id: str | None = None,
    ) -> list[dict[str, Any]]:
        where, args = ["h.board_id = ?"], [board_id]
        if before_seq is not None:
            where.append("h.seq < ?")
            args.append(before_seq)  # type: ignore[arg-type]
        if card_id is not None:
            where.append("h.card_id = ?")
            args.append(card_id)
        rows = self._all(
            f"SELECT {HISTORY_COLUMNS} {HISTORY_FROM} WHERE {' AND '.join(where)}"
            " ORDER BY h.seq DESC LIMIT ?",
            [*args, limit],
        )
        return [_history_item(row) for row in rows]

    def history_after(self, board_id: str, after_seq: int, limit: int) -> list[dict[str, Any]]:
        rows = self._all(
            f"SELECT {HISTORY_COLUMNS} {HISTORY_FROM} WHERE h.board_id = ? AND h.seq > ?"
            " ORDER BY h.seq LIMIT ?",
            (board_id, after_seq, limit),
        )
        return [_history_item(row) for row in rows]

    def search(self, query: str, limit: int, member: str | None = None) -> list[dict[str, Any]]:
        terms = re.findall(r"\w+", query)
        if not terms:
            return []
        # Each word as a quoted prefix term: user input never reaches FTS syntax.
        match = " ".join(f'"{t}"*' for t in terms)
        mine, args = "", [match]
        if member is not None:
            mine = " JOIN members m ON m.board_id = c.board_id AND m.user_id = ?"
            args.insert(0, member)
        rows = self._all(
            "SELECT c.board_id, c.body, c.version, snippet(cards_fts, -1, '[', ']', '...', 12)"
            " FROM cards_fts"
            f" JOIN cards c ON c.id = cards_fts.rowid{mine} WHERE cards_fts MATCH ?"
            " ORDER BY rank LIMIT ?",
            (*args, limit),
        )
        return [
            {"board_id": board_id, **orjson.loads(body), "version": version, "snippet": snippet}
            for board_id, body, version, snippet in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _Transaction(SQLiteAccessWrites, ReadTransaction):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def checkpoint(self, name: str) -> int:
        row = self.conn.execute("SELECT seq FROM checkpoints WHERE name = ?", (name,)).fetchone()
        return row[0] if row else 0

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

    def clear(self, name: str) -> None:
        if name == "access":
            self.reset_access()
        else:
            for table in TABLES[name]:
                self.conn.execute(f"DELETE FROM {table}")
        self.conn.execute("DELETE FROM checkpoints WHERE name = ?", (name,))

    def clear_all(self) -> None:
        for table in (*TABLES["boards"], *TABLES["history"], *ORDERING_TABLES, "checkpoints"):
            self.conn.execute(f"DELETE FROM {table}")
        self.reset_access()

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def stream_version(self, stream_id: str) -> int:
        row = self.conn.execute(
            "SELECT version FROM stream_versions WHERE stream_id = ?", (stream_id,)
        ).fetchone()
        return row[0] if row else 0

    def set_stream_versions(self, versions: dict[str, int]) -> None:
        self.conn.executemany(
            "INSERT INTO stream_versions (stream_id, version) VALUES (?, ?)"
            " ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version",
            list(versions.items()),
        )

    def mark_applied(self, seqs: Sequence[int]) -> int:
        watermark = int(self.meta("watermark") or 0)
        self.conn.executemany(
            "INSERT OR IGNORE INTO applied (seq) VALUES (?)",
            [(s,) for s in seqs if s > watermark],
        )
        for (seq,) in self.conn.execute(
            "SELECT seq FROM applied WHERE seq > ? ORDER BY seq", (watermark,)
        ):
            if seq != watermark + 1:
                break
            watermark = seq
        self.conn.execute("DELETE FROM applied WHERE seq <= ?", (watermark,))
        self.set_meta("watermark", str(watermark))
        return watermark

    def board_version(self, board_id: str) -> int:
        row = self.conn.execute("SELECT version FROM boards WHERE id = ?", (board_id,)).fetchone()
        return row[0] if row else 0

    def put_board(self, row: BoardRow, frame: bytes) -> None:
        self.conn.execute(
            "INSERT INTO boards (id, title, version, seq, archived, created_at, updated_at,"
            " frame) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " title = excluded.title, version = excluded.version, seq = excluded.seq,"
            " archived = excluded.archived, updated_at = excluded.updated_at,"
            " frame = excluded.frame",
            (
                row.id,
                row.title,
                row.version,
                row.seq,
                row.archived,
                row.created_at,
                row.updated_at,
                frame,
            ),
        )

    def put_cards(self, board_id: str, cards: Sequence[CardWrite]) -> None:
        # Each card's fragment of the board's view, serialized once, here.
        self.conn.executemany(
            "INSERT INTO cards (board_id, card_id, version, body) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (board_id, card_id) DO UPDATE SET version = excluded.version,"
            " body = excluded.body",
            [(board_id, card["id"], version, orjson.dumps(card)) for card, version, _ in cards],
        )
        # FTS5 writes a segment per transaction it is touched in: a third of a small
        # batch's cost, for a move or an archive that leaves the words as they were.
        texts = {card["id"]: card for card, _, text_changed in cards if text_changed}
        if not texts:
            return
        rowids = self.conn.execute(
            "SELECT id, card_id FROM cards WHERE board_id = ?"
            " AND card_id IN (SELECT value FROM json_each(?))",
            (board_id, orjson.dumps(list(texts))),
        ).fetchall()
        self.conn.executemany("DELETE FROM cards_fts WHERE rowid = ?", [(r,) for r, _ in rowids])
        self.conn.executemany(
            "INSERT INTO cards_fts (rowid, title, description) VALUES (?, ?, ?)",
            [(r, texts[c]["title"], texts[c]["description"]) for r, c in rowids],
        )

    def delete_card(self, board_id: str, card_id: str) -> None:
        row = self.conn.execute(
            "DELETE FROM cards WHERE board_id = ? AND card_id = ? RETURNING id",
            (board_id, card_id),
        ).fetchone()
        if row:
            self.conn.execute("DELETE FROM cards_fts WHERE rowid = ?", row)

    def add_history(self, rows: Sequence[HistoryRow]) -> None:
        self.add_history_rows(
            [
                (
                    r.seq,
                    r.board_id,
                    r.version,
                    r.type,
                    orjson.dumps(r.data),
                    r.actor,
                    r.recorded_at,
                    r.summary,
                    r.unit_id,
                    r.undo_of,
                    r.redo_of,
                    r.card_id,
                )
                for r in rows
            ]
        )

    def add_history_rows(self, rows: Sequence[HistoryTuple]) -> None:
        self.conn.executemany(
            "INSERT INTO history (seq, board_id, version, type, data, actor, recorded_at,"
            " summary, unit_id, undo_of, redo_of, card_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def defer_indexes(self) -> None:
        for name in DEFERRED_INDEXES:
            self.conn.execute(f"DROP INDEX IF EXISTS {name}")

    def build_indexes(self) -> None:
        for name, on in DEFERRED_INDEXES.items():
            self.conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {on}")

    def set_undone(self, board_id: str, unit_id: str, undone: bool) -> None:
        self.conn.execute(
            "INSERT INTO units (board_id, unit_id, undone) VALUES (?, ?, ?)"
            " ON CONFLICT (board_id, unit_id) DO UPDATE SET undone = excluded.undone",
            (board_id, unit_id, undone),
        )

    def names(self, board_id: str) -> dict[str, str]:
        rows = self.conn.execute("SELECT key, title FROM names WHERE board_id = ?", (board_id,))
        return dict(rows.fetchall())

    def name(self, board_id: str, key: str) -> str | None:
        row = self.conn.execute(
            "SELECT title FROM names WHERE board_id = ? AND key = ?", (board_id, key)
        ).fetchone()
        return row[0] if row else None

    def put_names(self, board_id: str, names: dict[str, str]) -> None:
        self.conn.executemany(
            "INSERT INTO names (board_id, key, title) VALUES (?, ?, ?)"
            " ON CONFLICT (board_id, key) DO UPDATE SET title = excluded.title",
            [(board_id, key, title) for key, title in names.items()],
        )


def _history_item(row: tuple[Any, ...]) -> dict[str, Any]:
    seq, version, type_, data, actor, at, summary, undo_of, redo_of, unit_id, undone, name = row
    return {
        "seq": seq,
        "version": version,
        "type": type_,
        "data": orjson.loads(data),
        "actor": actor,
        "actor_name": name,
        "recorded_at": at,
        "summary": summary,
        "undone": bool(undone),
        "undo_of": undo_of,
        "redo_of": redo_of,
        "unit_id": unit_id,
    }


def _statements(script: str) -> Iterator[str]:
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
