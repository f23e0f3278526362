"""The SQLite read store: the shared contract plus what only a database file can do."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Hashable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from kanban.projections.sqlite import READ_SCHEMA, SQLiteReadStore
from tests.contract.read_store import ReadStoreContract, board_row, frame


class TestSQLiteReadStore(ReadStoreContract):
    @pytest.fixture
    def read_store(self, tmp_path: Path) -> Iterator[SQLiteReadStore]:
        store = SQLiteReadStore(tmp_path / "read.db")
        yield store
        store.close()

    def test_readers_on_other_threads_see_each_commit(self, read_store: SQLiteReadStore) -> None:
        seen: list[int | None] = []

        def read() -> None:
            seen.append(read_store.board_version("b"))

        for version in (1, 2):
            with read_store.transaction() as tx:
                tx.put_board(board_row(version=version), frame("b", version))
            reader = threading.Thread(target=read)
            reader.start()
            reader.join()
        read()
        assert seen == [1, 2, 2]

    def test_the_access_generation_sees_another_connections_changes_on_every_thread(
        self, read_store: SQLiteReadStore
    ) -> None:
        """A revocation by `kanban users` (another process) reaches a server's cached answers."""
        other = SQLiteReadStore(read_store.path)
        try:
            start = read_store.access_generation()

            def on_a_thread() -> Hashable:
                result: list[Hashable] = []
                reader = threading.Thread(
                    target=lambda: result.append(read_store.access_generation())
                )
                reader.start()
                reader.join()
                return result[0]

            with other.transaction() as tx:
                tx.put_board(board_row(), frame())
            assert read_store.access_generation() == start
            assert on_a_thread() == start
            with other.transaction() as tx:
                tx.put_member("b", "rob", "viewer")
            moved = read_store.access_generation()
            assert moved != start
            assert on_a_thread() == moved
        finally:
            other.close()

    def test_rows_outlive_the_process(self, tmp_path: Path) -> None:
        first = SQLiteReadStore(tmp_path / "read.db")
        with first.transaction() as tx:
            tx.put_board(board_row(), frame())
            tx.set_checkpoint("boards", 1)
        first.close()
        again = SQLiteReadStore(tmp_path / "read.db")
        try:
            assert again.checkpoints() == {"boards": 1}
            assert again.board_version("b") == 1
        finally:
            again.close()

    def test_a_file_of_another_read_schema_is_discarded(self, tmp_path: Path) -> None:
        path = tmp_path / "read.db"
        with closing(sqlite3.connect(path)) as conn:
            conn.execute("CREATE TABLE boards (something_else TEXT)")
            conn.execute(f"PRAGMA user_version = {READ_SCHEMA + 1}")
            conn.commit()
        store = SQLiteReadStore(path)
        try:
            assert store.checkpoints() == {}
            assert store.boards() == []
        finally:
            store.close()
        with closing(sqlite3.connect(path)) as conn:
            assert conn.execute("PRAGMA user_version").fetchone() == (READ_SCHEMA,)
