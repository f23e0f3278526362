"""The app factory: the API's composition root, wired in the lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp

from kanban import __version__
from kanban.api import command_route, problems
from kanban.api.auth import Authenticator
from kanban.api.commands import TABLE
from kanban.api.deps import Runtime, ViewCache
from kanban.api.live import Watermark
from kanban.api.metrics import Metrics
from kanban.api.middleware import BodyLimit
from kanban.api.routers import (
    admin,
    boards,
    cards,
    events,
    history,
    members,
    search,
    session,
    stream,
    system,
    users,
    web,
)
from kanban.api.shortcut import Shortcut
from kanban.api.throttle import SignInThrottle
from kanban.bootstrap import Ports, bootstrap
from kanban.service.admin_token import load_admin_token
from kanban.settings import Settings

DESCRIPTION = """
A kanban board whose every change is an immutable event.

Commands (POST, PATCH, DELETE) append events to the log and answer with the
board's new `version` and the `seq` of the command's last event. Queries (GET)
read models built from the log; pass `min_seq` to read your own writes.
Errors are RFC 9457 problem details with a stable `type` per kind.
"""


def create_app(settings: Settings | None = None, ports: Ports | None = None) -> FastAPI:
    """The API for `settings`; `ports` go to `bootstrap` (the SQLite adapters by default).

    The service built at startup takes the ports over and closes them at shutdown:
    an app given ports starts once.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        kanban = bootstrap(settings, ports)
        token = load_admin_token(
            settings.admin_token.get_secret_value() if settings.admin_token else None,
            settings.data_dir,
        )
        watermark = Watermark(asyncio.get_running_loop(), kanban.projector.watermark)
        kanban.projector.add_listener(watermark.advance)  # before start: miss no batch
        kanban.start()
        probe = None
        distributed = None
        if kanban.relay is not None and settings.redis_url:
            # Only the writer has the log that group lag is measured against. Imported
            # here: redis is a fifth of the embedded default's start-up, which needs none.
            from kanban.distributed.observe import distributed_stats, probe_client

            probe = probe_client(settings.redis_url)
            distributed = partial(distributed_stats, probe, kanban.log, relay=kanban.relay)
        metrics = Metrics(kanban.projector.status, distributed)
        app.state.runtime = Runtime(
            kanban,
            token,
            watermark,
            metrics,
            ViewCache(),
            Authenticator(token, kanban.read, kanban.clock),
            SignInThrottle(settings.signin_attempts, 4 * settings.signin_attempts),
        )
        app.state.shutdown = watermark.close
        try:
            yield
        finally:
            watermark.close()
            forwarder = getattr(app.state, "forward_client", None)
            if forwarder is not None:
                await forwarder.aclose()
            # Finish queued commands and project them before the process exits.
            await asyncio.to_thread(kanban.close)
            if probe is not None:
                probe.close()

    app = KanbanAPI(
        title="Kanban", version=__version__, description=DESCRIPTION.strip(), lifespan=lifespan
    )
    problems.install(app)
    commands = {tag: command_route.router(TABLE, tag) for tag in {r.tag: r for r in TABLE}}
    # In the order the OpenAPI has always listed the paths in.
    for router in (
        boards.router,
        commands["boards"],
        commands["columns"],
        commands["cards"],
        cards.router,
        commands["members"],
        members.router,
        history.router,
        stream.router,
        search.router,
        events.router,
        users.router,
        commands["users"],
        session.router,
        admin.router,
        system.router,
        web.router,
    ):
        mount(app, router)
    web.install(app)
    if settings.role == "query" and settings.writer_url:
        from kanban.api.forward import ForwardToWriter  # httpx: a query replica's alone

        app.add_middleware(ForwardToWriter, writer_url=settings.writer_url, state=app.state)
    app.add_middleware(BodyLimit)
    return app


def mount(app: FastAPI, router: APIRouter) -> None:
    """Add the router's routes to the app's own, as they are.

    A router's routes hold its prefix, tags and responses already. FastAPI's
    `include_router` would rebuild each route's parameters and models again, for
    every app, at its first request: a fifth of a second, more than most requests
    of a test cost, and a slower first answer after each start.
    """
    app.router.routes.extend(router.routes)


class KanbanAPI(FastAPI):
    """FastAPI, with the shortcut in front of every layer, FastAPI's own included; the
    shortcut also observes every request, its own and the framework's.

    The commonest requests are answered by the shortcut (api/shortcut.py): the
    error, telemetry and body-size layers FastAPI puts around user middleware
    cost those requests a tenth of their time, and it needs none of them.
    """

    def build_middleware_stack(self) -> ASGIApp:
        return Shortcut(super().build_middleware_stack(), self.state, TABLE)
