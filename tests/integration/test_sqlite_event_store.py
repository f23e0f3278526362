"""The SQLite event store: the shared contract plus what only a database file can do."""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest

from kanban.domain.errors import LogKeyMismatch, SchemaTooNew, StorageError
from kanban.store import chain, codec, sqlite
from kanban.store.migrations import (
    applied_migrations,
    apply_migrations,
    known_migrations,
    migration_dir,
    split_statements,
)
from kanban.store.ports import EventStore
from kanban.store.sqlite import SQLiteEventStore
from tests.contract.event_store import (
    EventLogContract,
    LogRowsContract,
    LogVerifierContract,
    MakeStore,
    RelayCheckpointsContract,
    meta,
    new_event,
)
from tests.integration.sqlite_workers import append_rounds


class SQLiteStores:
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> Iterator[MakeStore]:
        stores: list[EventStore] = []
        names = itertools.count()

        def make(clock: Callable[[], datetime] | None = None) -> EventStore:
            store = SQLiteEventStore(tmp_path / f"log-{next(names)}.db", clock=clock)
            stores.append(store)
            return store

        yield make
        for store in stores:
            store.close()


class TestSQLiteEventLog(SQLiteStores, EventLogContract):
    pass


class TestSQLiteLogVerifier(SQLiteStores, LogVerifierContract):
    pass


class TestSQLiteLogRows(SQLiteStores, LogRowsContract):
    pass


class TestSQLiteRelayCheckpoints(SQLiteStores, RelayCheckpointsContract):
    pass


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "log.db"


@pytest.fixture
def store(path: Path) -> Iterator[SQLiteEventStore]:
    with SQLiteEventStore(path) as store:
        yield store


def fill(store: EventStore, count: int, streams: int = 2) -> None:
    for i in range(count):
        stream = f"s{i % streams}"
        store.append(stream, store.stream_version(stream), [new_event(i=i)], meta(f"c{i}"))


def tamper(path: Path, *statements: str) -> None:
    """What an attacker with file access does: drop the guards, rewrite history."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("DROP TRIGGER events_no_delete")
        for statement in statements:
            conn.execute(statement)
        conn.commit()


def assert_log_sound(store: EventStore, expected_ids: set[str]) -> None:
    events = store.read_all()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    ids = [e.event_id for e in events]
    assert len(ids) == len(set(ids))
    assert set(ids) == expected_ids
    versions: dict[str, int] = {}
    for event in events:
        versions[event.stream_id] = versions.get(event.stream_id, 0) + 1
        assert event.version == versions[event.stream_id]
    report = store.verify()
    assert report.ok, report.reason


# --- append-only and tamper evidence ------------------------------------------


def test_raw_update_and_delete_are_refused(store: SQLiteEventStore, path: Path) -> None:
    fill(store, 3)
    with closing(sqlite3.connect(path)) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="the event log is append-only"):
            conn.execute("UPDATE events SET data = '{}' WHERE seq = 2")
        with pytest.raises(sqlite3.IntegrityError, match="the event log is append-only"):
            conn.execute("DELETE FROM events WHERE seq = 3")
        conn.rollback()
    assert store.head_seq() == 3
    assert store.verify().ok


def test_verify_finds_an_edited_event(store: SQLiteEventStore, path: Path) -> None:
    fill(store, 6)
    tamper(path, """UPDATE events SET data = '{"i":99}' WHERE seq = 4""")
    report = store.verify()
    assert not report.ok
    assert report.first_bad_seq == 4
    assert report.checked == 3
    assert report.head_seq == 6
    assert report.reason is not None
    assert "hash mismatch at seq 4 (stream 's1', version 2)" in report.reason
    assert "altered" in report.reason


def test_verify_finds_an_edited_hash(store: SQLiteEventStore, path: Path) -> None:
    fill(store, 3)
    tamper(path, "UPDATE events SET hash = '00' || substr(hash, 3) WHERE seq = 3")
    report = store.verify()
    assert (report.ok, report.first_bad_seq) == (False, 3)


def test_verify_finds_a_deleted_event(store: SQLiteEventStore, path: Path) -> None:
    fill(store, 6)
    tamper(path, "DELETE FROM events WHERE seq = 3")
    report = store.verify()
    assert not report.ok
    assert report.first_bad_seq == 4
    assert report.reason is not None
    assert "seq gap: 4 follows 2" in report.reason


def test_verify_finds_a_version_gap(store: SQLiteEventStore, path: Path) -> None:
    fill(store, 6)
    tamper(path, "UPDATE events SET version = 7 WHERE seq = 5")
    report = store.verify()
    assert (report.ok, report.first_bad_seq) == (False, 5)
    assert report.reason is not None
    assert "version gap in stream 's0': 7 follows 2" in report.reason


def test_keyed_log_catches_a_plain_sha256_forgery(path: Path) -> None:
    key = b"secret key"
    with SQLiteEventStore(path, key=key) as store:
        fill(store, 5)
        assert store.verify().ok
    with closing(sqlite3.connect(path)) as conn:
        (first_hash,) = conn.execute("SELECT hash FROM events WHERE seq = 1").fetchone()
        rows = conn.execute(
            f"SELECT {codec.ROW_COLUMNS} FROM events WHERE seq >= 2 ORDER BY seq"
        ).fetchall()
    # Rewrite event 2 and re-chain everything after it with plain SHA-256.
    prev = bytes.fromhex(first_hash)
    statements = []
    for row in rows:
        fields = list(row[:9])
        if fields[0] == 2:
            fields[6] = '{"i":1000}'
        forged = hashlib.sha256(prev + chain.encode(tuple(fields))).digest()
        statements.append(
            f"UPDATE events SET data = '{fields[6]}', hash = '{forged.hex()}' WHERE seq = {row[0]}"
        )
        prev = forged
    tamper(path, *statements)
    with SQLiteEventStore(path, key=key) as store:
        report = store.verify()
    assert (report.ok, report.first_bad_seq) == (False, 2)


# --- keys, migrations, reopening ------------------------------------------------


def test_wrong_or_missing_key_is_refused(path: Path) -> None:
    SQLiteEventStore(path, key=b"right").close()
    with pytest.raises(LogKeyMismatch, match="does not match"):
        SQLiteEventStore(path, key=b"wrong")
    with pytest.raises(LogKeyMismatch, match="no log key was given"):
        SQLiteEventStore(path)
    with SQLiteEventStore(path, key=b"right") as store:
        fill(store, 2)
        assert store.verify().ok


def test_key_on_an_unkeyed_log_is_refused(path: Path) -> None:
    SQLiteEventStore(path).close()
    with pytest.raises(LogKeyMismatch, match="not keyed"):
        SQLiteEventStore(path, key=b"k")


def test_reopen_sees_everything_and_keeps_the_epoch(path: Path) -> None:
    with SQLiteEventStore(path) as store:
        fill(store, 7, streams=3)
        epoch = store.epoch()
        before = store.read_all()
    with SQLiteEventStore(path) as store:
        assert store.read_all() == before
        assert store.epoch() == epoch
        store.append("s0", 3, [new_event()], meta())
        assert store.head_seq() == 8
        assert store.verify().ok


def test_migrations_apply_once(path: Path) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        assert apply_migrations(conn) == known_migrations()
        assert apply_migrations(conn) == []
    SQLiteEventStore(path).close()
    SQLiteEventStore(path).close()
    with closing(sqlite3.connect(path)) as conn:
        assert applied_migrations(conn) == known_migrations()
        (count,) = conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()
    assert count == len(known_migrations())


def test_unknown_migration_means_schema_too_new(path: Path) -> None:
    SQLiteEventStore(path).close()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
            " VALUES ('kanban', '9999_from_the_future', '2030-01-01')"
        )
        conn.commit()
    with pytest.raises(SchemaTooNew, match=r"9999_from_the_future is newer .* upgrade Kanban"):
        SQLiteEventStore(path)


def test_migration_files_are_found_and_split() -> None:
    assert (migration_dir() / "0001_event_log.sql").is_file()
    assert known_migrations()[0] == "0001_event_log"
    script = "CREATE TABLE t (x);\nCREATE TRIGGER g BEFORE DELETE ON t\nBEGIN\n SELECT 1;\nEND;\n"
    assert len(split_statements(script)) == 2


def test_hot_queries_use_their_indexes(store: SQLiteEventStore, path: Path) -> None:
    def plan(sql: str, params: tuple[object, ...]) -> str:
        with closing(sqlite3.connect(path)) as conn:
            rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        return " ".join(str(row[-1]) for row in rows)

    assert "events_command_id" in plan(sqlite.SQL_FOR_COMMAND, ("c",))
    assert "events_stream_recorded_at" in plan(sqlite.SQL_VERSION_AT, ("s", "x"))
    assert "events_stream_version" in plan(sqlite.SQL_STREAM_VERSION, ("s",))


# --- errors ---------------------------------------------------------------------


def test_a_long_held_lock_becomes_a_storage_error(path: Path) -> None:
    with SQLiteEventStore(path, busy_timeout_ms=50) as store:
        with closing(sqlite3.connect(path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(StorageError, match="locked by another writer"):
                store.append("a", 0, [new_event()], meta())
            other.execute("ROLLBACK")
        store.append("a", 0, [new_event()], meta())
        assert store.head_seq() == 1


def test_a_unit_alone_is_its_batch_only_unit(store: SQLiteEventStore) -> None:
    # Without a savepoint, a failed unit alone can only take the whole batch with it.
    with store.batch() as batch:
        with batch.unit():
            batch.append("a", 0, [new_event()], meta())
        with pytest.raises(RuntimeError, match="first"), batch.unit(alone=True):
            pass
    with store.batch() as batch:
        with pytest.raises(ValueError, match="boom"), batch.unit(alone=True):
            raise ValueError("boom")
        with pytest.raises(RuntimeError, match="roll back"), batch.unit():
            pass
    assert store.head_seq() == 1


def test_closed_store_refuses_work(path: Path) -> None:
    store = SQLiteEventStore(path)
    store.close()
    store.close()
    with pytest.raises(StorageError, match="closed"):
        store.read_all()
    with pytest.raises(StorageError, match="closed"), store.batch():
        pass


# --- concurrency ------------------------------------------------------------------


def test_threads_append_concurrently(store: SQLiteEventStore) -> None:
    workers, rounds = 8, 15
    errors: list[BaseException] = []
    seen_heads: list[int] = []

    def write(worker: int) -> None:
        try:
            for i in range(rounds):
                with store.batch() as batch:
                    for stream in ("shared", f"own-{worker}"):
                        event = new_event(w=worker, i=i)
                        batch.append(stream, batch.stream_version(stream), [event], meta())
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    def read() -> None:
        # Readers see whole committed batches: the head is always even.
        while any(t.is_alive() for t in writers):
            seen_heads.append(store.head_seq())
            events = store.read_all()
            assert [e.seq for e in events] == list(range(1, len(events) + 1))

    writers = [threading.Thread(target=write, args=(w,)) for w in range(workers)]
    reader = threading.Thread(target=read)
    for thread in writers:
        thread.start()
    reader.start()
    for thread in [*writers, reader]:
        thread.join()
    assert errors == []
    assert all(head % 2 == 0 for head in seen_heads)
    events = store.read_all()
    assert len(events) == workers * rounds * 2
    assert store.stream_version("shared") == workers * rounds
    assert_log_sound(store, {e.event_id for e in events})


@pytest.mark.slow
def test_processes_append_concurrently(path: Path) -> None:
    workers, rounds = 4, 20
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    processes = [
        ctx.Process(target=append_rounds, args=(str(path), f"p{w}", rounds, start))
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    # Release them together onto a file that does not exist yet: they race to
    # create and migrate it as well as to append.
    start.set()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * workers
    expected = {
        f"p{w}-{i}-{stream}"
        for w in range(workers)
        for i in range(rounds)
        for stream in ("shared", f"own-p{w}")
    }
    with SQLiteEventStore(path) as store:
        assert store.stream_version("shared") == workers * rounds
        assert_log_sound(store, expected)
        with closing(sqlite3.connect(path)) as conn:
            assert applied_migrations(conn) == known_migrations()


def test_a_relay_checkpoint_of_another_epoch_counts_as_none(path: Path) -> None:
    with SQLiteEventStore(path) as store:
        store.save_relay_checkpoint("relay", 5)
        store.save_relay_checkpoint("other", 6)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE relay_checkpoints SET epoch = 'an-old-epoch' WHERE name = 'relay'")
    with SQLiteEventStore(path) as store:
        assert store.relay_checkpoint("relay") == 0
        assert store.relay_checkpoint("other") == 6
        store.save_relay_checkpoint("relay", 1)
        assert store.relay_checkpoint("relay") == 1


def start_new_epoch(store: SQLiteEventStore) -> str:
    """Give an open log a new epoch, as only this test needs to (a restore makes a new log)."""
    epoch = uuid.uuid4().hex
    with store._write_lock:
        store._writer.execute("UPDATE log_meta SET value = ? WHERE key = 'epoch'", (epoch,))
    store._epoch = epoch
    return epoch


def test_a_new_epoch_sticks_and_drops_old_relay_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    with SQLiteEventStore(path, epoch="first") as store:
        store.save_relay_checkpoint("relay", 5)
        assert store.relay_checkpoint("relay") == 5
        epoch = start_new_epoch(store)
        assert epoch != "first"
        assert store.epoch() == epoch
        assert store.relay_checkpoint("relay") == 0
    with SQLiteEventStore(path, epoch="ignored once created") as store:
        assert store.epoch() == epoch


def _schema(path: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()


def test_an_import_leaves_the_schema_and_durability_of_a_new_log(
    store: SQLiteEventStore, tmp_path: Path
) -> None:
    fill(source := SQLiteEventStore(tmp_path / "source.db"), 20)
    try:
        with store.importing():
            store.import_rows(source.read_rows(0, 100))
    finally:
        source.close()
    with SQLiteEventStore(tmp_path / "fresh.db"):
        pass
    assert _schema(store.path) == _schema(tmp_path / "fresh.db")
    with store.batch():
        (synchronous,) = store._writer.execute("PRAGMA synchronous").fetchone()
    assert synchronous == 2  # FULL again
