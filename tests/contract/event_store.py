"""The contracts every event store implementation must honour, one per port.

An implementation's test module subclasses each contract (as `Test...`), with a
mixin that provides a `make_store` fixture: a factory returning a fresh, empty
store, optionally with an injected clock, that it closes at teardown. Every
adapter implements every port (`EventStore`), so a contract may use another
port to check its own (an append then a verify).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kanban.domain.errors import ConcurrencyError, LogCorrupted, StorageError
from kanban.store import codec
from kanban.store.chain import Chain, ChainWalker
from kanban.store.ports import EventLog, EventStore, LogRows, RelayCheckpoints
from kanban.store.records import NewEvent, Snapshot, StoredEvent, StreamInfo

Clock = Callable[[], datetime]
MakeStore = Callable[..., EventStore]

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)

_ids = itertools.count(1)


def new_event(type_: str = "CardAdded", **data: object) -> NewEvent:
    return NewEvent(event_id=f"ev-{next(_ids)}", type=type_, schema_version=1, data=data)


def meta(command_id: str = "cmd", actor: str = "alice") -> dict[str, object]:
    return {"command_id": command_id, "actor": actor}


def iter_all(store: EventLog, after_seq: int = 0, page: int = 1000) -> Iterator[StoredEvent]:
    """Every committed event after `after_seq`, read in pages of `read_all`."""
    while True:
        events = store.read_all(after_seq, page)
        yield from events
        if len(events) < page:
            return
        after_seq = events[-1].seq


class ListClock:
    """Returns the given instants in turn, then keeps returning the last one."""

    def __init__(self, *moments: datetime) -> None:
        self._moments = list(moments)

    def __call__(self) -> datetime:
        return self._moments.pop(0) if len(self._moments) > 1 else self._moments[0]


class Boom(Exception):
    pass


class StoreFixtures:
    """`make_store` (the implementation's) and `store`, one fresh store of it."""

    @pytest.fixture
    def make_store(self) -> MakeStore:
        raise NotImplementedError("subclasses provide a make_store fixture")

    @pytest.fixture
    def store(self, make_store: MakeStore) -> EventStore:
        return make_store()


class EventLogContract(StoreFixtures):
    """Appending, reading back, batches, snapshots: `EventLog`."""

    # --- appending and reading back -----------------------------------------

    def test_round_trip_keeps_every_field(self, make_store: MakeStore) -> None:
        store = make_store(clock=ListClock(T0))
        data = {"title": "Ünïcode ✓", "n": 3, "x": 1.5, "ok": True, "none": None, "l": [1, "a"]}
        event = NewEvent("e-1", "CardAdded", 2, {"nested": {"z": 1, "a": 2}, **data})
        [appended] = store.append("board-1", 0, [event], meta("c-1"))
        [read] = store.read_stream("board-1")
        assert read == appended
        assert read.seq == 1
        assert read.version == 1
        assert (read.event_id, read.type, read.schema_version) == ("e-1", "CardAdded", 2)
        assert read.data == {"nested": {"z": 1, "a": 2}, **data}
        assert read.metadata == {"command_id": "c-1", "actor": "alice"}
        assert read.recorded_at == T0
        assert read.recorded_at.utcoffset() == timedelta(0)
        assert len(read.hash) == 64
        int(read.hash, 16)

    def test_recorded_at_is_stored_in_utc(self, make_store: MakeStore) -> None:
        local = T0.astimezone(timezone(timedelta(hours=-5)))
        store = make_store(clock=ListClock(local))
        [event] = store.append("b", 0, [new_event()], meta())
        assert event.recorded_at == T0
        assert event.recorded_at.tzinfo == UTC

    def test_returned_dicts_are_copies(self, store: EventLog) -> None:
        [event] = store.append("b", 0, [new_event(title="a")], meta())
        event.data["title"] = "changed"
        assert store.read_stream("b")[0].data == {"title": "a"}

    def test_versions_are_gapless_per_stream(self, store: EventLog) -> None:
        store.append("a", 0, [new_event(), new_event()], meta())
        store.append("a", 2, [new_event()], meta())
        store.append("b", 0, [new_event()], meta())
        assert [e.version for e in store.read_stream("a")] == [1, 2, 3]
        assert [e.version for e in store.read_stream("b")] == [1]
        assert [e.version for e in store.read_stream("a", 2)] == [2, 3]
        assert [e.version for e in store.read_stream("a", 1, 2)] == [1, 2]
        assert store.stream_version("a") == 3
        assert store.stream_version("nope") == 0
        assert store.read_stream("nope") == []

    def test_seqs_increase_across_streams(self, store: EventLog) -> None:
        for stream in ["a", "b", "a", "c", "b"]:
            store.append(stream, store.stream_version(stream), [new_event()], meta())
        events = store.read_all()
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        assert [e.stream_id for e in events] == ["a", "b", "a", "c", "b"]
        assert store.head_seq() == 5

    def test_empty_append_writes_nothing(self, store: EventLog) -> None:
        assert store.append("a", 0, [], meta()) == []
        assert store.head_seq() == 0
        assert store.streams() == []

    def test_empty_log(self, store: EventStore) -> None:
        assert store.head_seq() == 0
        assert store.read_all() == []
        assert list(iter_all(store)) == []
        report = store.verify()
        assert report.ok
        assert (report.checked, report.head_seq) == (0, 0)

    # --- conflicts and atomicity ----------------------------------------------

    def test_stale_expected_version_raises_and_writes_nothing(self, store: EventStore) -> None:
        store.append("a", 0, [new_event()], meta())
        with pytest.raises(ConcurrencyError, match=r"'a'.*version 1.*expected version 0"):
            store.append("a", 0, [new_event(), new_event()], meta())
        with pytest.raises(ConcurrencyError):
            store.append("a", 5, [new_event()], meta())
        assert store.stream_version("a") == 1
        assert store.head_seq() == 1
        assert store.verify().ok

    def test_duplicate_event_id_raises_and_writes_nothing(self, store: EventStore) -> None:
        store.append("a", 0, [NewEvent("dup", "T", 1, {})], meta())
        with pytest.raises(StorageError):
            store.append("b", 0, [new_event(), NewEvent("dup", "T", 1, {})], meta())
        with pytest.raises(StorageError):
            store.append("b", 0, [NewEvent("x", "T", 1, {}), NewEvent("x", "T", 1, {})], meta())
        assert store.head_seq() == 1
        assert store.stream_version("b") == 0
        store.append("b", 0, [new_event()], meta())
        assert store.verify().ok

    def test_metadata_must_be_json(self, store: EventLog) -> None:
        with pytest.raises(TypeError):
            store.append("a", 0, [new_event()], {"command_id": {1, 2}})
        with pytest.raises(TypeError):
            store.append("a", 0, [new_event(when=object())], meta())
        assert store.head_seq() == 0

    def test_metadata_keys_are_stored_sorted(self, store: EventLog) -> None:
        [event] = store.append("a", 0, [new_event(z=1, a=2)], {"b": 1, "a": {"d": 1, "c": 2}})
        assert list(event.metadata) == ["a", "b"]
        assert list(event.metadata["a"]) == ["c", "d"]
        assert list(event.data) == ["a", "z"]

    def test_failed_unit_rolls_back_only_its_own_appends(self, store: EventStore) -> None:
        def failing_unit() -> None:
            with batch.unit():
                batch.append("b", 0, [new_event(), new_event()], meta())
                assert batch.stream_version("b") == 2
                raise Boom

        with store.batch() as batch:
            with batch.unit():
                batch.append("a", 0, [new_event()], meta())
            with pytest.raises(Boom):
                failing_unit()
            assert batch.stream_version("b") == 0
            with batch.unit():
                batch.append("c", 0, [new_event()], meta())
        events = store.read_all()
        assert [(e.seq, e.stream_id) for e in events] == [(1, "a"), (2, "c")]
        assert store.stream_version("b") == 0
        assert store.verify().ok

    def test_a_failed_unit_alone_leaves_its_batch_nothing_to_commit(
        self, store: EventStore
    ) -> None:
        store.append("a", 0, [new_event()], meta())

        def failing_unit() -> None:
            with batch.unit(alone=True):
                batch.append("a", 1, [new_event()], meta())
                batch.save_snapshot(Snapshot("a", 2, 1, b"state"))
                raise Boom

        with store.batch() as batch, pytest.raises(Boom):
            failing_unit()
        assert (store.head_seq(), store.stream_version("a")) == (1, 1)
        assert store.load_snapshot("a") is None
        [event] = store.append("a", 1, [new_event()], meta())
        assert (event.seq, event.version) == (2, 2)
        assert store.verify().ok

    def test_a_unit_alone_commits_with_its_batch(self, store: EventLog) -> None:
        with store.batch() as batch, batch.unit(alone=True):
            batch.append("a", 0, [new_event(), new_event()], meta())
        assert [(e.seq, e.version) for e in store.read_stream("a")] == [(1, 1), (2, 2)]

    def test_failed_batch_commits_nothing(self, store: EventStore) -> None:
        def failing_batch() -> None:
            with store.batch() as batch:
                batch.append("a", 0, [new_event()], meta())
                batch.save_snapshot(Snapshot("a", 1, 1, b"state"))
                raise Boom

        with pytest.raises(Boom):
            failing_batch()
        assert store.head_seq() == 0
        assert store.load_snapshot("a") is None
        [event] = store.append("a", 0, [new_event()], meta())
        assert event.seq == 1
        assert store.verify().ok

    def test_uncommitted_appends_are_invisible_to_readers(self, store: EventLog) -> None:
        with store.batch() as batch:
            batch.append("a", 0, [new_event()], meta("c"))
            assert batch.stream_version("a") == 1
            assert [e.version for e in batch.read_stream("a")] == [1]
            assert len(batch.events_for_command("c")) == 1
            assert store.head_seq() == 0
            assert store.stream_version("a") == 0
        assert store.head_seq() == 1

    def test_batches_do_not_nest(self, store: EventLog) -> None:
        with store.batch(), pytest.raises(RuntimeError), store.batch():
            pass

    # --- reading the whole log --------------------------------------------------

    def test_read_all_pages(self, store: EventLog) -> None:
        for i in range(10):
            stream = f"s{i % 3}"
            store.append(stream, store.stream_version(stream), [new_event()], meta())
        assert [e.seq for e in store.read_all(0, 3)] == [1, 2, 3]
        assert [e.seq for e in store.read_all(3, 3)] == [4, 5, 6]
        assert [e.seq for e in store.read_all(9)] == [10]
        assert store.read_all(10) == []
        assert store.read_all(0, 0) == []
        assert [e.seq for e in iter_all(store, page=4)] == list(range(1, 11))
        assert [e.seq for e in iter_all(store, after_seq=7, page=2)] == [8, 9, 10]
        assert list(iter_all(store, page=5)) == store.read_all()

    def test_streams_in_order_of_first_event(self, store: EventLog) -> None:
        for stream in ["b", "a", "b", "c", "b"]:
            store.append(stream, store.stream_version(stream), [new_event()], meta())
        assert store.streams() == [StreamInfo("b", 3), StreamInfo("a", 1), StreamInfo("c", 1)]

    def test_version_at(self, make_store: MakeStore) -> None:
        t1, t2, t3 = T0, T0 + timedelta(seconds=1), T0 + timedelta(minutes=1)
        store = make_store(clock=ListClock(t1, t2, t3))
        store.append("a", 0, [new_event()], meta())
        store.append("a", 1, [new_event(), new_event()], meta())
        store.append("b", 0, [new_event()], meta())
        assert store.version_at("a", t1 - timedelta(microseconds=1)) == 0
        assert store.version_at("a", t1) == 1
        assert store.version_at("a", t2 - timedelta(microseconds=1)) == 1
        assert store.version_at("a", t2) == 3
        assert store.version_at("a", t3 + timedelta(days=1)) == 3
        assert store.version_at("b", t2) == 0
        assert store.version_at("b", t3) == 1
        assert store.version_at("nope", t3) == 0
        # The same instant in another zone is the same answer.
        assert store.version_at("a", t2.astimezone(timezone(timedelta(hours=9)))) == 3

    def test_version_at_rejects_naive_datetimes(self, store: EventLog) -> None:
        with pytest.raises(ValueError, match="naive"):
            store.version_at("a", datetime(2025, 1, 1))

    def test_recorded_at_never_decreases_when_the_clock_goes_back(
        self, make_store: MakeStore
    ) -> None:
        back = T0 - timedelta(hours=1)
        later = T0 + timedelta(seconds=1)
        store = make_store(clock=ListClock(T0, back, later))
        store.append("a", 0, [new_event()], meta())
        store.append("b", 0, [new_event()], meta())
        store.append("a", 1, [new_event()], meta())
        times = [e.recorded_at for e in store.read_all()]
        assert times == [T0, T0, later]
        assert store.verify().ok

    # --- snapshots and commands --------------------------------------------------

    def test_snapshots_round_trip(self, store: EventLog) -> None:
        with store.batch() as batch:
            for version in (2, 5, 9):
                batch.save_snapshot(Snapshot("a", version, 1, f"state-{version}".encode()))
        assert store.load_snapshot("a") == Snapshot("a", 9, 1, b"state-9")
        assert store.load_snapshot("a", max_version=8) == Snapshot("a", 5, 1, b"state-5")
        assert store.load_snapshot("a", max_version=5) == Snapshot("a", 5, 1, b"state-5")
        assert store.load_snapshot("a", max_version=1) is None
        assert store.load_snapshot("b") is None
        with store.batch() as batch:
            batch.save_snapshot(Snapshot("a", 9, 2, b"rebuilt"))
        assert store.load_snapshot("a") == Snapshot("a", 9, 2, b"rebuilt")

    def test_snapshot_in_failed_unit_is_dropped(self, store: EventLog) -> None:
        def failing_unit() -> None:
            with batch.unit():
                batch.save_snapshot(Snapshot("a", 3, 1, b"x"))
                raise Boom

        with store.batch() as batch:
            with pytest.raises(Boom):
                failing_unit()
            batch.save_snapshot(Snapshot("b", 1, 1, b"y"))
        assert store.load_snapshot("a") is None
        assert store.load_snapshot("b") == Snapshot("b", 1, 1, b"y")

    def test_events_for_command(self, store: EventLog) -> None:
        store.append("a", 0, [new_event()], meta("c-1"))
        store.append("b", 0, [new_event(), new_event()], meta("c-2"))
        store.append("a", 1, [new_event()], meta("c-1"))
        with store.batch() as batch:
            found = batch.events_for_command("c-1")
            assert [(e.seq, e.stream_id) for e in found] == [(1, "a"), (4, "a")]
            assert [e.seq for e in batch.events_for_command("c-2")] == [2, 3]
            assert batch.events_for_command("nope") == []

    def test_epoch_is_stable(self, store: EventLog) -> None:
        assert store.epoch()
        assert store.epoch() == store.epoch()

    @settings(
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors]
    )
    @given(
        ops=st.lists(
            st.tuples(st.sampled_from(["a", "b", "c", "board-ü"]), st.integers(0, 3)),
            max_size=12,
        )
    )
    def test_random_appends_read_back_in_order(
        self, make_store: MakeStore, ops: list[tuple[str, int]]
    ) -> None:
        store = make_store()
        expected: list[tuple[str, str]] = []
        for stream, count in ops:
            events = [new_event(n=n) for n in range(count)]
            store.append(stream, store.stream_version(stream), events, meta())
            expected += [(stream, e.event_id) for e in events]
        read = store.read_all()
        assert [(e.stream_id, e.event_id) for e in read] == expected
        assert [e.seq for e in read] == list(range(1, len(expected) + 1))
        versions: dict[str, int] = {}
        for event in read:
            versions[event.stream_id] = versions.get(event.stream_id, 0) + 1
            assert event.version == versions[event.stream_id]
        assert {s.stream_id: s.version for s in store.streams()} == versions
        report = store.verify()
        assert report.ok, report.reason
        assert report.checked == len(expected)
        store.close()


class LogVerifierContract(StoreFixtures):
    """The walk of the hash chain: `LogVerifier`."""

    # --- the hash chain ------------------------------------------------------------

    def test_verify_passes_on_a_good_log(self, store: EventStore) -> None:
        for i in range(25):
            stream = f"s{i % 4}"
            store.append(stream, store.stream_version(stream), [new_event(i=i)], meta())
        calls: list[tuple[int, int]] = []
        report = store.verify(progress=lambda done, total: calls.append((done, total)))
        assert report.ok, report.reason
        assert (report.checked, report.head_seq) == (25, 25)
        assert report.first_bad_seq is None
        assert calls
        assert calls[-1] == (25, 25)

    def test_hashes_chain_from_previous_event(self, store: EventStore) -> None:
        store.append("a", 0, [new_event(), new_event()], meta())
        first, second = store.read_all()
        assert first.hash != second.hash


class LogRowsContract(StoreFixtures):
    """Rows exactly as stored, for backup and restore: `LogRows`."""

    # --- rows exactly as stored: backup and restore -----------------------------

    def _fill(self, store: LogRows) -> None:
        store.append("b-ü", 0, [new_event(title="Ünïcode ✓", n=1.5), new_event()], meta("c1"))
        store.append("a", 0, [new_event(nested={"z": 1, "a": [1, None]})], meta("c2", "bob"))
        store.append("b-ü", 2, [new_event(), new_event(), new_event()], meta("c3"))

    def test_read_rows_are_the_stored_fields_in_seq_order(self, store: LogRows) -> None:
        self._fill(store)
        rows = store.read_rows(0, 100)
        assert [type(row) for row in rows] == [tuple] * 6
        assert rows == [
            (
                e.seq,
                e.stream_id,
                e.version,
                e.event_id,
                e.type,
                e.schema_version,
                codec.dumps(e.data),
                codec.dumps(e.metadata),
                codec.format_time(e.recorded_at),
                e.hash,
            )
            for e in store.read_all()
        ]
        # Exactly the texts that were hashed: the chain checks out row by row.
        walker = ChainWalker(Chain())
        assert [walker.check(row) for row in rows] == [None] * 6
        assert [row[0] for row in store.read_rows(2, 3)] == [3, 4, 5]
        assert store.read_rows(6, 10) == []
        assert store.read_rows(0, 0) == []

    @pytest.mark.parametrize("stretch", [False, True], ids=["pages", "importing"])
    def test_imported_rows_read_back_exactly(self, make_store: MakeStore, stretch: bool) -> None:
        source, target = make_store(), make_store()
        self._fill(source)
        rows = source.read_rows(0, 100)
        # importing(): whatever a store puts off during the import is in place after it.
        with target.importing() if stretch else contextlib.nullcontext():
            target.import_rows(rows[:2])
            target.import_rows(rows[2:])
        assert target.read_rows(0, 100) == rows
        assert target.read_all() == source.read_all()
        assert target.streams() == source.streams()
        assert target.head_seq() == 6
        assert target.version_at("b-ü", T0 + timedelta(days=36500)) == 5
        assert target.version_at("b-ü", T0 - timedelta(days=1)) == 0
        with target.batch() as batch:
            assert [e.seq for e in batch.events_for_command("c3")] == [4, 5, 6]
        report = target.verify()
        assert report.ok, report.reason
        assert report.checked == 6
        [event] = target.append("a", 1, [new_event()], meta())
        assert event.seq == 7

    def test_appends_continue_the_chain_of_imported_rows(self, make_store: MakeStore) -> None:
        source = make_store(clock=ListClock(T0))
        self._fill(source)
        # A clock behind the imported tail: the log's time still does not go back.
        target = make_store(clock=ListClock(T0 - timedelta(days=1)))
        target.import_rows(source.read_rows(0, 100))
        [event] = target.append("a", 1, [new_event()], meta())
        assert (event.seq, event.version, event.recorded_at) == (7, 2, T0)
        report = target.verify()
        assert report.ok, report.reason
        assert report.checked == 7

    def test_only_an_empty_log_takes_an_import(self, make_store: MakeStore) -> None:
        store = make_store()
        self._fill(store)
        with pytest.raises(LogCorrupted, match="empty log"), store.importing():
            pass
        assert store.head_seq() == 6

    def test_import_rows_must_continue_the_head(self, make_store: MakeStore) -> None:
        source, target = make_store(), make_store()
        self._fill(source)
        rows = source.read_rows(0, 100)
        target.import_rows([])
        with pytest.raises(LogCorrupted, match="start at seq 2, but the log's head is 0"):
            target.import_rows(rows[1:])
        target.import_rows(rows[:2])
        with pytest.raises(LogCorrupted, match="start at seq 1, but the log's head is 2"):
            target.import_rows(rows)
        assert target.read_rows(0, 100) == rows[:2]


class RelayCheckpointsContract(StoreFixtures):
    """How far each relay has published the log: `RelayCheckpoints`."""

    # --- relay checkpoints -----------------------------------------------------

    def test_relay_checkpoints_start_at_zero_and_keep_the_last_saved(
        self, store: RelayCheckpoints
    ) -> None:
        assert store.relay_checkpoint("relay") == 0
        store.save_relay_checkpoint("relay", 7)
        store.save_relay_checkpoint("other", 3)
        assert store.relay_checkpoint("relay") == 7
        assert store.relay_checkpoint("other") == 3
        store.save_relay_checkpoint("relay", 2)  # a checkpoint may be moved back
        assert store.relay_checkpoint("relay") == 2
        assert store.relay_checkpoint("unknown") == 0

    def test_relay_checkpoints_are_not_part_of_the_log(self, store: EventStore) -> None:
        store.append("a", 0, [new_event()], meta())
        store.save_relay_checkpoint("relay", 1)
        assert store.head_seq() == 1
        report = store.verify()
        assert report.ok, report.reason
        assert report.checked == 1

    def test_relay_checkpoint_cannot_be_saved_inside_a_batch(self, store: RelayCheckpoints) -> None:
        with store.batch(), pytest.raises(RuntimeError):
            store.save_relay_checkpoint("relay", 1)
        assert store.relay_checkpoint("relay") == 0

    def test_relay_checkpoint_waits_for_a_batch_in_another_thread(
        self, store: RelayCheckpoints
    ) -> None:
        saved = threading.Event()

        def save() -> None:
            store.save_relay_checkpoint("relay", 1)
            saved.set()

        saver = threading.Thread(target=save)
        with store.batch() as batch:
            batch.append("a", 0, [new_event()], meta())
            saver.start()
            # The saver needs the write lock, which this batch holds.
            assert not saved.wait(0.2)
        saver.join(10)
        assert saved.is_set()
        assert (store.relay_checkpoint("relay"), store.head_seq()) == (1, 1)

    # make_store builds a fresh store per example, so a function-scoped factory
    # is fine; every implementation runs this one method, hence "executors".
