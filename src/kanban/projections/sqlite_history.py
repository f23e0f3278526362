"""Each board's history in the read database (the history projection's tables)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from kanban.projections.reads import HistoryReads
from kanban.projections.rows import HistoryRow, HistoryTuple
from kanban.projections.writes import HistoryWrites
from kanban.sqlite.database import value

HISTORY_SCHEMA = """
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
"""
HISTORY_TABLES = ("history", "units", "names")
#: Indexes a rebuild drops while it appends, and builds once after (see `bulk`).
DEFERRED_INDEXES = {
    "history_board": "history (board_id, seq)",
    "history_card": "history (board_id, card_id, seq)",
}

HISTORY_COLUMNS = (
    "h.seq, h.version, h.type, h.data, h.actor, h.recorded_at, h.summary, h.undo_of, "
    "h.redo_of, h.unit_id, coalesce(u.undone, 0) AND h.undo_of IS NULL AND h.redo_of IS NULL,"
    " coalesce(p.display_name, h.actor)"
)
HISTORY_FROM = (
    "FROM history h LEFT JOIN units u ON u.board_id = h.board_id AND u.unit_id = h.unit_id"
    " LEFT JOIN users p ON p.user_id = h.actor"
)


class SQLiteHistoryWrites(HistoryWrites):
    conn: sqlite3.Connection

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
        return value(
            self.conn,
            "SELECT title FROM names WHERE board_id = ? AND key = ?",
            (board_id, key),
            None,
        )

    def put_names(self, board_id: str, names: dict[str, str]) -> None:
        self.conn.executemany(
            "INSERT INTO names (board_id, key, title) VALUES (?, ?, ?)"
            " ON CONFLICT (board_id, key) DO UPDATE SET title = excluded.title",
            [(board_id, key, title) for key, title in names.items()],
        )


class SQLiteHistoryReads(HistoryReads):
    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

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
