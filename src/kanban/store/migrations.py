"""Schema migrations of the SQLite event store.

Migrations are plain SQL files named `NNNN_description.sql` in the repo's
top-level `migrations/` folder; the wheel carries that folder as
`kanban/migrations` because an installed service has no source tree. Each file
becomes one sqlite-utils migration named by its stem, in the migration set
"kanban", applied in numeric order.
"""

from __future__ import annotations

import re
import sqlite3
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from kanban.domain.errors import SchemaTooNew

MIGRATION_SET = "kanban"
MIGRATIONS_TABLE = "_sqlite_migrations"

if TYPE_CHECKING:
    from sqlite_utils import Migrations

_FILE_NAME = re.compile(r"^(\d+)_\w+\.sql$")


def migration_dir() -> Traversable:
    """Where the migration files live: inside the package when installed, else the repo."""
    packaged = files("kanban") / "migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "migrations"


def migration_files() -> list[Traversable]:
    """The migration files in the order they apply."""
    numbered: dict[int, Traversable] = {}
    for entry in migration_dir().iterdir():
        match = _FILE_NAME.match(entry.name)
        if match is None:
            continue
        number = int(match.group(1))
        if number in numbered:
            # Two files with one number would apply in an arbitrary order.
            raise RuntimeError(
                f"migrations {numbered[number].name} and {entry.name} share number {number}"
            )
        numbered[number] = entry
    return [numbered[number] for number in sorted(numbered)]


def split_statements(sql: str) -> list[str]:
    """Split a script into statements; triggers keep their inner semicolons."""
    statements: list[str] = []
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip() and not _is_comment_only(pending):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {pending.strip()!r}")
    return statements


def _is_comment_only(sql: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in sql.splitlines())


def build_migrations() -> Migrations:
    """A sqlite-utils migration set with one migration per SQL file."""
    from sqlite_utils import Database, Migrations

    migrations = Migrations(MIGRATION_SET)
    for entry in migration_files():
        statements = split_statements(entry.read_text(encoding="utf-8"))

        def apply(db: Database, statements: list[str] = statements) -> None:
            for statement in statements:
                db.conn.execute(statement)

        migrations(name=entry.name.removesuffix(".sql"))(apply)
    return migrations


def known_migrations() -> list[str]:
    """Names of every migration this Kanban knows, oldest first."""
    return [entry.name.removesuffix(".sql") for entry in migration_files()]


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations recorded in the database, in the order applied."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
    ).fetchone()
    if exists is None:
        return []
    rows = conn.execute(
        f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid",
        (MIGRATION_SET,),
    ).fetchall()
    return [str(name) for (name,) in rows]


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date).

    `conn` must be in autocommit mode (isolation_level=None) with a busy
    timeout. The check and the migrations run under one BEGIN IMMEDIATE, so
    processes opening a fresh database at the same moment take turns and
    later ones find the work done. Raises SchemaTooNew, changing nothing, when
    the database records a migration this code does not know.
    """
    known = known_migrations()
    conn.execute("BEGIN IMMEDIATE")
    try:
        applied = applied_migrations(conn)
        unknown = [name for name in applied if name not in known]
        if unknown:
            newest = known[-1] if known else "nothing"
            raise SchemaTooNew(
                f"database schema {unknown[-1]} is newer than this Kanban "
                f"(knows up to {newest}); upgrade Kanban"
            )
        pending = [name for name in known if name not in applied]
        if pending:
            # sqlite-utils only when there is work: it is a tenth of a second of
            # start-up, which every command-line call on an up-to-date log would pay.
            from sqlite_utils import Database

            db = Database(conn, recursive_triggers=False, execute_plugins=False)
            migrations = build_migrations()
            pending = [migration.name for migration in migrations.pending(db)]
            migrations.apply(db)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return pending
