"""What routes depend on: the runtime, the caller, the command context, read-your-writes."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kanban.api.auth import ADMIN, AdminToken
from kanban.api.live import Watermark
from kanban.api.metrics import Metrics
from kanban.bootstrap import Kanban
from kanban.domain.commands import Command, CommandContext, CommandResult
from kanban.domain.errors import KanbanError, NotYetProjected, ValidationFailed

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


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[Runtime, Depends(runtime)]

bearer = HTTPBearer(auto_error=False, description="The admin token (see KANBAN_ADMIN_TOKEN).")


def actor(
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The authenticated user: every event's actor comes from here, never from a body."""
    if credentials is None or not rt.token.matches(credentials.credentials):
        raise HTTPException(
            401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return ADMIN


Actor = Annotated[str, Depends(actor)]


def command_context(
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
            pattern=r'^(\*|(W/)?"?[0-9]{1,18}"?)$',
            description='Only apply if the board is at this version, e.g. "12" (else 412).',
        ),
    ] = None,
) -> CommandContext:
    if idempotency_key:
        command_id = str(uuid.uuid5(_KEY_NAMESPACE, f"{who}\x00{idempotency_key}"))
    else:
        command_id = str(uuid.uuid4())
    return CommandContext(who, command_id, expected_version=_version_tag(if_match))


Ctx = Annotated[CommandContext, Depends(command_context)]


def _version_tag(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,18})"?\s*', value)
    if match is None:
        raise ValidationFailed(f'If-Match must be a board version such as "12", not {value!r}')
    return int(match.group(1))


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
        result = await asyncio.wrap_future(rt.kanban.commands.submit(command, ctx))
    except KanbanError as exc:
        rt.metrics.commands.labels(name, exc.kind).inc()
        raise
    outcome = "replayed" if result.replayed else "ok" if result.appended else "unchanged"
    rt.metrics.commands.labels(name, outcome).inc()
    rt.metrics.events.inc(result.appended)
    return result
