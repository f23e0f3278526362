"""Each command checked against the board: the events it yields or the error it raises."""

from __future__ import annotations

import pytest

from kanban.domain import commands as cmd
from kanban.domain import errors
from kanban.domain import events as ev

from .journal import Journal

B = "b1"


@pytest.fixture
def board_with_columns() -> Journal:
    """A board with columns todo, doing (WIP limit 2) and done; cards a, b in todo."""
    j = Journal()
    j.run(cmd.AddColumn(B, "todo", "To do"))
    j.run(cmd.AddColumn(B, "doing", "Doing", wip_limit=2))
    j.run(cmd.AddColumn(B, "done", "Done"))
    j.run(cmd.AddCard(B, "a", "todo", "Card A"))
    j.run(cmd.AddCard(B, "b", "todo", "Card B"))
    return j


def cards(j: Journal, column: str) -> list[str]:
    return j.board.columns[column].cards


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (cmd.RenameBoard(B, "   "), errors.ValidationFailed),
        (cmd.RenameBoard(B, "x" * 201), errors.ValidationFailed),
        (cmd.AddColumn(B, "c9", ""), errors.ValidationFailed),
        (cmd.AddColumn(B, "todo", "Again"), errors.AlreadyExists),
        (cmd.AddColumn(B, "c9", "New", position=4), errors.PositionOutOfRange),
        (cmd.AddColumn(B, "c9", "New", position=-1), errors.PositionOutOfRange),
        (cmd.AddColumn(B, "c9", "New", wip_limit=0), errors.ValidationFailed),
        (cmd.EditColumn(B, "nope", title="X"), errors.ColumnNotFound),
        (cmd.MoveColumn(B, "todo", 3), errors.PositionOutOfRange),
        (cmd.RemoveColumn(B, "todo"), errors.ColumnNotEmpty),
        (cmd.RemoveColumn(B, "nope"), errors.ColumnNotFound),
        (cmd.AddCard(B, "c", "nope", "T"), errors.ColumnNotFound),
        (cmd.AddCard(B, "a", "todo", "Dup"), errors.AlreadyExists),
        (cmd.AddCard(B, "c", "todo", ""), errors.ValidationFailed),
        (cmd.AddCard(B, "c", "todo", "T", position=3), errors.PositionOutOfRange),
        (
            cmd.AddCard(B, "c", "todo", "T", labels=tuple(f"l{i}" for i in range(21))),
            errors.ValidationFailed,
        ),
        (cmd.AddCard(B, "c", "todo", "T", labels=("",)), errors.ValidationFailed),
        (cmd.AddCard(B, "c", "todo", "T", due_date="2026-02-30"), errors.ValidationFailed),
        (cmd.AddCard(B, "c", "todo", "T", due_date="tomorrow"), errors.ValidationFailed),
        (cmd.EditCard(B, "nope", title="T"), errors.CardNotFound),
        (cmd.EditCard(B, "a", title=" "), errors.ValidationFailed),
        (cmd.EditCard(B, "a", description="x" * 20_001), errors.ValidationFailed),
        (cmd.MoveCard(B, "a", "nope", 0), errors.ColumnNotFound),
        (cmd.MoveCard(B, "a", "todo", 2), errors.PositionOutOfRange),
        (cmd.MoveCard(B, "a", "done", 1), errors.PositionOutOfRange),
        (cmd.ArchiveCard(B, "nope"), errors.CardNotFound),
        (cmd.RestoreCard(B, "nope"), errors.CardNotFound),
    ],
)
def test_invalid_command_raises_its_error_and_records_nothing(
    board_with_columns: Journal, command: cmd.Command, error: type[Exception]
) -> None:
    before = board_with_columns.board.to_snapshot()
    with pytest.raises(error):
        board_with_columns.run(command)
    assert board_with_columns.board.to_snapshot() == before


@pytest.mark.parametrize(
    "command",
    [
        cmd.RenameBoard(B, "Board"),
        cmd.RenameBoard(B, "  Board "),
        cmd.EditColumn(B, "todo", title="To do", wip_limit=None),
        cmd.MoveColumn(B, "doing", 1),
        cmd.EditCard(B, "a", title="Card A", labels=()),
        cmd.MoveCard(B, "a", "todo", 0),
        cmd.RestoreCard(B, "a"),
        cmd.RestoreBoard(B),
    ],
)
def test_command_that_changes_nothing_records_nothing(
    board_with_columns: Journal, command: cmd.Command
) -> None:
    version = board_with_columns.board.version
    assert board_with_columns.run(command) == []
    assert board_with_columns.board.version == version


@pytest.mark.parametrize(
    ("card", "column", "position", "expected_todo", "expected_done"),
    [
        ("a", "todo", 1, ["b", "a"], []),
        ("b", "todo", 0, ["b", "a"], []),
        ("a", "done", 0, ["b"], ["a"]),
        ("b", "done", None, ["a"], ["b"]),
    ],
)
def test_moved_card_sits_at_the_given_final_index(
    board_with_columns: Journal,
    card: str,
    column: str,
    position: int | None,
    expected_todo: list[str],
    expected_done: list[str],
) -> None:
    board_with_columns.run(cmd.MoveCard(B, card, column, position))
    assert cards(board_with_columns, "todo") == expected_todo
    assert cards(board_with_columns, "done") == expected_done


def test_card_inserted_at_position_and_last_by_default(board_with_columns: Journal) -> None:
    j = board_with_columns
    j.run(cmd.AddCard(B, "c", "todo", "C", position=0))
    j.run(cmd.AddCard(B, "d", "todo", "D"))
    j.run(cmd.AddCard(B, "e", "todo", "E", position=2))
    assert cards(j, "todo") == ["c", "a", "e", "b", "d"]


def test_wip_limit_refuses_adding_and_moving_into_a_full_column(
    board_with_columns: Journal,
) -> None:
    j = board_with_columns
    j.run(cmd.MoveCard(B, "a", "doing", 0))
    j.run(cmd.AddCard(B, "c", "doing", "C"))
    with pytest.raises(errors.WipLimitReached):
        j.run(cmd.MoveCard(B, "b", "doing", 0))
    with pytest.raises(errors.WipLimitReached):
        j.run(cmd.AddCard(B, "d", "doing", "D"))
    # Reordering inside a full column is fine.
    j.run(cmd.MoveCard(B, "a", "doing", 1))
    assert cards(j, "doing") == ["c", "a"]


def test_lowering_a_limit_below_the_count_marks_the_column_over_its_limit(
    board_with_columns: Journal,
) -> None:
    j = board_with_columns
    j.run(cmd.EditColumn(B, "todo", wip_limit=1))
    assert j.board.columns["todo"].over_limit
    assert j.board.view()["columns"][0]["over_limit"] is True
    j.run(cmd.EditColumn(B, "todo", wip_limit=None))
    assert not j.board.columns["todo"].over_limit


def test_archived_card_leaves_the_order_and_cannot_be_edited_or_moved(
    board_with_columns: Journal,
) -> None:
    j = board_with_columns
    j.run(cmd.ArchiveCard(B, "a"))
    assert cards(j, "todo") == ["b"]
    with pytest.raises(errors.CardArchived):
        j.run(cmd.EditCard(B, "a", title="New"))
    with pytest.raises(errors.CardArchived):
        j.run(cmd.MoveCard(B, "a", "done", 0))
    assert [c["id"] for c in j.board.view()["columns"][0]["cards"]] == ["b"]
    shown = j.board.view(include_archived=True)["columns"][0]["cards"]
    assert [(c["id"], c["archived"]) for c in shown] == [("b", False), ("a", True)]
    j.run(cmd.RestoreCard(B, "a", position=0))
    assert cards(j, "todo") == ["a", "b"]


def test_restoring_a_card_whose_column_was_removed_needs_a_column(
    board_with_columns: Journal,
) -> None:
    j = board_with_columns
    j.run(cmd.ArchiveCard(B, "a"))
    j.run(cmd.ArchiveCard(B, "b"))
    j.run(cmd.RemoveColumn(B, "todo"))
    with pytest.raises(errors.ColumnNotFound, match="name the column"):
        j.run(cmd.RestoreCard(B, "a"))
    j.run(cmd.RestoreCard(B, "a", column_id="done"))
    assert cards(j, "done") == ["a"]


def test_archived_board_refuses_changes_until_restored(board_with_columns: Journal) -> None:
    j = board_with_columns
    j.run(cmd.ArchiveBoard(B))
    with pytest.raises(errors.BoardArchived):
        j.run(cmd.AddCard(B, "c", "todo", "C"))
    j.run(cmd.RestoreBoard(B))
    j.run(cmd.AddCard(B, "c", "todo", "C"))


def test_edit_records_previous_values_and_normalizes_sets(board_with_columns: Journal) -> None:
    j = board_with_columns
    [event] = j.run(
        cmd.EditCard(B, "a", title=" New ", labels=("z", "a", "z"), due_date="2026-12-01")
    )
    assert isinstance(event, ev.CardEdited)
    assert {c.field: (c.value, c.previous) for c in event.changes} == {
        "title": ("New", "Card A"),
        "labels": (("a", "z"), ()),
        "due_date": ("2026-12-01", None),
    }


def test_move_records_where_the_card_came_from(board_with_columns: Journal) -> None:
    [event] = board_with_columns.run(cmd.MoveCard(B, "b", "done", 0))
    assert event == ev.CardMoved("b", "todo", 1, "done", 0)


def test_column_with_only_archived_cards_can_be_removed(board_with_columns: Journal) -> None:
    j = board_with_columns
    j.run(cmd.ArchiveCard(B, "a"))
    j.run(cmd.ArchiveCard(B, "b"))
    [event] = j.run(cmd.RemoveColumn(B, "todo"))
    assert event == ev.ColumnRemoved("todo", "To do", 0, None)
    assert j.board.column_order == ["doing", "done"]


def test_removed_ids_are_never_reused(board_with_columns: Journal) -> None:
    j = board_with_columns
    j.run(cmd.RemoveColumn(B, "done"))
    with pytest.raises(errors.AlreadyExists):
        j.run(cmd.AddColumn(B, "done", "Done again"))
