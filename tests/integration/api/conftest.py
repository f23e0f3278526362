"""Fixtures for the HTTP API: the real app, its lifespan, real SQLite files, no mocks.

`client` is a TestClient used as a context manager (so the lifespan runs) that
sends the admin's bearer token on every request; `anonymous` sends the same
requests without it, or with another token. `api` creates boards, columns and
cards over HTTP and reads them back with read-your-writes.
"""

from __future__ import annotations

import contextlib
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from kanban.api.app import create_app
from kanban.api.deps import Runtime
from kanban.domain.commands import CommandContext
from kanban.settings import Settings

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 and warns once, at import, when it finds httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROBLEM = "application/problem+json"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A fresh data dir and a known admin token (overrides the integration fixture)."""
    return Settings(data_dir=tmp_path / "data", admin_token=TOKEN)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """The authorized client; leaving the block runs the lifespan's shutdown."""
    with TestClient(app, headers=AUTH) as c:
        yield c


def runtime(client: TestClient) -> Runtime:
    rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return rt


def head(client: TestClient) -> int:
    """The seq of the log's newest event."""
    return runtime(client).kanban.store.head_seq()


@contextlib.contextmanager
def writes_nothing(client: TestClient) -> Iterator[None]:
    before = head(client)
    yield
    assert head(client) == before, "a rejected request wrote to the log"


def assert_problem(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    """An RFC 9457 problem of the given status and stable type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{kind}", body
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


@dataclass
class Anonymous:
    """Sends requests through the running client without (or with another) token."""

    client: TestClient

    def request(
        self, method: str, url: str, authorization: str | None = None, **kw: Any
    ) -> httpx.Response:
        request = self.client.build_request(method, url, **kw)
        del request.headers["Authorization"]
        if authorization is not None:
            request.headers["Authorization"] = authorization
        return self.client.send(request)


@pytest.fixture
def anonymous(client: TestClient) -> Anonymous:
    return Anonymous(client)


@dataclass
class Board:
    id: str
    columns: list[str] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)


@dataclass
class Api:
    """Creates things over HTTP and reads them back once projected."""

    client: TestClient

    def ok(self, method: str, url: str, status: int = 200, **kw: Any) -> dict[str, Any]:
        response = self.client.request(method, url, **kw)
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        return body

    def board(self, title: str = "Board", columns: tuple[str, ...] = ()) -> Board:
        created = self.ok("POST", "/api/v1/boards", 201, json={"title": title})
        board = Board(created["board_id"])
        for column in columns:
            board.columns.append(self.column(board.id, column)["column_id"])
        return board

    def column(self, board_id: str, title: str, **fields: Any) -> dict[str, Any]:
        url = f"/api/v1/boards/{board_id}/columns"
        return self.ok("POST", url, 201, json={"title": title, **fields})

    def card(self, board_id: str, column_id: str, title: str = "Card", **fields: Any) -> str:
        body = {"column_id": column_id, "title": title, **fields}
        card_id: str = self.ok("POST", f"/api/v1/boards/{board_id}/cards", 201, json=body)[
            "card_id"
        ]
        return card_id

    def populated(self, cards: int = 2) -> Board:
        """A board with columns To do, Doing, Done and `cards` cards in To do."""
        board = self.board("Project", ("To do", "Doing", "Done"))
        board.cards = [self.card(board.id, board.columns[0], f"Card {i}") for i in range(cards)]
        return board

    def get(self, url: str, **params: Any) -> dict[str, Any]:
        """A query that reads the caller's own writes (min_seq = the log's head)."""
        return self.ok("GET", url, params={"min_seq": head(self.client), **params})

    def view(self, board_id: str, **params: Any) -> dict[str, Any]:
        return self.get(f"/api/v1/boards/{board_id}", **params)

    def as_bob(self, command: Any) -> Any:
        """Dispatch a command as a second user, straight through the command bus."""
        ctx = CommandContext("bob", str(uuid.uuid4()), admin=True)
        return runtime(self.client).kanban.bus.dispatch(command, ctx)


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)
