"""`kanban demo` and `kanban board ...`: boards on the command line."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from kanban.bootstrap import Kanban
from kanban.cli.common import DataDir, _actor, _fail, _log, _open, app, moment, out
from kanban.domain import commands as cmd
from kanban.domain.commands import derived_id, is_board_stream
from kanban.domain.errors import KanbanError
from kanban.service.history import board_history
from kanban.service.mapper import EventMapper
from kanban.service.repository import load_board
from kanban.store.ports import EventFeed

board_app = typer.Typer(help="Look at boards.", no_args_is_help=True)
app.add_typer(board_app, name="board")


@app.command()
def demo(data_dir: DataDir = None) -> None:
    """Create a demo board, make a few changes (with an undo and a redo), print it."""
    try:
        with _open(data_dir) as kanban:
            board_id = _build_demo(kanban)
            _print_board(load_board(kanban.log, kanban.mapper, board_id).view())
            _print_history(kanban.log, board_id)
            out.print(f"\nEvent log: {kanban.settings.log_path}")
    except KanbanError as exc:
        raise _fail(exc) from exc


def _build_demo(kanban: Kanban) -> str:
    actor = _actor()

    def run(command: cmd.Command) -> cmd.CommandResult:
        ctx = cmd.CommandContext.new(actor)
        return kanban.commands.dispatch(command, ctx)

    board = run(cmd.CreateBoard(str(uuid.uuid4()), "Demo board")).board_id
    cols = {}
    for title, limit in (("To do", None), ("Doing", 2), ("Done", None)):
        command_id = str(uuid.uuid4())
        column_id = derived_id(command_id, "column")
        kanban.commands.dispatch(
            cmd.AddColumn(board, column_id, title, wip_limit=limit),
            cmd.CommandContext(actor=actor, command_id=command_id),
        )
        cols[title] = column_id
    cards = {}
    for title, labels in (
        ("Write the event log", ("core",)),
        ("Add the API", ("api",)),
        ("Ship the Helm chart", ("ops",)),
    ):
        card_id = str(uuid.uuid4())
        run(cmd.AddCard(board, card_id, cols["To do"], title, labels=labels))
        cards[title] = card_id
    run(cmd.MoveCard(board, cards["Write the event log"], cols["Doing"], 0))
    run(
        cmd.EditCard(
            board, cards["Add the API"], description="FastAPI, **CQRS**", due_date="2026-12-31"
        )
    )
    run(cmd.MoveCard(board, cards["Write the event log"], cols["Done"], 0))
    run(cmd.Undo(board))
    run(cmd.Redo(board))
    return board


@board_app.command("list")
def board_list(data_dir: DataDir = None) -> None:
    """List every board with its version."""
    with _log(data_dir) as store:
        table = Table("board id", "title", "version", "archived")
        for stream in store.streams():
            if not is_board_stream(stream.stream_id):
                continue  # users and tokens
            view = load_board(store, EventMapper(), stream.stream_id).view()
            table.add_row(view["id"], view["title"], str(view["version"]), str(view["archived"]))
        out.print(table)


@board_app.command("show")
def board_show(
    board_id: str,
    data_dir: DataDir = None,
    version: Annotated[
        int | None, typer.Option(help="Show the board as it was at this version.")
    ] = None,
    at: Annotated[
        datetime | None, moment("Show the board as it was at this time (ISO 8601, with timezone).")
    ] = None,
    include_archived: Annotated[bool, typer.Option(help="Show archived cards too.")] = False,
) -> None:
    """Print a board now, or as it was at a past version or time."""
    try:
        with _log(data_dir) as store:
            if at is not None:
                version = store.version_at(board_id, at)
                if version == 0:
                    raise typer.BadParameter(f"board {board_id} did not exist at {at}")
            _print_board(load_board(store, EventMapper(), board_id, version).view(include_archived))
    except KanbanError as exc:
        raise _fail(exc) from exc


@board_app.command("history")
def board_history_cmd(board_id: str, data_dir: DataDir = None) -> None:
    """Print every change made to a board: who, what and when."""
    try:
        with _log(data_dir) as store:
            _print_history(store, board_id)
    except KanbanError as exc:
        raise _fail(exc) from exc


def _print_board(view: dict[str, Any]) -> None:
    state = " (archived)" if view["archived"] else ""
    table = Table(title=f"{view['title']}{state} - version {view['version']}", show_lines=True)
    for column in view["columns"]:
        limit = column["wip_limit"]
        count = len([c for c in column["cards"] if not c["archived"]])
        head = f"{column['title']} ({count}/{limit})" if limit else f"{column['title']} ({count})"
        table.add_column(head + (" OVER LIMIT" if column["over_limit"] else ""))
    rows = max((len(c["cards"]) for c in view["columns"]), default=0)
    for i in range(rows):
        table.add_row(
            *[_card_cell(c["cards"][i]) if i < len(c["cards"]) else "" for c in view["columns"]]
        )
    out.print(table)


def _card_cell(card: dict[str, Any]) -> str:
    parts = [card["title"] + (" [archived]" if card["archived"] else "")]
    if card["labels"]:
        parts.append(" ".join(f"#{label}" for label in card["labels"]))
    if card["due_date"]:
        parts.append(f"due {card['due_date']}")
    return "\n".join(parts)


def _print_history(store: EventFeed, board_id: str) -> None:
    table = Table("seq", "ver", "when (UTC)", "who", "what", title="History")
    for item in board_history(store, EventMapper(), board_id):
        what = item.summary
        if item.undo_of:
            what = f"undo: {what}"
        elif item.redo_of:
            what = f"redo: {what}"
        if item.undone:
            what = f"[strike]{what}[/strike] (undone)"
        when = item.recorded_at.strftime("%Y-%m-%d %H:%M:%S") if item.recorded_at else ""
        table.add_row(str(item.seq), str(item.version), when, item.actor, what)
    out.print(table)
