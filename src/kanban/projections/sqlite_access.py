"""Users, tokens and board members in the read database (the access projection's tables)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from kanban.domain.users import ADMIN_ID
from kanban.projections.reads import AccessReads
from kanban.projections.rows import TokenRow, UserRow
from kanban.projections.writes import AccessWrites

ACCESS_SCHEMA = """
CREATE TABLE users (
    user_id TEXT PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL, admin INTEGER NOT NULL, password_hash TEXT,
    created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE tokens (
    token_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, token_hash TEXT NOT NULL,
    kind TEXT NOT NULL, label TEXT NOT NULL, created_at TEXT NOT NULL,
    expires_at TEXT, revoked_at TEXT
) WITHOUT ROWID;
CREATE INDEX tokens_user ON tokens (user_id, created_at);
CREATE TABLE members (
    board_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL,
    PRIMARY KEY (board_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_user ON members (user_id, board_id);
-- Moves with every change to who may do what, and with nothing else: sign-in and
-- role answers cached under it stay true while it holds, however busy the boards.
CREATE TABLE access_generation (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT INTO access_generation (id, n) VALUES (1, 0);
""" + "".join(
    f"""CREATE TRIGGER {table}_{change.lower()} AFTER {change} ON {table}
BEGIN UPDATE access_generation SET n = n + 1; END;
"""
    for table in ("users", "tokens", "members")
    for change in ("INSERT", "UPDATE", "DELETE")
)
ACCESS_TABLES = ("users", "tokens", "members")
#: The built-in admin exists before any event names it.
BUILT_IN_ADMIN = UserRow(ADMIN_ID, "admin", "Administrator", True, None, "")
_USER = "user_id, name, display_name, admin, password_hash, created_at"
_TOKEN = "token_id, user_id, token_hash, kind, label, created_at, expires_at, revoked_at"
_ROLE_ORDER = "CASE role WHEN 'owner' THEN 0 WHEN 'editor' THEN 1 ELSE 2 END"


class SQLiteAccessWrites(AccessWrites):
    conn: sqlite3.Connection

    def reset_access(self) -> None:
        for table in ACCESS_TABLES:
            self.conn.execute(f"DELETE FROM {table}")
        self.put_user(BUILT_IN_ADMIN)

    def put_user(self, row: UserRow) -> None:
        self.conn.execute(
            f"INSERT OR REPLACE INTO users ({_USER}, name_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*_user_values(row), row.name.casefold()),
        )

    def update_user(self, user_id: str, display_name: str | None, admin: bool | None) -> None:
        self.conn.execute(
            "UPDATE users SET display_name = coalesce(?, display_name),"
            " admin = coalesce(?, admin) WHERE user_id = ?",
            (display_name, admin, user_id),
        )

    def set_password(self, user_id: str, password_hash: str | None) -> None:
        self.conn.execute(
            "UPDATE users SET password_hash = ? WHERE user_id = ?", (password_hash, user_id)
        )

    def put_token(self, row: TokenRow) -> None:
        self.conn.execute(
            f"INSERT OR REPLACE INTO tokens ({_TOKEN}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.token_id,
                row.user_id,
                row.token_hash,
                row.kind,
                row.label,
                row.created_at,
                row.expires_at,
                row.revoked_at,
            ),
        )

    def revoke_token(self, token_id: str, revoked_at: str) -> None:
        self.conn.execute(
            "UPDATE tokens SET revoked_at = ? WHERE token_id = ?", (revoked_at, token_id)
        )

    def put_member(self, board_id: str, user_id: str, role: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO members (board_id, user_id, role) VALUES (?, ?, ?)",
            (board_id, user_id, role),
        )

    def delete_member(self, board_id: str, user_id: str) -> None:
        self.conn.execute(
            "DELETE FROM members WHERE board_id = ? AND user_id = ?", (board_id, user_id)
        )


class SQLiteAccessReads(AccessReads):
    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def user(self, user_id: str) -> UserRow | None:
        rows = self._all(f"SELECT {_USER} FROM users WHERE user_id = ?", (user_id,))
        return _user_row(rows[0]) if rows else None

    def user_by_name(self, name: str) -> UserRow | None:
        rows = self._all(f"SELECT {_USER} FROM users WHERE name_key = ?", (name.casefold(),))
        return _user_row(rows[0]) if rows else None

    def users(self) -> list[UserRow]:
        return [_user_row(r) for r in self._all(f"SELECT {_USER} FROM users ORDER BY name_key")]

    def token(self, token_id: str) -> TokenRow | None:
        rows = self._all(f"SELECT {_TOKEN} FROM tokens WHERE token_id = ?", (token_id,))
        return TokenRow(*rows[0]) if rows else None

    def tokens(self, user_id: str) -> list[TokenRow]:
        rows = self._all(
            f"SELECT {_TOKEN} FROM tokens WHERE user_id = ? ORDER BY created_at, token_id",
            (user_id,),
        )
        return [TokenRow(*r) for r in rows]

    def role(self, board_id: str, user_id: str) -> str | None:
        rows = self._all(
            "SELECT role FROM members WHERE board_id = ? AND user_id = ?", (board_id, user_id)
        )
        return rows[0][0] if rows else None

    def members(self, board_id: str) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT m.user_id, coalesce(u.name, m.user_id), coalesce(u.display_name, m.user_id),"
            f" m.role FROM members m LEFT JOIN users u ON u.user_id = m.user_id"
            f" WHERE m.board_id = ? ORDER BY {_ROLE_ORDER}, u.name_key",
            (board_id,),
        )
        return [{"user_id": i, "name": n, "display_name": d, "role": r} for i, n, d, r in rows]


def _user_values(row: UserRow) -> tuple[Any, ...]:
    return (
        row.user_id,
        row.name,
        row.display_name,
        int(row.admin),
        row.password_hash,
        row.created_at,
    )


def _user_row(row: tuple[Any, ...]) -> UserRow:
    user_id, name, display, admin, password_hash, created = row
    return UserRow(user_id, name, display, bool(admin), password_hash, created)
