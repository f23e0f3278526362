"""Properties over random command sequences: replay, undo/redo, snapshots, codec."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kanban.domain import commands as cmd
from kanban.domain import events as ev
from kanban.domain.errors import KanbanError
from kanban.domain.model import Board

from .journal import Journal

B = "b1"
# Weighted towards card work, as on a real board.
OPS = (
    "add_column",
    "edit_column",
    "move_column",
    "remove_column",
    "add_card",
    "add_card",
    "edit_card",
    "edit_card",
    "move_card",
    "move_card",
    "move_card",
    "archive_card",
    "restore_card",
    "rename_board",
    "undo",
    "redo",
)
Intent = tuple[str, int, int, int]
intents = st.lists(
    st.tuples(
        st.sampled_from(OPS),
        st.integers(0, 50),
        st.integers(0, 50),
        st.integers(0, 1),  # which actor
    ),
    min_size=3,
    max_size=60,
)
WORDS = ("alpha", "beta", "gamma", "delta")
# Pure folds are cheap, so these properties afford many more examples than
# the storage tests' profile.
many = settings(max_examples=300)


def to_command(j: Journal, op: str, x: int, y: int) -> cmd.Command:
    b = j.board
    columns = b.column_order
    cards = sorted(b.cards)
    column = columns[x % len(columns)] if columns else "missing"
    card = cards[x % len(cards)] if cards else "missing"
    target = columns[y % len(columns)] if columns else "missing"
    match op:
        case "add_column":
            wip = None if y % 3 else 1 + y % 4
            return cmd.AddColumn(B, j.new_id("col"), WORDS[x % 4], y % (len(columns) + 1), wip)
        case "edit_column":
            return cmd.EditColumn(B, column, title=WORDS[y % 4], wip_limit=None if y % 2 else 2)
        case "move_column":
            return cmd.MoveColumn(B, column, y % max(len(columns), 1))
        case "remove_column":
            return cmd.RemoveColumn(B, column)
        case "add_card":
            size = len(b.columns[column].cards) if columns else 0
            return cmd.AddCard(
                B,
                j.new_id("card"),
                column,
                WORDS[y % 4],
                labels=WORDS[: y % 3],
                position=y % (size + 1),
            )
        case "edit_card":
            return cmd.EditCard(
                B,
                card,
                title=WORDS[y % 4],
                assignees=WORDS[: y % 2],
                due_date=None if y % 2 else "2026-12-24",
            )
        case "move_card":
            size = len(b.columns[target].cards) if columns else 0
            return cmd.MoveCard(B, card, target, y % (size + 1))
        case "archive_card":
            return cmd.ArchiveCard(B, card)
        case "restore_card":
            return cmd.RestoreCard(B, card, column_id=target if y % 2 else None)
        case "rename_board":
            return cmd.RenameBoard(B, WORDS[y % 4])
        case "undo":
            return cmd.Undo(B)
    return cmd.Redo(B)


def seeded() -> Journal:
    """A board with three columns (the middle one with WIP limit 3) and five cards."""
    j = Journal()
    for column_id, title, wip in (("c1", "To do", None), ("c2", "Doing", 3), ("c3", "Done", None)):
        j.run(cmd.AddColumn(B, column_id, title, wip_limit=wip))
    for i in range(5):
        j.run(cmd.AddCard(B, f"k{i}", ("c1", "c1", "c2", "c3", "c1")[i], f"Card {i}"))
    return j


def play(j: Journal, steps: list[Intent]) -> None:
    for op, x, y, who in steps:
        actor = ("alice", "bob")[who]
        before = j.board.to_snapshot()
        try:
            j.run(to_command(j, op, x, y), actor)
        except KanbanError:
            # A refused command changes nothing.
            assert j.board.to_snapshot() == before


def content(board: Board) -> dict[str, Any]:
    view = board.view(include_archived=True)
    del view["version"]
    return view


@many
@given(intents)
def test_folding_the_recorded_events_reproduces_the_live_state(steps: list[Intent]) -> None:
    j = seeded()
    play(j, steps)
    assert j.refold().to_snapshot() == j.board.to_snapshot()


@many
@given(intents, st.data())
def test_undoing_the_last_units_restores_the_state_before_them(
    steps: list[Intent], data: st.DataObject
) -> None:
    j = seeded()
    play(j, [(op, x, y, 0) for op, x, y, _ in steps if op not in ("undo", "redo")])
    units = list(j.board.stacks_of("alice").done)
    n = data.draw(st.integers(0, len(units)), label="n")
    after = content(j.board)
    start = content(Board.fold(j.records[: units[-n].first_version - 1])) if n else after
    for _ in range(n):
        j.run(cmd.Undo(B), "alice")
    assert content(j.board) == start
    for _ in range(n):
        j.run(cmd.Redo(B), "alice")
    assert content(j.board) == after
    assert j.refold().to_snapshot() == j.board.to_snapshot()


@many
@given(intents, st.integers(1, 60))
def test_snapshot_round_trip_and_fold_from_snapshot(steps: list[Intent], cut: int) -> None:
    j = seeded()
    play(j, steps)
    board = j.board
    assert Board.from_snapshot(board.to_snapshot()).to_snapshot() == board.to_snapshot()
    cut = min(cut, len(j.records))
    middle = Board.from_snapshot(Board.fold(j.records[:cut]).to_snapshot())
    assert Board.fold(j.records[cut:], middle).to_snapshot() == board.to_snapshot()


@many
@given(intents)
def test_every_event_survives_the_codec_round_trip(steps: list[Intent]) -> None:
    j = seeded()
    play(j, steps)
    for record in j.records:
        e = record.event
        assert ev.registry.decode(e.type_name, e.schema_version, e.to_data()) == e
