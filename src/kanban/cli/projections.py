"""`kanban projections ...`: the read models."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from kanban.bootstrap import rebuilder
from kanban.cli.common import DataDir, _fail, _log, _settings, _with_progress, app, err, out
from kanban.domain.errors import KanbanError
from kanban.projections.access import AccessProjection
from kanban.projections.boards import BoardsProjection
from kanban.projections.history import HistoryProjection
from kanban.projections.runner import Projector

if TYPE_CHECKING:
    from kanban.distributed.observe import DistributedStats

projections_app = typer.Typer(help="Read models built from the log.", no_args_is_help=True)
app.add_typer(projections_app, name="projections")

#: The read models, in the order the projector runs them.
PROJECTIONS = (BoardsProjection.name, HistoryProjection.name, AccessProjection.name)


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
                # Only here: redis costs every other command its import.
                from kanban.distributed.observe import distributed_stats, probe_client

                client = probe_client(url, timeout=5.0)
                try:
                    with _log(data_dir) as log:
                        stats = distributed_stats(client, log)
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
