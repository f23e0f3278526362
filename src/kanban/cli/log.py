"""`kanban log ...`: the event log itself."""

from __future__ import annotations

import typer

from kanban.cli.common import DataDir, _fail, _log, _settings, _with_progress, app, err, out
from kanban.domain.errors import KanbanError

log_app = typer.Typer(help="Inspect the event log.", no_args_is_help=True)
app.add_typer(log_app, name="log")


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
