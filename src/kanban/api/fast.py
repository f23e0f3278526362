"""The hottest query, answered before the framework: GET of a current board.

A board is read far more often than it changes, and its answer is bytes kept
by version (or a 304). The full route spends most of its time in routing,
dependency resolution and middleware rather than in that lookup, so this
ASGI layer answers the common case itself: a signed-in member reading a
board as it is now. Anything else (no or bad credentials, no access, an
unknown board, `min_seq`, time travel, other parameters) goes to the full
route, which answers with the same semantics and problem details.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from kanban.api.asgi import respond
from kanban.api.auth import CSRF_HEADER, SESSION_COOKIE, Principal
from kanban.api.deps import current_view
from kanban.domain.errors import KanbanError
from kanban.service import credentials

BOARD = re.compile(r"^/api/v1/boards/([^/]+)$")
ROUTE = "/api/v1/boards/{board_id}"
_FLAGS = {b"true": True, b"false": False, b"1": True, b"0": False}


class BoardFastPath:
    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        match = BOARD.match(scope["path"])
        runtime = getattr(self.state, "runtime", None)
        include_archived = _archived_flag(scope.get("query_string", b""))
        if match is None or runtime is None or include_archived is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answer = _answer(runtime, match.group(1), include_archived, dict(scope["headers"]))
        if answer is None:
            await self.app(scope, receive, send)
            return
        status, headers, body = answer
        await respond(send, status, headers, body)
        runtime.metrics.observe("GET", ROUTE, status, time.perf_counter() - started)


def _archived_flag(query: bytes) -> bool | None:
    """include_archived from a query of nothing else; None: leave it to the full route."""
    if not query:
        return False
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != "include_archived":
        return None
    return _FLAGS.get(pairs[0][1].lower().encode())


def _answer(
    rt: Any, board_id: str, include_archived: bool, headers: dict[bytes, bytes]
) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
    who = _principal(rt, headers)
    if who is None:
        return None
    if_none_match = headers.get(b"if-none-match")
    try:
        if not who.admin and rt.auth.role(board_id, who.user_id) is None:
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
    if status == 304:
        return 304, [(b"etag", etag.encode())], b""
    return (
        200,
        [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"etag", etag.encode()),
        ],
        body,
    )


def _principal(rt: Any, headers: dict[bytes, bytes]) -> Principal | None:
    if b"authorization" in headers:
        return bearer_principal(rt, headers)
    return session_principal(rt, headers, change=False)


def session_principal(rt: Any, headers: dict[bytes, bytes], change: bool) -> Principal | None:
    """The caller of a valid session cookie (for a change, with its CSRF token); else None."""
    cookie = headers.get(b"cookie")
    if cookie is None:
        return None
    session = _cookie(cookie.decode("latin-1"), SESSION_COOKIE)
    if not session:
        return None
    if change:
        presented = headers.get(CSRF_HEADER.lower().encode(), b"").decode("latin-1")
        if not credentials.csrf_matches(session, presented):
            return None
    try:
        who: Principal = rt.auth.authenticate(session, "session")
    except KanbanError:
        return None
    return who


def bearer_principal(rt: Any, headers: dict[bytes, bytes]) -> Principal | None:
    """The caller of a valid bearer token; None for anything the full route must answer."""
    authorization = headers.get(b"authorization")
    if authorization is None:
        return None
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        who: Principal = rt.auth.authenticate(token.strip(), "api")
    except KanbanError:
        return None
    return who


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
