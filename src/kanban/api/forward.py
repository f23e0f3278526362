"""A query replica forwards what only the writer can answer: commands, the feed, the past.

Clients may talk to any replica: commands (and reads of the log itself, such
as time travel and the feed) go to the writer unchanged, headers and all, and
come back as the writer answered. The token is checked by the writer.
"""

from __future__ import annotations

import re
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kanban.api.asgi import respond
from kanban.api.problems import PROBLEM

#: Request headers worth passing on (hop-by-hop ones and Host are not).
PASSED = {
    b"authorization",
    b"cookie",
    b"x-csrf-token",
    b"user-agent",
    b"content-type",
    b"idempotency-key",
    b"if-match",
    b"accept",
    b"if-none-match",
    b"last-event-id",
}
RETURNED = {"content-type", "etag", "retry-after", "www-authenticate", "location", "set-cookie"}
LOG_READS = re.compile(r"^/api/v1/(events|boards/[^/]+/events)$")
BOARD = re.compile(r"^/api/v1/boards/[^/]+$")
PAST = re.compile(rb"(^|&)(version|at)=")


class ForwardToWriter:
    def __init__(
        self, app: ASGIApp, writer_url: str, state: Any = None, timeout: float = 30.0
    ) -> None:
        self.app = app
        # One client serves every caller: it must never keep a cookie (a session
        # cookie kept from one caller's sign-in would be sent with the next request).
        no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
        self.client = httpx.AsyncClient(
            base_url=writer_url.rstrip("/"), timeout=timeout, cookies=no_cookies
        )
        if state is not None:
            state.forward_client = self.client  # closed by the app's lifespan

    def _forwarded(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if not path.startswith("/api/"):
            return False
        if scope["method"] not in ("GET", "HEAD"):
            return True
        if LOG_READS.match(path):
            return True
        return bool(BOARD.match(path) and PAST.search(scope.get("query_string", b"")))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._forwarded(scope):
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message: Message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k.lower() in PASSED]
        client = scope.get("client")
        if client:
            # The caller's address, for the writer's sign-in throttling (it trusts the
            # header only from KANBAN_FORWARDED_ALLOW_IPS).
            headers.append((b"x-forwarded-for", client[0].encode()))
        try:
            answer = await self.client.request(
                scope["method"],
                scope["path"],
                params=scope.get("query_string", b"").decode(),
                headers=headers,
                content=body,
            )
        except httpx.HTTPError as exc:
            await _send(
                send,
                503,
                [(b"content-type", PROBLEM.encode()), (b"retry-after", b"1")],
                orjson.dumps(
                    {
                        "type": "/problems/writer-unreachable",
                        "title": "Service unavailable",
                        "status": 503,
                        "detail": f"the writer is unreachable: {exc}",
                    }
                ),
            )
            return
        kept = [
            (k.encode(), v.encode())
            for k, v in answer.headers.multi_items()
            if k.lower() in RETURNED
        ]
        await _send(send, answer.status_code, kept, answer.content)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await respond(send, status, [*headers, (b"content-length", str(len(body)).encode())], body)
