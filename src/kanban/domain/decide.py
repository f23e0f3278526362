"""Decisions: each command checked against the board, answered with new events.

Nothing here changes the board: a decision returns the events to record (an
empty list when the command would change nothing) or raises a domain error.
The board changes only when the recorded events are applied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kanban.domain import commands as cmd
from kanban.domain import events as ev
from kanban.domain import rules
from kanban.domain.access import Role, role
from kanban.domain.errors import (
    AlreadyExists,
    BoardArchived,
    CardArchived,
    CardNotFound,
    ColumnNotEmpty,
    ColumnNotFound,
    LastOwner,
    MemberNotFound,
    ValidationFailed,
    WipLimitReached,
)
from kanban.domain.model import Board, Card, Column


def create_board(c: cmd.CreateBoard, creator: str) -> list[ev.Event]:
    """A new board, owned by whoever created it."""
    board_id = rules.entity_id(c.board_id, "board_id")
    if board_id.startswith("$"):
        raise ValidationFailed("board ids starting with '$' are reserved")
    return [ev.BoardCreated(board_id, rules.title(c.title), creator)]


def rename_board(board: Board, c: cmd.RenameBoard) -> list[ev.Event]:
    _writable(board)
    title = rules.title(c.title)
    return [] if title == board.title else [ev.BoardRenamed(title, board.title)]


def archive_board(board: Board, c: cmd.ArchiveBoard) -> list[ev.Event]:
    return [] if board.archived else [ev.BoardArchived()]


def restore_board(board: Board, c: cmd.RestoreBoard) -> list[ev.Event]:
    return [ev.BoardRestored()] if board.archived else []


# --- columns -------------------------------------------------------------------


def add_column(board: Board, c: cmd.AddColumn) -> list[ev.Event]:
    _writable(board)
    column_id = _new_id(board, c.column_id, "column_id")
    if len(board.columns) >= rules.MAX_COLUMNS:
        raise ValidationFailed(f"a board holds at most {rules.MAX_COLUMNS} columns")
    size = len(board.column_order)
    position = size if c.position is None else rules.position(c.position, size + 1, "column")
    return [ev.ColumnAdded(column_id, rules.title(c.title), position, rules.wip_limit(c.wip_limit))]


def edit_column(board: Board, c: cmd.EditColumn) -> list[ev.Event]:
    _writable(board)
    column = _column(board, c.column_id)
    out: list[ev.Event] = []
    if c.title is not cmd.UNSET:
        title = rules.title(c.title)
        if title != column.title:
            out.append(ev.ColumnRenamed(column.id, title, column.title))
    if c.wip_limit is not cmd.UNSET:
        # Lowering a limit below the current count is allowed: the column is
        # then shown over its limit and takes no new cards until it drains.
        limit = rules.wip_limit(c.wip_limit)
        if limit != column.wip_limit:
            out.append(ev.WipLimitChanged(column.id, limit, column.wip_limit))
    return out


def move_column(board: Board, c: cmd.MoveColumn) -> list[ev.Event]:
    _writable(board)
    column = _column(board, c.column_id)
    current = board.column_position(column.id)
    position = rules.position(c.position, len(board.column_order), "column")
    return [] if position == current else [ev.ColumnMoved(column.id, position, current)]


def remove_column(board: Board, c: cmd.RemoveColumn) -> list[ev.Event]:
    _writable(board)
    column = _column(board, c.column_id)
    if column.cards:
        raise ColumnNotEmpty(
            f"column {column.title!r} still holds {len(column.cards)} card(s); "
            "move or archive them first"
        )
    return [
        ev.ColumnRemoved(
            column.id, column.title, board.column_position(column.id), column.wip_limit
        )
    ]


# --- cards ---------------------------------------------------------------------


def add_card(board: Board, c: cmd.AddCard) -> list[ev.Event]:
    _writable(board)
    card_id = _new_id(board, c.card_id, "card_id")
    column = _column(board, c.column_id)
    if len(board.cards) >= rules.MAX_CARDS:
        raise ValidationFailed(f"a board holds at most {rules.MAX_CARDS} cards")
    title = rules.title(c.title)
    description = rules.description(c.description)
    labels, assignees = rules.labels(c.labels), rules.assignees(c.assignees)
    due = rules.due_date(c.due_date)
    _room_for_one(column)
    size = len(column.cards)
    position = size if c.position is None else rules.position(c.position, size + 1, "card")
    return [ev.CardAdded(card_id, column.id, position, title, description, labels, assignees, due)]


def edit_card(board: Board, c: cmd.EditCard) -> list[ev.Event]:
    _writable(board)
    card = _live_card(board, c.card_id)
    wanted: dict[str, object] = {}
    if c.title is not cmd.UNSET:
        wanted["title"] = rules.title(c.title)
    if c.description is not cmd.UNSET:
        wanted["description"] = rules.description(c.description)
    if c.labels is not cmd.UNSET:
        wanted["labels"] = rules.labels(c.labels)
    if c.assignees is not cmd.UNSET:
        wanted["assignees"] = rules.assignees(c.assignees)
    if c.due_date is not cmd.UNSET:
        wanted["due_date"] = rules.due_date(c.due_date)
    changes = tuple(
        ev.FieldChange(name, value, getattr(card, name))
        for name, value in wanted.items()
        if value != getattr(card, name)
    )
    return [ev.CardEdited(card.id, changes)] if changes else []


def move_card(board: Board, c: cmd.MoveCard) -> list[ev.Event]:
    _writable(board)
    card = _live_card(board, c.card_id)
    target = _column(board, c.column_id)
    source_position = board.card_position(card)
    same_column = target.id == card.column_id
    size = len(target.cards) if same_column else len(target.cards) + 1
    position = size - 1 if c.position is None else rules.position(c.position, size, "card")
    if same_column and position == source_position:
        return []
    if not same_column:
        _room_for_one(target)
    return [ev.CardMoved(card.id, card.column_id, source_position, target.id, position)]


def archive_card(board: Board, c: cmd.ArchiveCard) -> list[ev.Event]:
    _writable(board)
    card = _card(board, c.card_id)
    if card.archived:
        return []
    return [ev.CardArchived(card.id, card.column_id, board.card_position(card))]


def restore_card(board: Board, c: cmd.RestoreCard) -> list[ev.Event]:
    _writable(board)
    card = _card(board, c.card_id)
    if not card.archived:
        return []
    column_id = c.column_id or card.column_id
    column = board.column(column_id)
    if column is None:
        if c.column_id is None:
            raise ColumnNotFound(
                f"card {card.title!r} was archived from a column that has since been "
                "removed; name the column to restore it into"
            )
        raise ColumnNotFound(f"column {column_id} does not exist on this board")
    _room_for_one(column)
    size = len(column.cards)
    position = size if c.position is None else rules.position(c.position, size + 1, "card")
    previous = card.column_id if column.id != card.column_id else None
    return [ev.CardRestored(card.id, column.id, position, previous)]


# --- members ---------------------------------------------------------------------


def set_member(board: Board, c: cmd.SetMember, name: str) -> list[ev.Event]:
    """Grant `c.role` to a user (`name`: theirs, for the history to show)."""
    wanted = role(c.role)
    held = board.members.get(c.user_id)
    if held is None:
        return [ev.MemberAdded(c.user_id, name, wanted)]
    if held is wanted:
        return []
    if held is Role.OWNER and board.owners() == [c.user_id]:
        raise LastOwner(f"{name} is the board's last owner; make someone else owner first")
    return [ev.MemberRoleChanged(c.user_id, name, wanted, held)]


def remove_member(board: Board, c: cmd.RemoveMember, name: str) -> list[ev.Event]:
    held = board.members.get(c.user_id)
    if held is None:
        raise MemberNotFound(f"{name} is not a member of this board")
    if held is Role.OWNER and board.owners() == [c.user_id]:
        raise LastOwner(f"{name} is the board's last owner; make someone else owner first")
    return [ev.MemberRemoved(c.user_id, name, held)]


# --- shared checks --------------------------------------------------------------


def _writable(board: Board) -> None:
    if board.archived:
        raise BoardArchived(f"board {board.title!r} is archived; restore it first")


def _new_id(board: Board, value: str, what: str) -> str:
    new_id = rules.entity_id(value, what)
    if new_id in board.columns or new_id in board.cards or new_id in board.retired:
        raise AlreadyExists(f"{what} {new_id} is already taken on this board")
    return new_id


def _column(board: Board, column_id: str) -> Column:
    column = board.column(column_id)
    if column is None:
        raise ColumnNotFound(f"column {column_id} does not exist on this board")
    return column


def _card(board: Board, card_id: str) -> Card:
    card = board.card(card_id)
    if card is None:
        raise CardNotFound(f"card {card_id} does not exist on this board")
    return card


def _live_card(board: Board, card_id: str) -> Card:
    card = _card(board, card_id)
    if card.archived:
        raise CardArchived(f"card {card.title!r} is archived; restore it first")
    return card


def _room_for_one(column: Column) -> None:
    if column.full:
        raise WipLimitReached(
            f"column {column.title!r} is at its WIP limit ({len(column.cards)}/{column.wip_limit})"
        )


#: Commands on an existing board and the decision that answers each.
DECISIONS: dict[type[cmd.Command], Callable[[Board, Any], list[ev.Event]]] = {
    cmd.RenameBoard: rename_board,
    cmd.ArchiveBoard: archive_board,
    cmd.RestoreBoard: restore_board,
    cmd.AddColumn: add_column,
    cmd.EditColumn: edit_column,
    cmd.MoveColumn: move_column,
    cmd.RemoveColumn: remove_column,
    cmd.AddCard: add_card,
    cmd.EditCard: edit_card,
    cmd.MoveCard: move_card,
    cmd.ArchiveCard: archive_card,
    cmd.RestoreCard: restore_card,
}
