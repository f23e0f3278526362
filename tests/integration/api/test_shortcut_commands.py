"""What the shortcut answers, it answers as the full route does, case by case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .conftest import Api, Board, Passed, TestClient, head


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


def _board(b: Board) -> str:
    return f"/api/v1/boards/{b.id}"


def _columns(b: Board) -> str:
    return f"/api/v1/boards/{b.id}/columns"


def _column(b: Board) -> str:
    return f"{_columns(b)}/{b.columns[1]}"


def _to(column: int, position: int) -> Callable[[Board], dict[str, Any]]:
    """A move's body: to the board's `column`-th column, at `position`."""
    return lambda b: {"column_id": b.columns[column], "position": position}


JSON = {"Content-Type": "application/json"}
#: name: (method, url of the board, body, extra headers, status, answered by the shortcut)
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
    "edit, with a stale If-Match": (
        "PATCH",
        _card,
        {"title": "Again"},
        {"If-Match": '"1"'},
        412,
        True,
    ),
    "edit, with If-Match *": ("PATCH", _card, {"title": "Any"}, {"If-Match": "*"}, 200, True),
    "edit, malformed If-Match": (
        "PATCH",
        _card,
        {"title": "X"},
        {"If-Match": "twelve"},
        422,
        False,
    ),
    "edit, unknown card": (
        "PATCH",
        lambda b: f"/api/v1/boards/{b.id}/cards/nope",
        {"title": "X"},
        {},
        404,
        True,
    ),
    "edit, a card id that reads like a route": (
        "PATCH",
        lambda b: f"/api/v1/boards/{b.id}/cards/move",
        {"title": "X"},
        {},
        404,
        True,
    ),
    "move": ("POST", _move, _to(2, 0), {}, 200, True),
    "move, over the WIP limit": ("POST", _move, _to(3, 0), {}, 409, True),
    "move, negative position": ("POST", _move, _to(1, -1), {}, 422, False),
    "archive, unknown card": (
        "POST",
        lambda b: f"/api/v1/boards/{b.id}/cards/nope/archive",
        None,
        {},
        404,
        True,
    ),
    "restore, unknown card": (
        "POST",
        lambda b: f"/api/v1/boards/{b.id}/cards/nope/restore",
        None,
        {},
        404,
        True,
    ),
    "restore, a body it refuses": (
        "POST",
        lambda b: _card(b) + "/restore",
        {"position": -1},
        {},
        422,
        False,
    ),
    "create board": ("POST", lambda b: "/api/v1/boards", {"title": "Another"}, {}, 201, True),
    "rename board": ("PATCH", _board, {"title": "Renamed"}, {}, 200, True),
    "rename board, stale If-Match": ("PATCH", _board, {"title": "R"}, {"If-Match": "1"}, 412, True),
    "archive, unknown board": (
        "POST",
        lambda b: "/api/v1/boards/nope/archive",
        None,
        {},
        404,
        True,
    ),
    "add column": ("POST", _columns, {"title": "Later", "wip_limit": 3}, {}, 201, True),
    "add column, a body it refuses": ("POST", _columns, {"title": ""}, {}, 422, False),
    "edit column": ("PATCH", _column, {"wip_limit": 7}, {}, 200, True),
    "move column": ("POST", lambda b: _column(b) + "/move", {"position": 0}, {}, 200, True),
    "move column, out of range": (
        "POST",
        lambda b: _column(b) + "/move",
        {"position": 99},
        {},
        409,
        True,
    ),
    "remove column, not empty": (
        "DELETE",
        lambda b: f"{_columns(b)}/{b.columns[0]}",
        None,
        {},
        409,
        True,
    ),
    "undo (its answer reads history)": (
        "POST",
        lambda b: _board(b) + "/undo",
        None,
        {},
        200,
        False,
    ),
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


#: name: (method, url, body, what makes the board ready for it); each board takes it once.
ONE_SHOT: dict[
    str, tuple[str, Callable[[Board], str], Callable[[Board], Any], Callable[..., Any]]
] = {
    "archive card": ("POST", lambda b: _card(b) + "/archive", lambda b: None, lambda api, b: None),
    "archive card, a body it ignores": (
        "POST",
        lambda b: _card(b) + "/archive",
        lambda b: {"ignored": True},
        lambda api, b: None,
    ),
    "restore card": (
        "POST",
        lambda b: _card(b) + "/restore",
        lambda b: None,
        lambda api, b: api.ok("POST", _card(b) + "/archive?full=1"),
    ),
    "restore card, to a column": (
        "POST",
        lambda b: _card(b) + "/restore",
        lambda b: {"column_id": b.columns[2], "position": 0},
        lambda api, b: api.ok("POST", _card(b) + "/archive?full=1"),
    ),
    "remove column": (
        "DELETE",
        lambda b: f"{_columns(b)}/{b.columns[2]}",
        lambda b: None,
        lambda api, b: None,
    ),
    "archive board": (
        "POST",
        lambda b: _board(b) + "/archive",
        lambda b: None,
        lambda api, b: None,
    ),
    "restore board": (
        "POST",
        lambda b: _board(b) + "/restore",
        lambda b: None,
        lambda api, b: api.ok("POST", _board(b) + "/archive?full=1"),
    ),
}


@pytest.mark.parametrize("case", ONE_SHOT)
def test_a_command_made_once_answers_alike_on_either_path(
    api: Api, client: TestClient, passed_on: Passed, case: str
) -> None:
    method, url_of, body_of, prepare = ONE_SHOT[case]
    twins = [api.populated(cards=2) for _ in range(2)]
    for twin in twins:
        prepare(api, twin)
    passed_on.clear()
    fast = _send(client, method, url_of(twins[0]), body_of(twins[0]), {})
    assert fast[0] == 200, fast
    assert passed_on == []
    full = _send(client, method, url_of(twins[1]) + "?full=1", body_of(twins[1]), {})
    assert passed_on == [(method, url_of(twins[1]))]
    assert _shape(fast) == _shape(full)


@pytest.mark.parametrize("tag", ['"{v}"', 'W/"{v}"', "{v}"])
def test_a_change_made_on_the_boards_version_takes_the_shortcut(
    api: Api, client: TestClient, board: Board, passed_on: Passed, tag: str
) -> None:
    version = api.view(board.id)["version"]
    passed_on.clear()
    headers = {"If-Match": tag.format(v=version)}
    answer = client.patch(_card(board), json={"title": "Matched"}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == version + 1
    assert passed_on == []


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


def test_the_web_apps_change_takes_the_shortcut(
    api: Api, client: TestClient, board: Board, passed_on: Passed
) -> None:
    """What src/kanban/api/web/api.js sends: the cookie, its CSRF token and If-Match."""
    editor = api.user("eve", password="eve's password")
    api.grant(board.id, editor, "editor")
    version = api.view(board.id)["version"]
    del client.headers["Authorization"]
    signed = client.post("/api/v1/session", json={"name": "eve", "password": "eve's password"})
    passed_on.clear()
    headers = {
        "Accept": "application/json",
        "X-CSRF-Token": signed.json()["csrf_token"],
        "If-Match": f'"{version}"',
    }
    answer = client.post(
        _move(board), json={"column_id": board.columns[1], "position": 0}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert passed_on == []
