"""`kanban serve` and `kanban projector`: the long-running processes."""

from __future__ import annotations

import gc
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer

from kanban.cli.common import DataDir, Group, RedisUrl, WriterUrl, _fail, _settings_with, app, err
from kanban.domain.errors import KanbanError
from kanban.service.admin_token import load_admin_token


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
    access_log: Annotated[
        bool | None,
        typer.Option(
            "--access-log/--no-access-log",
            help="Log one line per request to stderr [env: KANBAN_ACCESS_LOG; default on]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the API. Embedded default: log, read models and projectors in one process.

    With --redis-url the log is also published to Redis Streams and the read
    models are fed through a consumer group; --role query runs a replica.
    """
    import uvicorn

    from kanban.api.app import create_app

    settings = _settings_with(
        data_dir=data_dir,
        host=host,
        port=port,
        redis_url=redis_url,
        role=role,
        writer_url=writer_url,
        group=group,
        access_log=access_log,
    )
    configured = settings.admin_token.get_secret_value() if settings.admin_token else None
    token = load_admin_token(configured, settings.data_dir)
    if token.generated and sys.stderr.isatty():
        # Like Jupyter: one click on the link opens the web UI signed in. The
        # token is in the fragment, which browsers never send to the server.
        link = sign_in_url(settings.host, settings.port, token.value)
        err.print(
            f"Admin token (shown only now; kept in {token.path}):\n  {token.value}\n"
            f"Open the web UI, signed in:\n  {link}",
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
        api,
        host=settings.host,
        port=settings.port,
        timeout_graceful_shutdown=10,
        log_level="info",
        access_log=settings.access_log,
        # Behind a proxy, the client address (which sign-in throttling counts by)
        # comes from X-Forwarded-For, trusted only from these addresses.
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    # uvicorn re-raises SIGTERM after its graceful shutdown; with this no-op as
    # the handler to restore, a clean shutdown exits 0 instead of 143.
    signal.signal(signal.SIGTERM, lambda *_: None)
    # Full collections walk every object the caches keep (boards, decoded events):
    # tens of ms at a time. Collect young objects less often, and never walk
    # what was alive at startup again.
    gc.freeze()
    gc.set_threshold(10_000, 20, 50)
    Server(config).run()


def sign_in_url(host: str, port: int, token: str) -> str:
    """The web UI's address with the token in its fragment (`/#token=...`)."""
    # A wildcard address is not one a browser can open: this machine is.
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/#token={quote(token, safe='')}"


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
