"""The `kanban` command line."""

from __future__ import annotations

import getpass
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from kanban.bootstrap import Kanban, bootstrap, open_log, rebuilder
from kanban.distributed.observe import DistributedStats, distributed_stats, probe_client
from kanban.domain import commands as cmd
from kanban.domain.errors import KanbanError
from kanban.projections.boards import BoardsProjection
from kanban.projections.history import HistoryProjection
from kanban.projections.runner import Projector
from kanban.service.codec import derived_id
from kanban.service.history import board_history
from kanban.service.repository import load_board
from kanban.settings import Settings
from kanban.store.base import EventStore

app = typer.Typer(
    help="Kanban: a kanban board whose every change is an immutable event.", no_args_is_help=True
)
log_app = typer.Typer(help="Inspect the event log.", no_args_is_help=True)
board_app = typer.Typer(help="Look at boards.", no_args_is_help=True)
app.add_typer(log_app, name="log")
app.add_typer(board_app, name="board")
projections_app = typer.Typer(help="Read models built from the log.", no_args_is_help=True)
app.add_typer(projections_app, name="projections")

out = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory [env: KANBAN_DATA_DIR; default ./data]",
        show_default=False,
    ),
]


def _settings(data_dir: Path | None) -> Settings:
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    return Settings(**overrides)


RedisUrl = Annotated[
    str | None,
    typer.Option(help="Redis for the distributed mode [env: KANBAN_REDIS_URL]", show_default=False),
]
WriterUrl = Annotated[
    str | None,
    typer.Option(
        help="The writer's base URL, for processes without the log [env: KANBAN_WRITER_URL]",
        show_default=False,
    ),
]
Group = Annotated[
    str | None,
    typer.Option(
        help="Redis consumer group of this read database [env: KANBAN_GROUP]", show_default=False
    ),
]


def _settings_with(**options: Any) -> Settings:
    """Settings from the environment, with the options given on the command line on top."""
    return Settings(**{k: v for k, v in options.items() if v is not None})


def _open(data_dir: Path | None) -> Kanban:
    return bootstrap(_settings(data_dir))


def _log(data_dir: Path | None) -> EventStore:
    """The event log alone: read-only commands start no writer and touch no read model."""
    return open_log(_settings(data_dir))


def _fail(exc: KanbanError) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc.message}")
    return typer.Exit(1)


def _actor() -> str:
    try:
        return os.environ.get("KANBAN_ACTOR") or getpass.getuser()
    except (KeyError, OSError):
        return "cli"


# --- serve ---------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[
        str | None,
        typer.Option(
            help="Listen address [env: KANBAN_HOST; default 127.0.0.1]", show_default=False
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Listen port [env: KANBAN_PORT; default 8000]", show_default=False),
    ] = None,
    data_dir: DataDir = None,
    redis_url: RedisUrl = None,
    role: Annotated[
        str | None,
        typer.Option(
            help="writer (owns the log) or query (a replica that forwards "
            "commands) [env: KANBAN_ROLE; default writer]",
            show_default=False,
        ),
    ] = None,
    writer_url: WriterUrl = None,
    group: Group = None,
) -> None:
    """Run the API. Embedded default: log, read models and projectors in one process.

    With --redis-url the log is also published to Redis Streams and the read
    models are fed through a consumer group; --role query runs a replica.
    """
    import uvicorn

    from kanban.api.app import create_app
    from kanban.api.auth import load_admin_token

    settings = _settings_with(
        data_dir=data_dir,
        host=host,
        port=port,
        redis_url=redis_url,
        role=role,
        writer_url=writer_url,
        group=group,
    )
    configured = settings.admin_token.get_secret_value() if settings.admin_token else None
    token = load_admin_token(configured, settings.data_dir)
    if token.generated and sys.stderr.isatty():
        err.print(
            f"Admin token (shown only now; kept in {token.path}):\n  {token.value}",
            markup=False,
            soft_wrap=True,
        )
    elif token.path is not None:
        err.print(f"Admin token: in {token.path}", markup=False, soft_wrap=True)
    api = create_app(settings)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            # End live streams first, or graceful shutdown would wait on them.
            shutdown = getattr(api.state, "shutdown", None)
            if shutdown is not None:
                shutdown()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(
        api, host=settings.host, port=settings.port, timeout_graceful_shutdown=10, log_level="info"
    )
    # uvicorn re-raises SIGTERM after its graceful shutdown; with this no-op as
    # the handler to restore, a clean shutdown exits 0 instead of 143.
    signal.signal(signal.SIGTERM, lambda *_: None)
    Server(config).run()


# --- projector worker ----------------------------------------------------------


@app.command()
def projector(
    redis_url: RedisUrl = None,
    data_dir: DataDir = None,
    read_db: Annotated[
        Path | None,
        typer.Option(
            "--read-db",
            help="Read database to maintain [env: KANBAN_READ_DB; default <data dir>/read.db]",
            show_default=False,
        ),
    ] = None,
    writer_url: WriterUrl = None,
    group: Group = None,
    consumer: Annotated[
        str | None,
        typer.Option(
            help="This worker's name in its group [env: KANBAN_CONSUMER; default <hostname>-<pid>]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run a projector worker: keep a read database current from the Redis stream.

    Workers of one group share the work and take over a crashed one's
    entries. Without the log file at hand, gaps are filled from --writer-url.
    """
    from kanban.bootstrap import stream_worker

    settings = _settings_with(
        data_dir=data_dir,
        read_db=read_db,
        redis_url=redis_url,
        writer_url=writer_url,
        group=group,
        consumer=consumer,
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        kanban = stream_worker(settings)
    except KanbanError as exc:
        raise _fail(exc) from exc
    with kanban:
        err.print(f"projector worker {settings.group or 'writer'}: running", markup=False)
        stop.wait()
    err.print("projector worker: stopped", markup=False)


# --- demo ----------------------------------------------------------------------


@app.command()
def demo(data_dir: DataDir = None) -> None:
    """Create a demo board, make a few changes (with an undo and a redo), print it."""
    try:
        with _open(data_dir) as kanban:
            board_id = _build_demo(kanban)
            _print_board(load_board(kanban.log, board_id).view())
            _print_history(kanban.log, board_id)
            out.print(f"\nEvent log: {kanban.settings.log_path}")
    except KanbanError as exc:
        raise _fail(exc) from exc


def _build_demo(kanban: Kanban) -> str:
    actor = _actor()

    def run(command: cmd.Command) -> cmd.CommandResult:
        ctx = cmd.CommandContext(actor=actor, command_id=str(uuid.uuid4()))
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


# --- board ---------------------------------------------------------------------


@board_app.command("list")
def board_list(data_dir: DataDir = None) -> None:
    """List every board with its version."""
    with _log(data_dir) as store:
        table = Table("board id", "title", "version", "archived")
        for stream in store.streams():
            view = load_board(store, stream.stream_id).view()
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
        datetime | None,
        typer.Option(
            help="Show the board as it was at this time (ISO 8601, with timezone).",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"],
        ),
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
            _print_board(load_board(store, board_id, version).view(include_archived))
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


def _print_history(store: EventStore, board_id: str) -> None:
    table = Table("seq", "ver", "when (UTC)", "who", "what", title="History")
    for item in board_history(store, board_id):
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


# --- log -----------------------------------------------------------------------


@log_app.command("verify")
def log_verify(data_dir: DataDir = None) -> None:
    """Walk the hash chain of the whole log; name the first broken link."""
    settings = _settings(data_dir)
    if not settings.log_path.exists():
        err.print(f"[red]error:[/red] no event log at {settings.log_path}")
        raise typer.Exit(2)
    try:
        with _log(data_dir) as store:
            report = _with_progress("verifying", store.verify)
    except KanbanError as exc:
        raise _fail(exc) from exc
    if report.ok:
        out.print(f"ok: {report.checked} events verified, head seq {report.head_seq}")
        return
    err.print(f"[red]BROKEN[/red] at seq {report.first_bad_seq}: {report.reason}")
    raise typer.Exit(1)


# --- projections ---------------------------------------------------------------

#: The read models, in the order the projector runs them.
PROJECTIONS = (BoardsProjection.name, HistoryProjection.name)

ProjectionName = Annotated[
    str | None,
    typer.Argument(
        help=f"One projection ({' or '.join(PROJECTIONS)}); all when left out.",
        show_default=False,
    ),
]


def _open_existing(data_dir: Path | None) -> tuple[Projector, Callable[[], None]]:
    """The local log's embedded projector (exit 2 rather than create a log)."""
    settings = _settings(data_dir)
    if not settings.log_path.exists():
        err.print(f"[red]error:[/red] no event log at {settings.log_path}")
        raise typer.Exit(2)
    return rebuilder(settings)


@projections_app.command("rebuild")
def projections_rebuild(name: ProjectionName = None, data_dir: DataDir = None) -> None:
    """Forget a read model (or all of them) and project it again from the whole log."""
    if name is not None and name not in PROJECTIONS:
        err.print(
            f"[red]error:[/red] no projection named {name!r}; choose one of "
            f"{', '.join(PROJECTIONS)}"
        )
        raise typer.Exit(2)
    names = [name] if name else list(PROJECTIONS)
    try:
        # Not started: no writer and no background projector, so this process
        # alone projects while rebuilding.
        projector, close = _open_existing(data_dir)
        try:
            started = time.monotonic()
            count = _with_progress(
                "rebuilding", lambda progress: projector.rebuild(names, progress)
            )
            elapsed = time.monotonic() - started
        finally:
            close()
    except KanbanError as exc:
        raise _fail(exc) from exc
    rate = count / elapsed if elapsed > 0 else 0.0
    out.print(
        f"rebuilt {', '.join(names)}: {count} events in {elapsed:.2f} s ({rate:,.0f} events/s)",
        highlight=False,
    )


@projections_app.command("status")
def projections_status(
    data_dir: DataDir = None,
    redis_url: Annotated[
        str | None,
        typer.Option(
            help="Also show the Redis consumer groups, their consumers and the relay "
            "[env: KANBAN_REDIS_URL]",
            show_default=False,
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show how far each read model has got: its checkpoint, the log's head, the lag.

    With a Redis URL, also each consumer group's lag (events and seconds), each
    consumer's pending entries and idle time, and the relay's progress.
    """
    url = redis_url or _settings(data_dir).redis_url
    stats: DistributedStats | None = None
    try:
        projector, close = _open_existing(data_dir)
        try:
            status = projector.status()
            if url:
                client = probe_client(url, timeout=5.0)
                try:
                    stats = distributed_stats(client, projector.source)
                finally:
                    client.close()
        finally:
            close()
    except KanbanError as exc:
        raise _fail(exc) from exc
    rows = [
        {"name": s.name, "checkpoint": s.checkpoint, "head": s.head, "lag": s.lag} for s in status
    ]
    if json:
        # Without Redis the list alone, as always; with it, the list beside the rest.
        body: Any = rows if stats is None else {"projections": rows, **_distributed_json(stats)}
        sys.stdout.write(orjson.dumps(body).decode() + "\n")
        return
    table = Table("projection", "checkpoint", "head", "lag")
    for s in status:
        table.add_row(s.name, str(s.checkpoint), str(s.head), str(s.lag))
    out.print(table)
    if stats is not None:
        _print_distributed(stats)


def _distributed_json(stats: DistributedStats) -> dict[str, Any]:
    relay = stats.relay
    return {
        "epoch": stats.epoch,
        "redis_up": stats.redis_up,
        "redis_error": stats.error,
        "relay": {
            "name": relay.name,
            "published": relay.published,
            "head": relay.head,
            "lag": relay.lag,
        },
        "groups": [
            {
                "name": g.name,
                "applied": g.applied,
                "head": g.head,
                "lag_events": g.lag_events,
                "lag_seconds": round(g.lag_seconds, 3),
                "pending": g.pending,
                "source": g.source,
                "consumers": [
                    {"name": c.name, "pending": c.pending, "idle_seconds": c.idle_seconds}
                    for c in g.consumers
                ],
            }
            for g in stats.groups
        ],
    }


def _print_distributed(stats: DistributedStats) -> None:
    relay = stats.relay
    out.print(
        f"relay: published {relay.published} of head {relay.head} (lag {relay.lag})",
        highlight=False,
        markup=False,
    )
    if not stats.redis_up:
        err.print(f"[red]redis unreachable:[/red] {escape(stats.error or '')}", highlight=False)
        return
    groups = Table("group", "applied", "lag events", "lag s", "pending", title="Consumer groups")
    consumers = Table("group", "consumer", "pending", "idle s", title="Consumers")
    for g in stats.groups:
        groups.add_row(
            g.name, str(g.applied), str(g.lag_events), f"{g.lag_seconds:.3f}", str(g.pending)
        )
        for c in g.consumers:
            consumers.add_row(g.name, c.name, str(c.pending), f"{c.idle_seconds:.3f}")
    out.print(groups)
    out.print(consumers)


class _RateColumn(ProgressColumn):
    """Events per second, once rich has enough samples to tell."""

    def render(self, task: Task) -> Text:
        return Text("" if task.speed is None else f"{task.speed:,.0f} events/s")


def _with_progress(label: str, work: Any) -> Any:
    """Run `work(progress_callback)` with a progress bar on a terminal, quietly otherwise."""
    if not sys.stderr.isatty():
        return work(None)
    with Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        _RateColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return work(update)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
