"""The most common commands, answered before the framework.

A card change costs the writer and the projector what it costs; FastAPI's
routing, dependency resolution and middleware layers in front of them cost
about as much again (a route that does nothing measured 2,400 requests/s
beside 7,000 for the same answer without them). This ASGI layer answers the
common case itself: a bearer token, or the web app's session cookie with its
CSRF token; a JSON body the route's own schema accepts; no query string, no
Idempotency-Key or If-Match. It builds the command and the answer with the
very `Endpoint` the FastAPI route runs, and reports errors through the same
problem details. Anything else (no or bad credentials, a body the schema
refuses, a header it does not handle, a query replica that forwards
commands) goes to the full route, body and all.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kanban.api import problems
from kanban.api.asgi import respond
from kanban.api.deps import Runtime, dispatch
from kanban.api.fast import bearer_principal, session_principal
from kanban.api.middleware import MAX_BODY
from kanban.domain.commands import Command, CommandContext, CommandResult
from kanban.domain.errors import KanbanError

#: Headers whose meaning this layer leaves to the full route.
_FULL_ROUTE_HEADERS = (b"idempotency-key", b"if-match", b"transfer-encoding")
_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Endpoint:
    """One command route: how its request becomes a command, and its result an answer.

    `build(ctx, body, **path_params)` and `answer(result, command)` are what the
    FastAPI route runs too (`run`), so both paths answer alike by construction.
    """

    method: str
    path: str
    body: type[BaseModel]
    build: Callable[..., Command]
    answer: Callable[[CommandResult, Any], BaseModel]
    status: int = 200
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = _PARAM.sub(r"(?P<\1>[^/]+)", self.path)  # paths hold no other metacharacters
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))


async def run(
    rt: Runtime, endpoint: Endpoint, ctx: CommandContext, body: BaseModel, **path: str
) -> BaseModel:
    """Build the command, hand it to the writer, shape the answer: a command route's work."""
    command = endpoint.build(ctx, body, **path)
    return endpoint.answer(await dispatch(rt, command, ctx), command)


class CommandFastPath:
    def __init__(
        self,
        app: ASGIApp,
        state: Any,
        endpoints: Sequence[Endpoint],
        limit: int = MAX_BODY,
    ) -> None:
        self.app = app
        self.state = state
        self.limit = limit
        self.endpoints: dict[str, list[Endpoint]] = {}
        for endpoint in endpoints:
            self.endpoints.setdefault(endpoint.method, []).append(endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        candidates = self.endpoints.get(scope["method"]) if scope["type"] == "http" else None
        runtime: Runtime | None = getattr(self.state, "runtime", None)
        if (
            candidates is None
            or runtime is None
            or scope.get("query_string")
            or runtime.kanban.settings.role != "writer"
        ):
            await self.app(scope, receive, send)
            return
        for endpoint in candidates:
            match = endpoint.pattern.match(scope["path"])
            if match is not None:
                break
        else:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        who = None
        if not any(h in headers for h in _FULL_ROUTE_HEADERS):
            if b"authorization" in headers:
                who = bearer_principal(runtime, headers)
            else:  # the web app's case: its session cookie and CSRF token
                who = session_principal(runtime, headers, change=True)
        if who is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        messages, body = await self._read(receive, headers)
        parsed = _parse(endpoint, headers, body)
        if parsed is False:
            await self.app(scope, _replay(messages, receive), send)
            return
        path = match.groupdict()
        ctx = CommandContext.new(who.user_id, admin=who.admin)
        try:
            answer = await run(runtime, endpoint, ctx, parsed, **path)
        except KanbanError as exc:
            error = problems.error_response(exc, path)
            await error(scope, receive, send)
            status = error.status_code
        else:
            body = orjson.dumps(answer.model_dump(mode="json"))
            status = endpoint.status
            length = str(len(body)).encode()
            sent = [(b"content-type", b"application/json"), (b"content-length", length)]
            await respond(send, status, sent, body)
        runtime.metrics.observe(
            endpoint.method, endpoint.path, status, time.perf_counter() - started
        )

    async def _read(
        self, receive: Receive, headers: Mapping[bytes, bytes]
    ) -> tuple[list[Message], bytes | None]:
        """The request's messages, and its body unless it is over the limit."""
        length = headers.get(b"content-length")
        if length is None:
            return [], b""
        messages: list[Message] = []
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages, None
            chunk = message.get("body", b"")
            size += len(chunk)
            chunks.append(chunk)
            if size > self.limit:
                return messages, None  # BodyLimit answers 413 in the full route
            if not message.get("more_body", False):
                return messages, b"".join(chunks)


def _parse(endpoint: Endpoint, headers: Mapping[bytes, bytes], body: bytes | None) -> Any:
    """The validated body, or False: leave it to the full route.

    Only what FastAPI would accept as it is: a JSON body (FastAPI decodes it
    with the standard library, then validates it in Python mode, as here).
    """
    if body is None:
        return False
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if content_type != b"application/json":
        return False
    try:
        return endpoint.body.model_validate(orjson.loads(body))
    except (orjson.JSONDecodeError, ValidationError):
        return False


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that hands out the messages already read, then the rest."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
