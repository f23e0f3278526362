"""Boards, their cards and search in the read database (the boards projection's tables)."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import orjson

from kanban.domain.errors import StorageError
from kanban.projections import render
from kanban.projections.reads import BoardReads
from kanban.projections.rows import BoardRow, CardWrite
from kanban.projections.writes import BoardWrites
from kanban.sqlite.database import Database, value

BOARDS_SCHEMA = """
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
"""
BOARD_TABLES = ("boards", "cards", "cards_fts")
#: Boards whose card fragments a reader keeps between views.
FRAGMENT_BOARDS = 256


class SQLiteBoardWrites(BoardWrites):
    conn: sqlite3.Connection

    def board_version(self, board_id: str) -> int:
        return value(self.conn, "SELECT version FROM boards WHERE id = ?", (board_id,), 0)

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


class SQLiteBoardReads(BoardReads):
    """Board views are assembled from each board's frame and card fragments (`render`)."""

    _db: Database
    #: Per board, the card fragments last read, to assemble the next view from.
    _fragments: OrderedDict[str, render.Fragments]
    _views_lock: threading.Lock

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

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
