"""`kanban backup pull`: fetch a backup from a running server, check it, keep the newest N.

This is what the Helm chart's backup CronJob runs: it needs no access to the
server's volume, only its URL and the admin token.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from kanban.backup.replay import Replay
from kanban.cli.backup import backup_app
from kanban.cli.common import _fail, _settings, err, out
from kanban.domain.errors import BackupInvalid, KanbanError

#: The files `pull` writes, and the only ones its rotation ever deletes.
PULLED = re.compile(r"^kanban-\d{8}T\d{6}\.\d{6}Z\.jsonl\.gz$")
CHUNK = 1 << 20


@backup_app.command("pull")
def pull(
    url: Annotated[str, typer.Argument(help="The server's base URL, e.g. http://kanban:8000.")],
    directory: Annotated[
        Path, typer.Option("--dir", help="Where to keep the backups.", show_default=False)
    ],
    keep: Annotated[
        int, typer.Option(min=1, help="How many pulled backups to keep (the newest).")
    ] = 7,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the server.")] = 60.0,
) -> None:
    """Pull a full backup over HTTP (KANBAN_ADMIN_TOKEN), verify it, and keep the newest N."""
    settings = _settings(None)
    if settings.admin_token is None:
        err.print("error: set KANBAN_ADMIN_TOKEN to the server's admin token", markup=False)
        raise typer.Exit(2)
    directory.mkdir(parents=True, exist_ok=True)
    # Microseconds: names sort in time order and two pulls never share one.
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    target = directory / f"kanban-{stamp}.jsonl.gz"
    partial = target.with_name(target.name + ".partial")
    request = urllib.request.Request(
        url.rstrip("/") + "/api/v1/admin/backup",
        headers={"Authorization": f"Bearer {settings.admin_token.get_secret_value()}"},
    )
    try:
        _download(request, partial, timeout)
        # A backup that does not verify is not a backup: never rotate an old one out for it.
        events = sum(1 for _ in Replay([partial], settings.log_key_bytes).rows())
        partial.replace(target)
    except KanbanError as exc:
        partial.unlink(missing_ok=True)
        raise _fail(exc) from exc
    except (OSError, urllib.error.URLError) as exc:
        partial.unlink(missing_ok=True)
        err.print(f"error: pulling the backup from {url} failed: {exc}", markup=False)
        raise typer.Exit(1) from None
    removed = _rotate(directory, keep)
    out.print(
        f"pulled {events} events to {target}; kept {keep}, removed {len(removed)}",
        highlight=False,
        markup=False,
    )


def _download(request: urllib.request.Request, partial: Path, timeout: float) -> None:
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise BackupInvalid(f"the server answered {exc.code}: {exc.read()[:300]!r}") from None
    # Mode 0600: a backup holds everything the log holds, password hashes included.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a stale .partial from a killed run keeps its own mode
    with response, os.fdopen(fd, "wb") as f:
        while chunk := response.read(CHUNK):
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())


def _rotate(directory: Path, keep: int) -> list[Path]:
    pulled = sorted(p for p in directory.iterdir() if PULLED.match(p.name))
    old = pulled[:-keep]
    for path in old:
        path.unlink()
    return old
