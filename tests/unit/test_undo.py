"""Undo and redo: compensating events, per actor, refusing conflicts by name."""

from __future__ import annotations

import pytest

from kanban.domain import commands as cmd
from kanban.domain import errors
from kanban.domain import events as ev

from .journal import Journal

B = "b1"


@pytest.fixture
def board() -> Journal:
    """todo (cards a, b), doing (WIP 1), done; all made by alice."""
    j = Journal()
    j.run(cmd.AddColumn(B, "todo", "To do"))
    j.run(cmd.AddColumn(B, "doing", "Doing", wip_limit=1))
    j.run(cmd.AddColumn(B, "done", "Done"))
    j.run(cmd.AddCard(B, "a", "todo", "Card A"))
    j.run(cmd.AddCard(B, "b", "todo", "Card B"))
    return j


def test_undo_of_a_move_appends_the_reverse_move(board: Journal) -> None:
    board.run(cmd.MoveCard(B, "a", "done", 0))
    [event] = board.run(cmd.Undo(B))
    assert event == ev.CardMoved("a", "done", 0, "todo", 0)
    assert board.board.columns["todo"].cards == ["a", "b"]
    assert board.records[-1].undo_of == board.records[-2].command_id


def test_undo_walks_back_and_redo_walks_forward(board: Journal) -> None:
    states = [board.board.view()]
    board.run(cmd.MoveCard(B, "a", "done", 0))
    states.append(board.board.view())
    board.run(cmd.EditCard(B, "b", title="B2", labels=("x",)))
    states.append(board.board.view())
    board.run(cmd.Undo(B))
    assert _content(board) == _content_of(states[1])
    board.run(cmd.Undo(B))
    assert _content(board) == _content_of(states[0])
    board.run(cmd.Redo(B))
    assert _content(board) == _content_of(states[1])
    board.run(cmd.Redo(B))
    assert _content(board) == _content_of(states[2])
    with pytest.raises(errors.NothingToRedo):
        board.run(cmd.Redo(B))


def test_undoing_a_card_creation_removes_it_and_redo_brings_the_same_card(
    board: Journal,
) -> None:
    board.run(cmd.AddCard(B, "c", "todo", "Card C", labels=("x",), position=0))
    [removed] = board.run(cmd.Undo(B))
    assert isinstance(removed, ev.CardRemoved)
    assert "c" not in board.board.cards
    assert board.board.columns["todo"].cards == ["a", "b"]
    [added] = board.run(cmd.Redo(B))
    assert added == ev.CardAdded("c", "todo", 0, "Card C", "", ("x",), (), None)


def test_undo_is_per_actor(board: Journal) -> None:
    board.run(cmd.MoveCard(B, "a", "done", 0), actor="alice")
    board.run(cmd.RenameBoard(B, "Bob's name"), actor="bob")
    board.run(cmd.Undo(B), actor="alice")
    assert board.board.title == "Bob's name"
    assert board.board.columns["done"].cards == []
    board.run(cmd.Undo(B), actor="bob")
    assert board.board.title == "Board"


def test_nothing_to_undo_for_an_actor_without_changes(board: Journal) -> None:
    with pytest.raises(errors.NothingToUndo):
        board.run(cmd.Undo(B), actor="carol")


def test_board_creation_is_not_undoable() -> None:
    j = Journal()
    with pytest.raises(errors.NothingToUndo):
        j.run(cmd.Undo(B))


def test_new_change_clears_the_redo_stack(board: Journal) -> None:
    board.run(cmd.MoveCard(B, "a", "done", 0))
    board.run(cmd.Undo(B))
    board.run(cmd.RenameBoard(B, "Other"))
    with pytest.raises(errors.NothingToRedo):
        board.run(cmd.Redo(B))


def test_a_multi_event_command_is_undone_as_one_unit(board: Journal) -> None:
    board.run(cmd.EditColumn(B, "todo", title="Backlog", wip_limit=5))
    events = board.run(cmd.Undo(B))
    assert [type(e) for e in events] == [ev.WipLimitChanged, ev.ColumnRenamed]
    column = board.board.columns["todo"]
    assert (column.title, column.wip_limit) == ("To do", None)


@pytest.mark.parametrize(
    ("alice", "bob", "message"),
    [
        (cmd.MoveCard(B, "a", "done", 0), cmd.MoveCard(B, "a", "todo", 0), "moved since"),
        (cmd.EditCard(B, "a", title="X"), cmd.EditCard(B, "a", title="Y"), "title"),
        (cmd.MoveCard(B, "a", "done", 0), cmd.ArchiveCard(B, "a"), "archived since"),
        (cmd.RenameBoard(B, "A's"), cmd.RenameBoard(B, "B's"), "title"),
        (cmd.EditColumn(B, "todo", wip_limit=3), cmd.EditColumn(B, "todo", wip_limit=4), "wip"),
        (cmd.AddColumn(B, "new", "New"), cmd.AddCard(B, "z", "new", "Z"), "holds 1 card"),
        (cmd.MoveCard(B, "a", "done", 0), cmd.ArchiveBoard(B), "archived"),
    ],
)
def test_undo_colliding_with_a_later_change_by_someone_else_is_refused(
    board: Journal, alice: cmd.Command, bob: cmd.Command, message: str
) -> None:
    board.run(alice, actor="alice")
    board.run(bob, actor="bob")
    before = board.board.to_snapshot()
    with pytest.raises(errors.UndoConflict, match=message) as caught:
        board.run(cmd.Undo(B), actor="alice")
    assert board.board.to_snapshot() == before
    if caught.value.later is not None:
        assert caught.value.later["actor"] == "bob"


def test_conflict_names_the_later_change(board: Journal) -> None:
    board.run(cmd.MoveCard(B, "a", "done", 0), actor="alice")
    board.run(cmd.MoveCard(B, "a", "todo", 1), actor="bob")
    with pytest.raises(errors.UndoConflict) as caught:
        board.run(cmd.Undo(B), actor="alice")
    assert caught.value.later == {
        "version": board.board.version,
        "actor": "bob",
        "type": "CardMoved",
    }
    assert "bob" in caught.value.message
    # The refused undo left alice's stack alone: once bob undoes, alice can.
    board.run(cmd.Undo(B), actor="bob")
    with pytest.raises(errors.UndoConflict):
        board.run(cmd.Undo(B), actor="alice")


def test_undo_into_a_full_column_is_a_conflict(board: Journal) -> None:
    board.run(cmd.MoveCard(B, "a", "done", 0), actor="alice")
    board.run(cmd.EditColumn(B, "todo", wip_limit=1), actor="bob")
    with pytest.raises(errors.UndoConflict, match="WIP limit"):
        board.run(cmd.Undo(B), actor="alice")


def test_undo_into_a_removed_column_is_a_conflict(board: Journal) -> None:
    board.run(cmd.MoveCard(B, "a", "done", 0), actor="alice")
    board.run(cmd.MoveCard(B, "b", "done", 0), actor="bob")
    board.run(cmd.RemoveColumn(B, "todo"), actor="bob")
    with pytest.raises(errors.UndoConflict, match="column was removed"):
        board.run(cmd.Undo(B), actor="alice")


def test_own_undone_changes_do_not_block_older_undos(board: Journal) -> None:
    board.run(cmd.EditCard(B, "a", title="One"))
    board.run(cmd.EditCard(B, "a", title="Two"))
    board.run(cmd.Undo(B))
    board.run(cmd.Undo(B))
    assert board.board.cards["a"].title == "Card A"


def test_redo_conflicts_with_a_change_made_after_the_undo(board: Journal) -> None:
    board.run(cmd.EditCard(B, "a", title="Mine"), actor="alice")
    board.run(cmd.Undo(B), actor="alice")
    board.run(cmd.EditCard(B, "a", title="Bob's"), actor="bob")
    with pytest.raises(errors.UndoConflict, match="bob"):
        board.run(cmd.Redo(B), actor="alice")


def test_undo_of_remove_column_brings_it_back_in_place(board: Journal) -> None:
    board.run(cmd.RemoveColumn(B, "doing"))
    board.run(cmd.Undo(B))
    assert board.board.column_order == ["todo", "doing", "done"]
    assert board.board.columns["doing"].wip_limit == 1


def test_undo_of_restore_into_another_column_returns_the_card_home(board: Journal) -> None:
    board.run(cmd.ArchiveCard(B, "a"))
    board.run(cmd.RestoreCard(B, "a", column_id="done"))
    board.run(cmd.Undo(B))
    card = board.board.cards["a"]
    assert (card.archived, card.column_id) == (True, "todo")


def _content(j: Journal) -> dict[str, object]:
    return _content_of(j.board.view(include_archived=True))


def _content_of(view: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in view.items() if k != "version"}
