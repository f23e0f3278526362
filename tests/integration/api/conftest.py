"""Fixtures for the HTTP API: the real app, its lifespan, real SQLite files, no mocks.

`client` is a TestClient used as a context manager (so the lifespan runs) that
sends the admin's bearer token on every request; `anonymous` sends the same
requests without it, or with another token. `api` creates boards, columns,
cards and users over HTTP and reads them back with read-your-writes;
`api.as_user(user)` does the same with that user's token.

`API_ROUTES` is every /api route of the app and `REQUESTS` a request each would
accept; `fill` turns one into a URL and body aimed at a populated board.
`passed_on` records the requests the shortcut (api/shortcut.py) left to the
full route.
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
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.exceptions import StarletteDeprecationWarning
from starlette.types import Receive, Scope, Send

from kanban.api.app import create_app
from kanban.api.deps import Runtime
from kanban.api.shortcut import Shortcut
from kanban.domain.commands import CommandContext
from kanban.settings import Settings
from tests.integration.conftest import CHEAP_PASSWORDS, memory_ports

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 and warns once, at import, when it finds httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROBLEM = "application/problem+json"
PASSWORD = "correct horse battery"

# create_app only wires routes; the data dir is touched by the lifespan alone. FastAPI
# keeps included routers whole in app.routes; iter_route_contexts flattens them.
API_ROUTES = sorted(
    (method, str(route.path))
    for route in iter_route_contexts(create_app(Settings(data_dir=Path("unused"))).routes)
    if isinstance(route.original_route, APIRoute) and str(route.path).startswith("/api")
    for method in route.methods or ()
)

#: A request each /api route would accept (as an admin), given the `Targets` of `fill`.
REQUESTS: dict[tuple[str, str], dict[str, Any] | None] = {
    ("GET", "/api/v1/boards"): None,
    ("POST", "/api/v1/boards"): {"title": "New"},
    ("GET", "/api/v1/boards/{board_id}"): None,
    ("PATCH", "/api/v1/boards/{board_id}"): {"title": "Renamed"},
    ("POST", "/api/v1/boards/{board_id}/archive"): None,
    ("POST", "/api/v1/boards/{board_id}/restore"): None,
    ("POST", "/api/v1/boards/{board_id}/undo"): None,
    ("POST", "/api/v1/boards/{board_id}/redo"): None,
    ("POST", "/api/v1/boards/{board_id}/columns"): {"title": "Later"},
    ("PATCH", "/api/v1/boards/{board_id}/columns/{column_id}"): {"wip_limit": 5},
    ("POST", "/api/v1/boards/{board_id}/columns/{column_id}/move"): {"position": 0},
    ("DELETE", "/api/v1/boards/{board_id}/columns/{column_id}"): None,
    ("POST", "/api/v1/boards/{board_id}/cards"): {"column_id": "{column_id}", "title": "T"},
    ("GET", "/api/v1/boards/{board_id}/cards/{card_id}"): None,
    ("PATCH", "/api/v1/boards/{board_id}/cards/{card_id}"): {"title": "T2"},
    ("POST", "/api/v1/boards/{board_id}/cards/{card_id}/move"): {
        "column_id": "{column_id}",
        "position": 0,
    },
    ("POST", "/api/v1/boards/{board_id}/cards/{card_id}/archive"): None,
    ("POST", "/api/v1/boards/{board_id}/cards/{card_id}/restore"): None,
    ("GET", "/api/v1/boards/{board_id}/history"): None,
    ("GET", "/api/v1/boards/{board_id}/stream"): None,
    ("GET", "/api/v1/boards/{board_id}/members"): None,
    ("POST", "/api/v1/boards/{board_id}/members"): {"user_id": "{grantee}", "role": "editor"},
    # {user_id} here is Targets.member, everywhere else Targets.subject.
    ("DELETE", "/api/v1/boards/{board_id}/members/{user_id}"): None,
    ("GET", "/api/v1/search"): None,
    ("GET", "/api/v1/projections"): None,
    ("GET", "/api/v1/events"): None,
    ("GET", "/api/v1/boards/{board_id}/events"): None,
    ("GET", "/api/v1/admin/backup"): None,
    ("POST", "/api/v1/users"): {"name": "{fresh}"},
    ("GET", "/api/v1/users"): None,
    ("GET", "/api/v1/users/me"): None,
    ("GET", "/api/v1/users/{user_id}"): None,
    ("PATCH", "/api/v1/users/{user_id}"): {"display_name": "{fresh}"},
    ("POST", "/api/v1/users/{user_id}/tokens"): {"label": "laptop"},
    ("GET", "/api/v1/users/{user_id}/tokens"): None,
    ("DELETE", "/api/v1/users/{user_id}/tokens/{token_id}"): None,
    # Signs in as the subject: it needs their password set.
    ("POST", "/api/v1/session"): {"name": "{name}", "password": PASSWORD},
    ("GET", "/api/v1/session"): None,
    ("DELETE", "/api/v1/session"): None,
}


def api_settings(data_dir: Path, **options: Any) -> Settings:
    """Settings of a test app: its data dir, a known admin token, cheap password hashes."""
    return Settings(data_dir=data_dir, admin_token=TOKEN, **{**CHEAP_PASSWORDS, **options})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A fresh data dir and a known admin token (overrides the integration fixture)."""
    return api_settings(tmp_path / "data")


@pytest.fixture
def app(settings: Settings, request: pytest.FixtureRequest) -> FastAPI:
    """The app with its log in memory, or on its SQLite file for a test marked `sqlite_log`.

    The API's tests are about the API: the log's own behaviour on disk is held by
    the contract tests every store passes, and by tests/e2e, which runs the real thing.
    """
    if request.node.get_closest_marker("sqlite_log"):
        return create_app(settings)
    return create_app(settings, ports=memory_ports(settings))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """The authorized client; leaving the block runs the lifespan's shutdown."""
    with TestClient(app, headers=AUTH) as c:
        yield c


@contextlib.contextmanager
def running(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[TestClient]:
    """An authorized client of an app of its own, for a module to share.

    Starting an app (its log, read models and projector) costs more than most
    tests: a module whose tests cannot disturb each other runs them all on one
    (a `client` fixture of scope "module" that yields this), and each test makes
    the boards and users it needs, under names of its own.
    """
    settings = api_settings(tmp_path_factory.mktemp(name) / "data")
    with TestClient(create_app(settings, memory_ports(settings)), headers=AUTH) as c:
        yield c


def forget_cookies(client: TestClient) -> Iterator[None]:
    """For an autouse fixture of a module sharing one client: a sign-in leaves a
    session cookie in it, which would then authorize the next test's requests."""
    yield
    client.cookies.clear()


def unique(prefix: str) -> str:
    """A user name no other test of a shared app has taken."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def shortcut(client: TestClient) -> Shortcut:
    """The app's shortcut layer (api/shortcut.py), in front of the framework."""
    layer: Any = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, Shortcut):
        layer = layer.app
    return layer


Passed = list[tuple[str, str]]


@pytest.fixture
def passed_on(client: TestClient) -> Passed:
    """The (method, path) of each request the shortcut left to the full route."""
    layer = shortcut(client)
    inner, seen = layer.app, []

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((scope["method"], scope["path"]))
        await inner(scope, receive, send)

    layer.app = recording
    return seen


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
        self,
        method: str,
        url: str,
        authorization: str | None = None,
        stream: bool = False,
        **kw: Any,
    ) -> httpx.Response:
        request = self.client.build_request(method, url, **kw)
        del request.headers["Authorization"]
        if authorization is not None:
            request.headers["Authorization"] = authorization
        return self.client.send(request, stream=stream)


@pytest.fixture
def anonymous(client: TestClient) -> Anonymous:
    return Anonymous(client)


def at_address(client: TestClient, host: str) -> TestClient:
    """Another client of the same running app, calling from another address.

    It shares the running client's portal (its event loop), so it does not start
    the lifespan again; it sends no token and keeps its own cookies.
    """
    other = TestClient(client.app, client=(host, 50000))
    other.portal = client.portal
    return other


@dataclass
class Board:
    id: str
    columns: list[str] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)


@dataclass
class User:
    id: str
    name: str
    #: The user's first API token (from POST /api/v1/users).
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def token_id(self) -> str:
        return token_id(self.token)


def token_id(token: str) -> str:
    """The id part of an API token `kanban_<id>_<secret>`."""
    return token.split("_")[1]


@dataclass
class Targets:
    """What the requests of REQUESTS are aimed at."""

    board: Board
    #: The user whose account /users/{user_id} addresses, and who signs in.
    subject: User
    #: One of the subject's tokens, to revoke.
    spare_token: str
    #: The member that DELETE .../members/{user_id} removes.
    member: User
    #: The user that POST .../members makes an editor.
    grantee: User


def fill(method: str, path: str, targets: Targets) -> tuple[str, Any]:
    """The URL and body of REQUESTS[method, path], aimed at `targets`."""
    board = targets.board
    card = board.cards[1] if path.endswith("/restore") else board.cards[0]
    user = targets.member if "/members/" in path else targets.subject
    ids = {
        "board_id": board.id,
        "column_id": board.columns[1],
        "card_id": card,
        "user_id": user.id,
        "token_id": targets.spare_token,
        "grantee": targets.grantee.id,
        "name": targets.subject.name,
        "fresh": f"u-{uuid.uuid4().hex[:12]}",
    }
    body = REQUESTS[method, path]
    if isinstance(body, dict):
        body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
    query = "?q=card" if path.endswith("/search") else ""
    return path.format(**ids) + query, body


@dataclass
class Api:
    """Creates things over HTTP and reads them back once projected."""

    client: TestClient
    #: Sent with every request (e.g. another user's Authorization).
    headers: dict[str, str] = field(default_factory=dict)

    def as_user(self, user: User) -> Api:
        """The same helpers, acting as `user`."""
        return Api(self.client, user.auth)

    def ok(self, method: str, url: str, status: int = 200, **kw: Any) -> dict[str, Any]:
        headers = {**self.headers, **kw.pop("headers", {})}
        response = self.client.request(method, url, headers=headers, **kw)
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json() if response.content else {}
        return body

    def user(self, name: str, **fields: Any) -> User:
        """A new user (only an admin may add one: the client's own token is the admin's)."""
        body = self.ok("POST", "/api/v1/users", 201, json={"name": name, **fields})
        return User(body["user_id"], body["name"], body["token"])

    def grant(self, board_id: str, user: User, role: str) -> dict[str, Any]:
        body = {"user_id": user.id, "role": role}
        return self.ok("POST", f"/api/v1/boards/{board_id}/members", json=body)

    def token(self, user: User, label: str = "") -> dict[str, Any]:
        """Another API token of `user` ({token_id, token, ...})."""
        return self.ok("POST", f"/api/v1/users/{user.id}/tokens", 201, json={"label": label})

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
