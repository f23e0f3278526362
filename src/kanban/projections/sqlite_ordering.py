"""The out-of-order applier's bookkeeping in the read database (distributed mode)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from kanban.projections.writes import OrderingWrites
from kanban.sqlite.database import value

ORDERING_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE stream_versions (
    stream_id TEXT PRIMARY KEY, version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE applied (seq INTEGER PRIMARY KEY);
"""
ORDERING_TABLES = ("meta", "stream_versions", "applied")
#: The `meta` key of the watermark.
WATERMARK = "watermark"


class SQLiteOrderingWrites(OrderingWrites):
    conn: sqlite3.Connection

    def meta(self, key: str) -> str | None:
        return value(self.conn, "SELECT value FROM meta WHERE key = ?", (key,), None)

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def stream_version(self, stream_id: str) -> int:
        return value(
            self.conn, "SELECT version FROM stream_versions WHERE stream_id = ?", (stream_id,), 0
        )

    def set_stream_versions(self, versions: dict[str, int]) -> None:
        self.conn.executemany(
            "INSERT INTO stream_versions (stream_id, version) VALUES (?, ?)"
            " ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version",
            list(versions.items()),
        )

    def watermark(self) -> int:
        return int(self.meta(WATERMARK) or 0)

    def mark_applied(self, seqs: Sequence[int]) -> int:
        watermark = self.watermark()
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
        self.set_meta(WATERMARK, str(watermark))
        return watermark
