"""What routes depend on: the runtime, the caller, the command context, read-your-writes."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPBearer

from kanban.api import headers
from kanban.api.auth import CSRF_HEADER, SESSION_COOKIE, AdminToken, Authenticator, Principal
from kanban.api.live import Watermark
from kanban.api.metrics import Metrics
from kanban.api.throttle import SignInThrottle
from kanban.bootstrap import Kanban
from kanban.domain.access import Role, authorize
from kanban.domain.commands import Command, CommandContext, CommandResult
from kanban.domain.errors import Forbidden, KanbanError, NotYetProjected, ValidationFailed

_KEY_NAMESPACE = uuid.UUID("3b0f8f8e-0d6e-4b1e-9a55-2f6c6c0e7d21")


@dataclass
class ViewCache:
    """Pre-serialized board views by version: a GET of an unchanged board is one lookup."""

    capacity: int = 512
    entries: OrderedDict[tuple[str, bool], tuple[int, bytes]] = field(default_factory=OrderedDict)

    def get(self, key: tuple[str, bool], version: int) -> bytes | None:
        hit = self.entries.get(key)
        return hit[1] if hit and hit[0] == version else None

    def put(self, key: tuple[str, bool], version: int, body: bytes) -> None:
        # Bytes from the read database are their exact size (see render.exact).
        self.entries[key] = (version, body)
        self.entries.move_to_end(key)
        while len(self.entries) > self.capacity:
            self.entries.popitem(last=False)


@dataclass
class Runtime:
    """Everything the app holds while it runs, built in the lifespan."""

    kanban: Kanban
    token: AdminToken
    watermark: Watermark
    metrics: Metrics
    views: ViewCache
    auth: Authenticator
    throttle: SignInThrottle


# Dependencies are `async def` although they do not await: FastAPI runs a plain
# `def` dependency in a worker thread, a hop that costs more than their work (a
# dict lookup or an indexed SQLite read) on every request.


async def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[Runtime, Depends(runtime)]


def current_view(
    rt: Runtime, board_id: str, include_archived: bool, if_none_match: str | None
) -> tuple[int, str, bytes] | None:
    """A board as it is now: (200 or 304, its ETag, the body); None when there is none.

    Shared by the board route and the shortcut in front of it (api/shortcut.py).
    """
    read = rt.kanban.read
    current = read.board_version(board_id)
    if current is None:
        return None
    etag = f'"{current}"'
    if if_none_match and etag in {t.strip().removeprefix("W/") for t in if_none_match.split(",")}:
        return 304, etag, b""
    key = (board_id, include_archived)
    body = rt.views.get(key, current)
    if body is None:
        found = read.board_view(board_id, include_archived)
        if found is None:
            return None
        current, body = found
        etag = f'"{current}"'
        rt.views.put(key, current, body)
    return 200, etag, body


class _Bearer(HTTPBearer):
    """FastAPI's bearer scheme in the OpenAPI; the token is read by api/headers.py."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return headers.bearer_token(headers.of_scope(request.scope))


class _SessionCookie(APIKeyCookie):
    """FastAPI's cookie scheme in the OpenAPI; the cookie is read by api/headers.py."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return headers.session_token(headers.of_scope(request.scope))


bearer = _Bearer(
    auto_error=False,
    scheme_name="HTTPBearer",
    description="An API token (POST /api/v1/users/{user_id}/tokens) or the admin token.",
)
session_cookie = _SessionCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="APIKeyCookie",
    description="The web session from POST /api/v1/session; a change (POST, PATCH, PUT, "
    f"DELETE) also needs the session's CSRF token in the {CSRF_HEADER} header.",
)


async def principal(
    rt: RuntimeDep,
    request: Request,
    token: Annotated[str | None, Depends(bearer)],
    session: Annotated[str | None, Depends(session_cookie)],
) -> Principal:
    """The authenticated user: every event's actor comes from here, never from a body."""
    return headers.caller(rt.auth, request.method, headers.of_scope(request.scope), token, session)


Actor = Annotated[Principal, Depends(principal)]


async def admin_only(who: Actor) -> Principal:
    if not who.admin:
        raise Forbidden("only an admin may do this")
    return who


Admin = Annotated[Principal, Depends(admin_only)]


def board_role(needed: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller, if their role on the path's board allows `needed`.

    Queries check the access read model; commands are checked again by the
    writer against the board itself.
    """

    async def check(board_id: str, rt: RuntimeDep, who: Actor) -> Principal:
        if not who.admin:
            held = rt.auth.role(board_id, who.user_id)
            members = {who.user_id: Role(held)} if held else {}
            authorize(board_id, members, who.user_id, False, needed)
        return who

    return check


Viewer = Annotated[Principal, Depends(board_role(Role.VIEWER))]


async def command_context(
    who: Actor,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="Retry safely: the same key and body return the "
            "first response and write nothing. Scoped per user.",
        ),
    ] = None,
    if_match: Annotated[
        str | None,
        Header(
            pattern=headers.IF_MATCH_PATTERN,
            description='Only apply if the board is at this version, e.g. "12" (else 412).',
        ),
    ] = None,
) -> CommandContext:
    return context(who, idempotency_key, if_match)


def context(who: Principal, idempotency_key: str | None, if_match: str | None) -> CommandContext:
    """A command's context: its actor, its id (the same for every retry), its If-Match."""
    expected = headers.expected_version(if_match)
    if not idempotency_key:
        return CommandContext.new(who.user_id, admin=who.admin, expected_version=expected)
    return CommandContext(
        who.user_id,
        command_id(who, idempotency_key),
        expected_version=expected,
        admin=who.admin,
    )


def command_id(who: Principal, idempotency_key: str) -> str:
    """The same id for every retry with the caller's Idempotency-Key."""
    return str(uuid.uuid5(_KEY_NAMESPACE, f"{who.user_id}\x00{idempotency_key}"))


Ctx = Annotated[CommandContext, Depends(command_context)]


async def account_context(
    who: Actor,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="Retry safely: the same key and body are applied once. Scoped per user.",
        ),
    ] = None,
) -> CommandContext:
    """The context of a change to users and tokens: no board, so no If-Match."""
    return context(who, idempotency_key, None)


AccountCtx = Annotated[CommandContext, Depends(account_context)]


async def read_your_writes(
    rt: RuntimeDep,
    min_seq: Annotated[
        int | None,
        Query(ge=0, description="Answer only once the read models have applied this seq."),
    ] = None,
) -> None:
    if min_seq is None or rt.watermark.seq >= min_seq:
        return
    # A replica asks the writer over HTTP: keep that off the event loop.
    head = await run_in_threadpool(rt.kanban.feed.head_seq)
    if min_seq > head:
        raise ValidationFailed(f"min_seq {min_seq} is beyond the log's head ({head})")
    timeout = rt.kanban.settings.min_seq_timeout
    if not await rt.watermark.reach(min_seq, timeout):
        raise NotYetProjected(
            f"the read models have not reached seq {min_seq} yet (at {rt.watermark.seq})"
        )


MinSeq = Depends(read_your_writes)


async def dispatch(rt: Runtime, command: Command, ctx: CommandContext) -> CommandResult:
    """Hand a command to the writer and wait until its events are durable."""
    name = type(command).__name__
    try:
        result = await rt.kanban.commands.submit_async(command, ctx)
    except KanbanError as exc:
        rt.metrics.count(name, exc.kind)
        raise
    outcome = "replayed" if result.replayed else "ok" if result.appended else "unchanged"
    rt.metrics.count(name, outcome)
    rt.metrics.events.inc(result.appended)
    return result


async def settled(rt: Runtime, result: CommandResult) -> None:
    """Wait until this process's read models hold the command's events.

    Sign-in and permissions are read from the access read model: a new token
    must work, and a revoked one must fail, on the very next request.
    """
    if result.appended and not await rt.watermark.reach(
        result.seq, rt.kanban.settings.min_seq_timeout
    ):
        raise NotYetProjected(
            f"the change is stored (seq {result.seq}) but not yet in effect; retry shortly"
        )
