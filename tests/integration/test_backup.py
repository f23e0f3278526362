"""Backups: the format, verify, restore, point-in-time restore, a backup under load."""

from __future__ import annotations

import gzip
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from kanban.backup import format as backup_format
from kanban.backup.replay import Replay
from kanban.backup.restore import restore
from kanban.bootstrap import Kanban
from kanban.domain import commands as cmd
from kanban.domain import events as ev
from kanban.domain.errors import BackupInvalid, KanbanError, RestoreRefused
from kanban.domain.model import Board
from kanban.projections.sqlite import SQLiteReadStore
from kanban.service.mapper import EventMapper
from kanban.service.repository import load_board
from kanban.store import codec
from kanban.store.chain import GENESIS, Chain
from kanban.store.ports import EventStore
from kanban.store.records import Row
from kanban.store.sqlite import SQLiteEventStore

from .backup_log import build_log
from .conftest import Client


def backup(store: EventStore, path: Path, since: int = 0) -> Path:
    with open(path, "wb") as f:
        backup_format.write(store, f, since)
    return path


def records(path: Path) -> list[bytes]:
    """The file's records (header, rows, trailer), decompressed, one per line."""
    return gzip.decompress(path.read_bytes()).splitlines(keepends=True)


def walk(*paths: Path, key: bytes | None = None) -> Replay:
    replay = Replay(list(paths), key)
    for _ in replay.rows():
        pass
    return replay


def history(kanban: Kanban) -> list[str]:
    """Two boards, two people, moves, an archive, an undo and a redo: 19 events."""
    alice, bob = Client(kanban, "alice"), Client(kanban, "bob")
    boards = [alice.board("One"), bob.board("Two", ("A", "B", "C"))]
    for board in boards:
        for i in range(3):
            alice.run(cmd.AddCard(board, f"k{i}", "col0", f"Card {i}"))
        bob.run(cmd.MoveCard(board, "k0", "col1", 0))
    alice.run(cmd.ArchiveCard(boards[0], "k1"))
    bob.run(cmd.Undo(boards[1]))
    alice.run(cmd.MoveCard(boards[1], "k2", "col1"))
    bob.run(cmd.Redo(boards[1]))
    return boards


@pytest.fixture
def full(kanban: Kanban, tmp_path: Path) -> Path:
    history(kanban)
    return backup(kanban.log, tmp_path / "full.jsonl.gz")


def rehash(rows: list[Row]) -> list[bytes]:
    """A well-chained file of these rows: how someone forging history would write it."""
    chain, prev, out = Chain(), GENESIS, []
    for row in rows:
        prev = chain.link(prev, row[:9])
        out.append(orjson.dumps([*row[:9], prev.hex()]) + b"\n")
    header = {
        **{"format": "kanban-backup", "format_version": 1, "kind": "full", "epoch": "forged"},
        **{"chain": "sha256", "since_seq": 0, "prev_hash": GENESIS.hex(), "first_seq": 1},
        **{"last_seq": len(rows), "event_count": len(rows), "created_at": "", "app_version": ""},
    }
    trailer = {"end": True, "event_count": len(rows), "last_hash": prev.hex()}
    return [orjson.dumps(header) + b"\n", *out, orjson.dumps(trailer) + b"\n"]


# --- damage: each is caught, naming the first bad record -----------------------


def edit_data(lines: list[bytes]) -> list[bytes]:
    # One byte of row 2's data text ("To do" -> "To dO"); the gzip stays valid.
    assert b"To do" in lines[2]
    return [*lines[:2], lines[2].replace(b"To do", b"To dO"), *lines[3:]]


DAMAGE: dict[str, tuple[Callable[[list[bytes]], list[bytes]], str]] = {
    "data edited": (edit_data, r"record 2 \(seq 2\): hash mismatch at seq 2"),
    "rows swapped": (
        lambda ls: [*ls[:6], ls[7], ls[6], *ls[8:]],
        r"record 6 \(seq 7\): seq gap: 7 follows 5",
    ),
    "row dropped": (lambda ls: ls[:3] + ls[4:], r"record 3 \(seq 4\): seq gap: 4 follows 2"),
    "row repeated": (lambda ls: ls[:4] + ls[3:], r"record 4 \(seq 3\): seq 3 does not increase"),
    "cut at a line": (lambda ls: ls[:10], r"truncated after record 9 \(no trailer\)"),
    "trailer lies": (
        lambda ls: [*ls[:-1], ls[-1].replace(b'"event_count":19', b'"event_count":18')],
        r"holds 19 events, but its header says 19 and its trailer 18",
    ),
    "not json": (lambda ls: [*ls[:2], b"{nope\n", *ls[3:]], r"record 2 is not valid JSON"),
    "not a row": (lambda ls: [*ls[:2], b'[1, "b"]\n', *ls[3:]], r"record 2 is not an event row"),
    "seq not a number": (
        lambda ls: [*ls[:2], ls[2].replace(b"[2,", b'["2",', 1), *ls[3:]],
        r"record 2 is not an event row",
    ),
    "seq a boolean": (
        lambda ls: [*ls[:1], ls[1].replace(b"[1,", b"[true,", 1), *ls[2:]],
        r"record 1 is not an event row",
    ),
    "version a fraction": (
        lambda ls: [*ls[:2], ls[2].replace(b'",2,"', b'",2.0,"', 1), *ls[3:]],
        r"record 2 is not an event row",
    ),
    "after trailer": (lambda ls: [*ls, ls[1]], r"record 21 follows the trailer"),
    "other format": (lambda ls: [b'{"hello": 1}\n'], r"record 0 \(header\): not a Kanban backup"),
    "newer format": (
        lambda ls: [ls[0].replace(b'"format_version":1', b'"format_version":2'), *ls[1:]],
        r"record 0 \(header\): backup format version 2 is not one this Kanban reads",
    ),
    "bad header": (
        lambda ls: [ls[0].replace(b'"prev_hash":"0', b'"prev_hash":"x'), *ls[1:]],
        r"record 0 \(header\): the header's prev_hash is not a hash",
    ),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=str)
def test_damage_is_rejected_naming_the_first_bad_record(full: Path, damage: str) -> None:
    change, message = DAMAGE[damage]
    bad = full.with_name("bad.jsonl.gz")
    bad.write_bytes(gzip.compress(b"".join(change(records(full)))))
    with pytest.raises(BackupInvalid, match=message) as caught:
        walk(bad)
    assert str(bad) in caught.value.message


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda raw: raw[: len(raw) // 2], r"damaged after record \d+: Compressed file ended"),
        (lambda raw: raw[:-6] + bytes([raw[-6] ^ 1]) + raw[-5:], r"damaged after record 20: CRC"),
        (lambda raw: b"plain text, not gzip\n", r"damaged after record 0: Not a gzipped file"),
        (lambda raw: gzip.decompress(raw), r"damaged after record 0: Not a gzipped file"),
    ],
    ids=["cut in the gzip", "gzip checksum", "not gzip", "uncompressed"],
)
def test_damaged_compression_is_rejected(
    full: Path, damage: Callable[[bytes], bytes], message: str
) -> None:
    bad = full.with_name("bad.jsonl.gz")
    bad.write_bytes(damage(full.read_bytes()))
    with pytest.raises(BackupInvalid, match=message):
        walk(bad)


def _move_to_a_missing_column(row: Row) -> Row:
    return (*row[:6], row[6].replace('"to_column_id":"col1"', '"to_column_id":"gone"'), *row[7:])


def _teleport(row: Row) -> Row:
    return (*row[:4], "CardTeleported", *row[5:])


@pytest.mark.parametrize("parallel", [False, True], ids=["in one process", "in two"])
@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (_move_to_a_missing_column, r"does not apply to its board: .*CardMoved"),
        (_teleport, r"cannot be read: unknown event type 'CardTeleported'"),
    ],
    ids=["impossible move", "unknown type"],
)
def test_an_impossible_history_is_refused_even_when_well_chained(
    kanban: Kanban,
    tmp_path: Path,
    forge: Callable[[Row], Row],
    reason: str,
    parallel: bool,
) -> None:
    """In two processes, the second one folds the boards; the file and record are named alike."""
    history(kanban)
    rows = kanban.log.read_rows(0, 100)
    moved = next(i for i, r in enumerate(rows) if r[4] == "CardMoved")
    rows[moved] = forge(rows[moved])
    forged = tmp_path / "forged.jsonl.gz"
    forged.write_bytes(gzip.compress(b"".join(rehash(rows))))
    seq = moved + 1
    message = rf"forged.jsonl.gz: record {seq} \(seq {seq}\) {reason}"
    with pytest.raises(BackupInvalid, match=message):
        walk(forged)
    with pytest.raises(BackupInvalid, match=message):
        restore([forged], tmp_path / "restored", parallel=parallel)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "forged.jsonl.gz"]


def test_incrementals_chain_and_a_missing_link_is_rejected(kanban: Kanban, tmp_path: Path) -> None:
    alice = Client(kanban)
    board = alice.board()
    files = [backup(kanban.log, tmp_path / "0.gz")]
    for n in (1, 2):
        since = kanban.log.head_seq()
        alice.run(cmd.AddCard(board, f"k{n}", "col0", "Card"))
        files.append(backup(kanban.log, tmp_path / f"{n}.gz", since))
    replay = walk(*files)
    assert [h.kind for h in replay.headers] == ["full", "incremental", "incremental"]
    assert sum(h.event_count for h in replay.headers) == kanban.log.head_seq() == 5
    assert list(replay.boards) == [board]
    # How a restore's second process names an event it could not fold: file and record.
    assert [replay.where(seq) for seq in (3, 4, 5)] == [
        f"{files[0]}: record 3 (seq 3)",
        f"{files[1]}: record 1 (seq 4)",
        f"{files[2]}: record 1 (seq 5)",
    ]
    with pytest.raises(BackupInvalid, match=r"2.gz: a link is missing: it continues from seq 4, "):
        walk(files[0], files[2])
    with pytest.raises(BackupInvalid, match=r"2.gz: a link is missing: .* end at seq 3"):
        walk(files[0], files[2], files[1])
    with SQLiteEventStore(tmp_path / "other.db") as other:
        other.import_rows(kanban.log.read_rows(0, 100))  # same rows, another epoch
        stranger = backup(other, tmp_path / "stranger.gz", 3)
    with pytest.raises(BackupInvalid, match=r"stranger.gz: belongs to another log"):
        walk(files[0], stranger)
    # An incremental alone checks its chain but cannot replay what it does not hold.
    assert not walk(files[1], files[2]).folding
    with pytest.raises(RestoreRefused, match=r"1.gz is an incremental backup \(from seq 4\)"):
        restore([files[1]], tmp_path / "restored")


# --- restore -------------------------------------------------------------------------


def test_restore_refuses_a_non_empty_dir_unless_forced(
    kanban: Kanban, full: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os.path, "ismount", lambda path: Path(path).name == "volume")
    with pytest.raises(
        RestoreRefused, match=r"volume is a mount point; restore into .*volume/kanban"
    ):
        restore([full], tmp_path / "volume")
    target = tmp_path / "target"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(RestoreRefused, match="is not empty; pass --force"):
        restore([full], target)
    with pytest.raises(RestoreRefused, match="not both"):
        restore([full], tmp_path / "new", until_seq=3, until_time=datetime.now(UTC))
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    report = restore([full], target, force=True)
    assert (report.events, report.last_seq, report.boards) == (19, 19, 2)
    assert report.epoch != kanban.log.epoch()
    assert not report.point_in_time
    # Only the log and the read models: no admin token, nothing of what was there.
    assert sorted(p.name for p in target.iterdir()) == ["events.db", "read.db"]
    # Nothing hidden is left beside it: neither the work dir nor the replaced one.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "full.jsonl.gz", "target"]
    with SQLiteEventStore(target / "events.db") as restored:
        assert restored.read_rows(0, 100) == kanban.log.read_rows(0, 100)
        # Always a new history line for consumers (see the runbook).
        assert restored.epoch() == report.epoch


def test_a_refused_restore_leaves_nothing(full: Path, tmp_path: Path) -> None:
    lines = records(full)
    late = full.with_name("late.jsonl.gz")
    late.write_bytes(gzip.compress(b"".join(edit_data(lines))))
    with pytest.raises(BackupInvalid, match="record 2"):
        restore([late], tmp_path / "restored")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "full.jsonl.gz", "late.jsonl.gz"]


@pytest.mark.parametrize("point", ["seq", "time"])
def test_point_in_time_restore_equals_time_travel(
    kanban: Kanban, full: Path, tmp_path: Path, point: str
) -> None:
    log = kanban.log
    rows = log.read_rows(0, 100)
    for n in (1, 6, 12, 17, 18, 19):
        target = tmp_path / f"{point}-{n}"
        if point == "seq":
            report = restore([full], target, until_seq=n)
        else:
            report = restore([full], target, until_time=codec.parse_time(rows[n - 1][8]))
        with SQLiteEventStore(target / "events.db") as restored:
            head = restored.head_seq()
            assert head == report.last_seq
            assert restored.read_rows(0, 100) == rows[:head]
            assert head == n if point == "seq" else head >= n
            assert restored.epoch() != log.epoch()
            assert (head < 19) == report.point_in_time
            versions: dict[str, int] = {}
            for info in log.streams():
                version = max((r[2] for r in rows[:head] if r[1] == info.stream_id), default=0)
                if point == "time":
                    moment = codec.parse_time(rows[n - 1][8])
                    assert version == log.version_at(info.stream_id, moment)
                if version == 0:
                    assert restored.stream_version(info.stream_id) == 0
                    continue
                then = load_board(log, EventMapper(), info.stream_id, version)
                now = load_board(restored, EventMapper(), info.stream_id)
                assert now.to_snapshot() == then.to_snapshot()
                versions[info.stream_id] = version
            read = SQLiteReadStore(target / "read.db")
            assert {b["id"]: b["version"] for b in read.boards()} == versions
            read.close()
            # The new history line continues the restored one.
            board = rows[0][1]
            renamed = EventMapper().encode(
                [ev.BoardRenamed("After", load_board(restored, EventMapper(), board).title)]
            )
            [event] = restored.append(board, restored.stream_version(board), renamed, {})
            assert event.seq == head + 1
            assert restored.verify().ok


# --- a backup while writes go on ---------------------------------


def test_backups_taken_under_write_load_are_consistent(
    kanban: Kanban, alice: Client, tmp_path: Path
) -> None:
    boards = [alice.board(f"B{i}") for i in range(4)]
    stop = threading.Event()
    errors: list[KanbanError] = []

    def write(board: str) -> None:
        for n in range(100_000):
            if stop.is_set():
                return
            try:
                alice.run(cmd.AddCard(board, f"k{n}", "col0", f"Card {n}", position=0))
                alice.run(cmd.MoveCard(board, f"k{n}", "col1", 0))
            except KanbanError as exc:
                errors.append(exc)

    build_log(kanban.log, 10_000, boards=20)  # so that a backup takes a while
    writers = [threading.Thread(target=write, args=(b,)) for b in boards]
    for w in writers:
        w.start()
    files: list[Path] = []
    since = grew = 0
    try:
        for i in range(3):
            files.append(backup(kanban.log, tmp_path / f"{i}.gz", since))
            since = orjson.loads(records(files[-1])[0])["last_seq"]
            grew += kanban.log.head_seq() > since
    finally:
        stop.set()
        for w in writers:
            w.join()
    assert errors == []
    assert grew, "no write landed while backing up"
    replay = walk(*files)
    assert [h.since_seq for h in replay.headers[1:]] == [h.last_seq for h in replay.headers[:-1]]
    assert replay.headers[-1].last_seq > replay.headers[0].last_seq
    for path, header in zip(files, replay.headers, strict=True):
        rows = [tuple(orjson.loads(line)) for line in records(path)[1:-1]]
        assert rows == kanban.log.read_rows(header.since_seq, header.event_count)
    for board in boards:
        folded = replay.boards[board]  # content only: what the events must fit
        stored = kanban.mapper.decode_all(kanban.log.read_stream(board, 1, folded.version))
        assert folded.to_snapshot() == Board.fold(stored, content_only=True).to_snapshot()
        assert (
            folded.version == load_board(kanban.log, kanban.mapper, board, folded.version).version
        )
