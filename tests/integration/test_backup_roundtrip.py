"""Round trip, as a property: any history, backed up and restored, is the same service.

Random commands by two people on two boards (undo and redo included) run
through the real command bus into a real data dir; a full backup part-way and
an incremental at the end are restored into another data dir. The two must
hold the same log row for row (event ids, seqs, timestamps, hashes), the same
epoch, the same boards and history, the same read models, and undo and redo
must do exactly the same next.
"""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kanban.backup import format as backup_format
from kanban.backup.restore import restore
from kanban.bootstrap import bootstrap
from kanban.domain import commands as cmd
from kanban.domain.errors import KanbanError
from kanban.domain.model import Board
from kanban.projections.sqlite import SQLiteReadStore
from kanban.service.history import board_history
from kanban.service.mapper import EventMapper
from kanban.service.repository import load_board
from kanban.settings import Settings
from kanban.store.sqlite import SQLiteEventStore

from .conftest import Client

OPS = ("add", "add", "move", "move", "edit", "archive", "restore", "column", "rename")
OPS += ("undo", "undo", "redo")
Step = tuple[str, int, int, int, int]
steps = st.lists(
    st.tuples(
        st.sampled_from(OPS),
        st.integers(0, 30),
        st.integers(0, 30),
        st.integers(0, 1),  # who
        st.integers(0, 1),  # which board
    ),
    max_size=30,
)


def command(board: Board, op: str, x: int, y: int) -> cmd.Command:
    b, columns, cards = board.id, board.column_order, sorted(board.cards)
    card = cards[x % len(cards)] if cards else "none"
    column = columns[y % len(columns)] if columns else "none"  # undo can take them all
    match op:
        case "add":
            return cmd.AddCard(b, f"k{x}-{y}", column, f"Card {x}", labels=("a", "b")[: y % 3])
        case "move":
            return cmd.MoveCard(b, card, column, None if y % 3 else 0)
        case "edit":
            return cmd.EditCard(b, card, title=f"T{y}", due_date=None if y % 2 else "2026-12-24")
        case "archive":
            return cmd.ArchiveCard(b, card)
        case "restore":
            return cmd.RestoreCard(b, card)
        case "column":
            return cmd.AddColumn(b, f"c{x}-{y}", f"Column {x}", wip_limit=y % 4 or None)
        case "rename":
            return cmd.RenameBoard(b, f"Board {x}")
        case "undo":
            return cmd.Undo(b)
    return cmd.Redo(b)


def assert_same(original: Path, restored: Path, boards: list[str]) -> None:
    with contextlib.ExitStack() as stack:
        a, b = (
            stack.enter_context(SQLiteEventStore(d / "events.db")) for d in (original, restored)
        )
        assert b.read_rows(0, 10_000) == a.read_rows(0, 10_000)
        assert b.streams() == a.streams()
        assert b.epoch() != a.epoch()  # a restored log is a new history line
        for board in boards:
            assert (
                load_board(b, EventMapper(), board).to_snapshot()
                == load_board(a, EventMapper(), board).to_snapshot()
            )
            assert board_history(b, EventMapper(), board) == board_history(a, EventMapper(), board)
        r, s = (SQLiteReadStore(d / "read.db") for d in (original, restored))
        stack.callback(r.close)
        stack.callback(s.close)
        assert s.boards() == r.boards()
        assert s.checkpoints() == r.checkpoints()
        for board in boards:
            for archived in (False, True):
                assert s.board_view(board, archived) == r.board_view(board, archived)
            assert s.history(board, 1000) == r.history(board, 1000)


def next_undos(data_dir: Path, boards: list[str]) -> list[Any]:
    """Undo, redo, undo for each person on each board: outcomes and the events written."""
    found: list[Any] = []
    with bootstrap(Settings(data_dir=data_dir)) as app:
        head = app.log.head_seq()
        tries = itertools.product(("alice", "bob"), boards, (cmd.Undo, cmd.Redo, cmd.Undo))
        for n, (actor, board, verb) in enumerate(tries):
            try:
                result = app.commands.dispatch(
                    verb(board), cmd.CommandContext(actor, f"same-{n}", admin=True)
                )
                found.append((result.version, result.seq, result.appended, result.unit_id))
            except KanbanError as exc:
                found.append(exc.kind)
        # Everything but the event id, the time and the hash, which are new.
        found += [row[:3] + row[4:8] for row in app.log.read_rows(head, 10_000)]
    return found


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps, cut=st.integers(0, 30))
def test_any_history_round_trips(
    tmp_path_factory: pytest.TempPathFactory, steps: list[Step], cut: int
) -> None:
    root = tmp_path_factory.mktemp("round-trip")
    original = root / "original"
    files: list[Path] = []

    def back_up(since: int) -> int:
        files.append(root / f"{len(files)}.jsonl.gz")
        with open(files[-1], "wb") as f:
            backup_format.write(app.log, f, since)
        return app.log.head_seq()

    with bootstrap(Settings(data_dir=original)) as app:
        people = [Client(app, "alice"), Client(app, "bob")]
        boards = [people[0].board("One"), people[1].board("Two", ("A", "B", "C"))]
        since = 0
        for i, (op, x, y, who, which) in enumerate(steps):
            if i == cut:
                since = back_up(0)
            with contextlib.suppress(KanbanError):
                people[who].run(command(load_board(app.log, app.mapper, boards[which]), op, x, y))
        back_up(since)
    report = restore(files, root / "restored")
    assert not report.point_in_time
    assert_same(original, root / "restored", boards)
    assert next_undos(root / "restored", boards) == next_undos(original, boards)
