"""What every `kanban` command shares: consoles, options, settings, progress."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.text import Text

from kanban.bootstrap import Kanban, bootstrap, open_log
from kanban.domain.errors import KanbanError
from kanban.settings import Settings
from kanban.store.ports import EventStore

app = typer.Typer(
    help="Kanban: a kanban board whose every change is an immutable event.", no_args_is_help=True
)

out = Console(soft_wrap=True)


err = Console(stderr=True, soft_wrap=True)


DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory [env: KANBAN_DATA_DIR; default ./data]",
        show_default=False,
    ),
]


def moment(help: str) -> Any:
    """An option taking a point in time: ISO 8601 with its timezone, seconds or finer."""
    return typer.Option(help=help, formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"])


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
    err.print(f"[red]error:[/red] {escape(exc.message)}")
    return typer.Exit(1)


def _actor() -> str:
    try:
        return os.environ.get("KANBAN_ACTOR") or getpass.getuser()
    except (KeyError, OSError):
        return "cli"


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
