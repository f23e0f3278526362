"""The shortcut: the commonest requests, answered in front of the framework.

FastAPI's routing, dependency resolution and middleware cost about as much
as a card command's own work, and more than a board read's lookup (a route
that did nothing measured 2,400 requests/s through them beside 7,000 for the
same answer without). This ASGI layer answers two kinds of request itself,
with the full route's own functions:

- a command route of api/commands.py whose answer awaits nothing beyond the
  writer (`CommandRoute.shortcut`), made with a bearer token or the session
  cookie and its CSRF token, with a JSON body the route's schema accepts (or
  none, where it takes none), with or without If-Match, with no query string
  and no Idempotency-Key, on the writer;
- GET of a board as it is now, by a member, with no parameter but
  `include_archived` and a `min_seq` the read models have reached.

That is what the web UI sends. Anything else (missing or bad credentials, a
body or header the route must judge, a `min_seq` not reached yet, a query
replica's commands, which it forwards) goes on to the full route, with
whatever body was read, and is answered there with the same semantics and
problem details.

Being in front of everything, it is also the one layer that observes every
request for /metrics (method, route template, status, seconds, and whether
it answered the request itself): the ones it answers without a wrapper
around `send`, which measurably slowed the commonest reads.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kanban.api import headers, problems
from kanban.api.asgi import respond
from kanban.api.auth import Principal
from kanban.api.command_route import Call, CommandRoute
from kanban.api.deps import Runtime, context, current_view
from kanban.api.middleware import MAX_BODY
from kanban.domain.errors import KanbanError

BOARD = re.compile(r"^/api/v1/boards/([^/]+)$")
BOARD_ROUTE = "/api/v1/boards/{board_id}"
_FLAGS = {b"true": True, b"false": False, b"1": True, b"0": False}
_JSON = [(b"content-type", b"application/json")]


class Shortcut:
    def __init__(
        self, app: ASGIApp, state: Any, table: Iterable[CommandRoute], limit: int = MAX_BODY
    ) -> None:
        self.app = app
        self.state = state
        self.limit = limit
        self.routes = [route for route in table if route.shortcut]
        self._index = _index(self.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rt: Runtime | None = getattr(self.state, "runtime", None)
        if scope["type"] != "http" or rt is None:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        method: str = scope["method"]
        if method == "GET":
            answered = await _read_board(rt, scope, send)
            if answered is not None:
                rt.metrics.observe(method, BOARD_ROUTE, answered, time.perf_counter() - start, True)
                return
        else:
            outcome = await self._command(rt, scope, receive, send)
            if isinstance(outcome, tuple):
                route, answered = outcome
                rt.metrics.observe(method, route, answered, time.perf_counter() - start, True)
                return
            receive = outcome
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            template = str(getattr(scope.get("route"), "path", "unmatched"))
            rt.metrics.observe(method, template, status, time.perf_counter() - start)

    async def _command(
        self, rt: Runtime, scope: Scope, receive: Receive, send: Send
    ) -> tuple[str, int] | Receive:
        """Answer a command: its route and status, or else the receive the full route needs."""
        found = self._route(scope)
        if found is None or scope.get("query_string") or rt.kanban.settings.role != "writer":
            return receive
        route, path = found
        sent = headers.of_scope(scope)
        if b"idempotency-key" in sent or b"transfer-encoding" in sent:
            return receive
        call = _call(rt, scope, sent, route)
        if call is None:
            return receive
        messages, body = await self._read(receive, sent)
        parsed = _parse(route, sent, body)
        if parsed is False:
            return _replay(messages, receive)
        try:
            answer: BaseModel = await route.run(call, parsed, path)
        except KanbanError as exc:
            error = problems.error_response(exc, path)
            await error(scope, receive, send)
            return route.path, error.status_code
        out = orjson.dumps(answer.model_dump(mode="json"))
        await respond(send, route.status, [*_JSON, (b"content-length", b"%d" % len(out))], out)
        return route.path, route.status

    def _route(self, scope: Scope) -> tuple[CommandRoute, dict[str, str]] | None:
        path: str = scope["path"]
        method: str = scope["method"]
        slashes = path.count("/")
        found = self._index.get((method, slashes, path.rsplit("/", 1)[-1]))
        for route in found or self._index.get((method, slashes, None)) or ():
            match = route.pattern.fullmatch(path)
            if match is not None:
                return route, match.groupdict()
        return None

    async def _read(
        self, receive: Receive, sent: Mapping[bytes, bytes]
    ) -> tuple[list[Message], bytes | None]:
        """The request's messages, and its body unless it is over the limit."""
        if sent.get(b"content-length") is None:
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


_Shape = tuple[str, int, str | None]


def _index(routes: list[CommandRoute]) -> dict[_Shape, list[CommandRoute]]:
    """The routes a path may match, by method, segment count and last segment.

    A route that ends in a parameter is listed under None, and under every
    literal ending of its shape as well: a card id may happen to read "move".
    Matching every route in turn cost a card command 3 to 4 µs.
    """
    index: dict[_Shape, list[CommandRoute]] = {}
    for route in routes:
        end = route.path.rsplit("/", 1)[-1]
        shape = (route.method, route.path.count("/"), None if end.startswith("{") else end)
        index.setdefault(shape, []).append(route)
    for (method, slashes, last), listed in index.items():
        if last is not None:
            listed += index.get((method, slashes, None), [])
    return index


def _call(
    rt: Runtime, scope: Scope, sent: Mapping[bytes, bytes], route: CommandRoute
) -> Call | None:
    """The caller and the command's context; None: let the full route say what is wrong."""
    if_match = sent.get(b"if-match") if route.if_match else None
    try:
        who = headers.caller_of(rt.auth, scope["method"], sent)
        ctx = context(who, None, if_match.decode("latin-1") if if_match is not None else None)
    except KanbanError:
        return None
    return Call(rt, who, ctx)


def _parse(route: CommandRoute, sent: Mapping[bytes, bytes], body: bytes | None) -> Any:
    """The validated body (None where there is none), or False: leave it to the full route.

    Only what FastAPI would accept as it is: a JSON body (FastAPI decodes it
    with the standard library, then validates it in Python mode, as here).
    """
    if body is None:
        return False
    if route.body is None or (not body and not route.body_required):
        return None
    content_type = sent.get(b"content-type", b"").split(b";")[0].strip().lower()
    if content_type != b"application/json":
        return False
    try:
        return route.body.model_validate(orjson.loads(body))
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


async def _read_board(rt: Runtime, scope: Scope, send: Send) -> int | None:
    """Answer a GET of a board as it is now, with its status; None: it is the full route's."""
    match = BOARD.match(scope["path"])
    if match is None:
        return None
    query: bytes = scope.get("query_string", b"")
    include_archived = _board_query(query, rt.watermark.seq) if query else False
    if include_archived is None:
        return None
    sent = headers.of_scope(scope)
    board_id = match.group(1)
    if_none_match = sent.get(b"if-none-match")
    try:
        who = headers.caller_of(rt.auth, "GET", sent)
        if not _member(rt, who, board_id):
            return None
        found = current_view(
            rt,
            board_id,
            include_archived,
            if_none_match.decode("latin-1") if if_none_match else None,
        )
    except KanbanError:
        return None  # the full route reports it properly
    if found is None:
        return None
    status, etag, body = found
    tag = (b"etag", etag.encode())
    if status == 304:
        await respond(send, 304, [tag], b"")
    else:
        await respond(send, 200, [*_JSON, (b"content-length", b"%d" % len(body)), tag], body)
    return status


def _member(rt: Runtime, who: Principal, board_id: str) -> bool:
    return who.admin or rt.auth.role(board_id, who.user_id) is not None


def _board_query(query: bytes, reached: int) -> bool | None:
    """include_archived, from a query of it and a min_seq already reached; None: not ours.

    Each at most once; anything unusual (another parameter, a value to decode, a
    min_seq the read models have not reached) is the full route's to judge.
    """
    include_archived = False
    seen: set[bytes] = set()
    for pair in query.split(b"&") if query else ():
        key, _, value = pair.partition(b"=")
        if key in seen:
            return None
        seen.add(key)
        if key == b"include_archived" and value.lower() in _FLAGS:
            include_archived = _FLAGS[value.lower()]
        elif not (key == b"min_seq" and value.isdigit() and int(value) <= reached):
            return None
    return include_archived
