"""A small Server-Sent Events client for the tests: bounded reads, parsed messages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson


class StreamEnded(AssertionError):
    """The server closed the stream."""


@dataclass
class Message:
    """One SSE message, or one comment line (`comment` set, nothing else)."""

    id: str | None = None
    event: str | None = None
    data: list[str] = field(default_factory=list)
    retry: str | None = None
    comment: str | None = None

    def json(self) -> Any:
        return orjson.loads("\n".join(self.data))


class EventStream:
    """Parses a text/event-stream body line by line; every read is bounded by a deadline."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.iter_lines()

    def next(self, deadline: float) -> Message:
        message = Message()
        while time.monotonic() < deadline:
            line = next(self.lines, None)
            if line is None:
                raise StreamEnded("the server ended the stream")
            if line.startswith(":"):
                return Message(comment=line[1:].strip())
            if line == "":
                if message != Message():
                    return message
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                message.data.append(value)
            elif name in ("id", "event", "retry"):
                setattr(message, name, value)
        raise AssertionError("no complete message before the deadline")

    def events(self, count: int, timeout: float = 10.0) -> list[Message]:
        """The next `count` event messages (skipping comments and retry hints)."""
        deadline = time.monotonic() + timeout
        found: list[Message] = []
        while len(found) < count:
            message = self.next(deadline)
            if message.event is not None:
                found.append(message)
        return found

    def until(self, wanted: str, timeout: float = 10.0) -> list[Message]:
        """Messages up to and including the first comment `wanted` or event `wanted`."""
        deadline = time.monotonic() + timeout
        seen = [self.next(deadline)]
        while wanted not in (seen[-1].comment, seen[-1].event):
            seen.append(self.next(deadline))
        return seen


@contextmanager
def stream(
    client: httpx.Client, board_id: str, last_event_id: str | None = None
) -> Iterator[EventStream]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    with client.stream("GET", f"/api/v1/boards/{board_id}/stream", headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        events = EventStream(response)
        # The first message is the reconnect hint: the stream is now subscribed.
        hello = events.next(time.monotonic() + 10)
        assert hello.retry is not None
        yield events
