"""Answering straight through ASGI, for the layers in front of the framework."""

from __future__ import annotations

from starlette.types import Send


async def respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """Send a whole response: its status and headers, then its body in one message."""
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
