"""Card commands answered before the framework answer as the full route does, case by case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from kanban.api.fast_commands import CommandFastPath

from .conftest import Api, Board, TestClient, head

Passed = list[tuple[str, str]]


@pytest.fixture
def passed_on(client: TestClient) -> Passed:
    """The (method, path) of each request the fast path left to the full route."""
    layer: Any = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, CommandFastPath):
        layer = layer.app
    inner, seen = layer.app, []

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((scope["method"], scope["path"]))
        await inner(scope, receive, send)

    layer.app = recording
    return seen


@pytest.fixture
def board(api: Api) -> Board:
    board = api.populated(cards=2)
    api.column(board.id, "Narrow", wip_limit=1)
    narrow = api.view(board.id)["columns"][3]["id"]
    board.columns.append(narrow)
    board.cards.append(api.card(board.id, narrow, "Fills it"))
    return board


def _cards(b: Board) -> str:
    return f"/api/v1/boards/{b.id}/cards"


def _card(b: Board) -> str:
    return f"/api/v1/boards/{b.id}/cards/{b.cards[0]}"


def _move(b: Board) -> str:
    return _card(b) + "/move"


def _to(column: int, position: int) -> Callable[[Board], dict[str, Any]]:
    """A move's body: to the board's `column`-th column, at `position`."""
    return lambda b: {"column_id": b.columns[column], "position": position}


JSON = {"Content-Type": "application/json"}
#: name: (method, url of the board, body, extra headers, status, answered by the fast path)
CASES: dict[str, tuple[str, Callable[[Board], str], Any, dict[str, str], int, bool]] = {
    "add": ("POST", _cards, lambda b: {"column_id": b.columns[0], "title": "New"}, {}, 201, True),
    "add, all fields": (
        "POST",
        _cards,
        lambda b: {
            "column_id": b.columns[1],
            "title": "Full",
            "description": "**md**",
            "labels": ["bug"],
            "assignees": ["ann"],
            "due_date": "2027-01-31",
            "position": 0,
        },
        {},
        201,
        True,
    ),
    "add, unknown column": ("POST", _cards, {"column_id": "nope", "title": "X"}, {}, 422, True),
    "add, column over its WIP limit": (
        "POST",
        _cards,
        lambda b: {"column_id": b.columns[3], "title": "Too many"},
        {},
        409,
        True,
    ),
    "add, unknown board": (
        "POST",
        lambda b: "/api/v1/boards/nope/cards",
        {"column_id": "c", "title": "X"},
        {},
        404,
        True,
    ),
    "add, unknown field": ("POST", _cards, {"title": "X", "colour": "red"}, {}, 422, False),
    "add, malformed JSON": ("POST", _cards, b'{"title": ', JSON, 422, False),
    "add, not JSON": ("POST", _cards, b"title=X", {"Content-Type": "text/plain"}, 422, False),
    "add, no body": ("POST", _cards, None, {}, 422, False),
    "add, body over the limit": (
        "POST",
        _cards,
        lambda b: {"column_id": b.columns[0], "title": "X", "description": "x" * 70_000},
        {},
        413,
        False,
    ),
    "add, with Idempotency-Key": (
        "POST",
        _cards,
        lambda b: {"column_id": b.columns[0], "title": "Once"},
        {"Idempotency-Key": "k1"},
        201,
        False,
    ),
    "add, bad token": (
        "POST",
        _cards,
        lambda b: {"column_id": b.columns[0], "title": "X"},
        {"Authorization": "Bearer kanban_0123456789abcdef_nope"},
        401,
        False,
    ),
    "edit": ("PATCH", _card, {"title": "Renamed", "due_date": None}, {}, 200, True),
    "edit, title null": ("PATCH", _card, {"title": None}, {}, 422, True),
    "edit, with If-Match": ("PATCH", _card, {"title": "Again"}, {"If-Match": '"1"'}, 412, False),
    "edit, unknown card": (
        "PATCH",
        lambda b: f"/api/v1/boards/{b.id}/cards/nope",
        {"title": "X"},
        {},
        404,
        True,
    ),
    "move": ("POST", _move, _to(2, 0), {}, 200, True),
    "move, over the WIP limit": ("POST", _move, _to(3, 0), {}, 409, True),
    "move, negative position": ("POST", _move, _to(1, -1), {}, 422, False),
}


def _send(
    client: TestClient, method: str, url: str, body: Any, headers: dict[str, str]
) -> tuple[int, str, Any]:
    if isinstance(body, bytes) or body is None:
        response = client.request(method, url, content=body, headers=headers)
    else:
        response = client.request(method, url, json=body, headers=headers)
    kind = response.headers.get("content-type", "")
    return response.status_code, kind, response.json()


def _shape(answer: tuple[int, str, Any]) -> Any:
    """What both paths must agree on: a success's fields (ids and versions differ), else all."""
    status, kind, body = answer
    return (status, kind, sorted(body) if status < 300 else body)


@pytest.mark.parametrize("case", CASES)
def test_the_fast_answer_is_the_full_routes_answer(
    client: TestClient, board: Board, passed_on: Passed, case: str
) -> None:
    method, url_of, body_of, headers, status, fast = CASES[case]
    url, body = url_of(board), body_of(board) if callable(body_of) else body_of
    before = head(client)
    answer = _send(client, method, url, body, headers)
    assert answer[0] == status, answer
    assert (passed_on == []) is fast, passed_on
    # A query parameter sends the same request down the full route.
    full = _send(client, method, url + "?full=1", body, headers)
    assert passed_on[-1] == (method, url)
    assert _shape(answer) == _shape(full)
    assert (head(client) > before) is (status < 300)


def test_the_fast_path_writes_what_the_full_route_writes(api: Api, board: Board) -> None:
    body = {"column_id": board.columns[1], "title": "Twin", "labels": ["x"], "position": 0}
    fast = api.ok("POST", _cards(board), 201, json=body)
    full = api.ok("POST", _cards(board) + "?full=1", 201, json=body)
    assert full["version"] == fast["version"] + 1
    assert full["seq"] == fast["seq"] + 1
    cards = {c["id"]: c for c in api.view(board.id)["columns"][1]["cards"]}
    twins = [cards[fast["card_id"]], cards[full["card_id"]]]
    for twin in twins:
        del twin["id"]
    assert twins[0] == twins[1]


def test_a_query_replica_leaves_commands_to_the_full_route(
    client: TestClient, board: Board, passed_on: Passed
) -> None:
    settings = client.app.state.runtime.kanban.settings  # type: ignore[attr-defined]
    settings.role = "query"
    try:
        client.post(_cards(board), json={"column_id": board.columns[0], "title": "Fwd"})
    finally:
        settings.role = "writer"
    assert passed_on == [("POST", _cards(board))]


@pytest.mark.parametrize(
    ("csrf", "status", "fast"), [("right", 201, True), ("wrong", 403, False), (None, 403, False)]
)
def test_the_web_apps_session_takes_the_fast_path_only_with_its_csrf_token(
    api: Api,
    client: TestClient,
    board: Board,
    passed_on: Passed,
    csrf: str | None,
    status: int,
    fast: bool,
) -> None:
    editor = api.user("eve", password="eve's password")
    api.grant(board.id, editor, "editor")
    del client.headers["Authorization"]  # the browser's case: the cookie alone
    signed = client.post("/api/v1/session", json={"name": "eve", "password": "eve's password"})
    passed_on.clear()
    token = {"right": signed.json()["csrf_token"], "wrong": "0" * 32, None: None}[csrf]
    headers = {"X-CSRF-Token": token} if token else {}
    body = {"column_id": board.columns[0], "title": "From the browser"}
    answer = client.post(_cards(board), json=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert (passed_on == []) is fast
