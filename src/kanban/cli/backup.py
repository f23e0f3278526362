"""`kanban backup ...`: export the log, check exports, and replay them into a new store."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from kanban.backup import format as backup_format
from kanban.backup.replay import Replay
from kanban.backup.restore import restore as restore_files
from kanban.cli.common import DataDir, _fail, _log, _settings, _with_progress, app, err, moment, out
from kanban.domain.errors import KanbanError

backup_app = typer.Typer(
    help="Back up the log, verify backups, restore them.", no_args_is_help=True
)
app.add_typer(backup_app, name="backup")

Files = Annotated[
    list[Path],
    typer.Argument(help="A full backup, then its incrementals, in order.", show_default=False),
]


@backup_app.command("create")
def create(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Where to write (default kanban-<time>.jsonl.gz; - for standard output).",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        int, typer.Option(help="Write an incremental backup continuing one that ended at this seq.")
    ] = 0,
    data_dir: DataDir = None,
) -> None:
    """Write a consistent backup while the service runs and keeps taking writes."""
    settings = _settings(data_dir)
    if not settings.log_path.exists():
        err.print(f"error: no event log at {settings.log_path}", markup=False)
        raise typer.Exit(2)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = file or Path(f"kanban-{stamp}{f'-since-{since}' if since else ''}.jsonl.gz")
    partial = target.with_name(target.name + ".partial")
    try:
        with _log(data_dir) as store:
            if str(target) == "-":
                backup_format.write(store, sys.stdout.buffer, since)
                return
            # Mode 0600: a backup holds everything the log holds.
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # a stale .partial from a killed run keeps its own mode
            with os.fdopen(fd, "wb") as f:
                # The backup's own last seq: the log's head has moved on if writes went on.
                head = _with_progress(
                    "backing up", lambda p: backup_format.write(store, f, since, p)
                )
                f.flush()
                os.fsync(f.fileno())
            partial.replace(target)
    except KanbanError as exc:
        partial.unlink(missing_ok=True)
        raise _fail(exc) from exc
    out.print(f"backed up seq {since + 1}..{head} to {target}", highlight=False, markup=False)


@backup_app.command("verify")
def verify(files: Files) -> None:
    """Check backups without restoring: integrity chain, order, and a replay of the history."""
    settings = _settings(None)
    replay = Replay(files, settings.log_key_bytes)
    try:
        count = _with_progress("verifying", lambda p: _walk(replay, p))
    except KanbanError as exc:
        raise _fail(exc) from exc
    folded = (
        f", {len(replay.boards)} boards replayed"
        if replay.folding
        else " (starts with an incremental: history not replayed)"
    )
    out.print(f"ok: {count} events in {len(files)} file(s){folded}", highlight=False)


def _walk(replay: Replay, progress: object) -> int:
    count = 0
    for _row in replay.rows():
        count += 1
        if callable(progress) and count % 5000 == 0:
            progress(count, max(replay.total, count))
    return count


@backup_app.command("restore")
def restore(
    files: Files,
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir",
            help="Where to build the restored store (refused when not empty, unless --force).",
        ),
    ],
    until_seq: Annotated[
        int | None, typer.Option(help="Restore up to and including this seq (a point in time).")
    ] = None,
    until_time: Annotated[
        datetime | None,
        moment("Restore what was recorded up to this time (ISO 8601 with timezone)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace what the data dir holds.")] = False,
) -> None:
    """Replay backups through the domain into a new event log, then rebuild the read models."""
    settings = _settings(None)
    try:
        report = _with_progress(
            "restoring",
            lambda p: restore_files(
                files,
                data_dir,
                until_seq=until_seq,
                until_time=until_time,
                force=force,
                key=settings.log_key_bytes,
                progress=p,
            ),
        )
    except KanbanError as exc:
        raise _fail(exc) from exc
    epoch = f"new epoch {report.epoch}"
    out.print(
        f"restored {report.events} events (up to seq {report.last_seq}, {report.boards} "
        f"boards, {epoch}) into {data_dir}",
        highlight=False,
        markup=False,
    )
