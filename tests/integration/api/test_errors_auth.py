"""Auth on every /api route, bad input, body limits, and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from kanban.api.app import create_app
from kanban.settings import Settings

from .conftest import PROBLEM, Anonymous, Api, Board, TestClient, assert_problem, writes_nothing

# create_app only wires routes; the data dir is touched by the lifespan alone. FastAPI
# keeps included routers whole in app.routes; iter_route_contexts flattens them.
API_ROUTES = sorted(
    (method, str(route.path))
    for route in iter_route_contexts(create_app(Settings(data_dir=Path("unused"))).routes)
    if isinstance(route.original_route, APIRoute) and str(route.path).startswith("/api")
    for method in route.methods or ()
)

#: A request each /api route would accept, given a populated board.
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
    ("GET", "/api/v1/search"): None,
    ("GET", "/api/v1/projections"): None,
    ("GET", "/api/v1/events"): None,
    ("GET", "/api/v1/boards/{board_id}/events"): None,
    ("GET", "/api/v1/admin/backup"): None,
}

TOKENS = {
    "missing": None,
    "wrong": "Bearer not-the-token",
    "prefix": "Bearer test-tok",
    "longer": "Bearer test-token-and-more",
    "empty": "Bearer ",
    "no-scheme": "test-token",
    "basic": "Basic dGVzdC10b2tlbg==",
}


def test_the_request_table_covers_every_api_route() -> None:
    assert sorted(REQUESTS) == API_ROUTES


def _fill(board: Board, path: str, body: Any) -> tuple[str, Any]:
    card = board.cards[1] if path.endswith("/restore") else board.cards[0]
    ids = {"board_id": board.id, "column_id": board.columns[1], "card_id": card}
    if isinstance(body, dict):
        body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
    query = "?q=card" if path.endswith("/search") else ""
    return path.format(**ids) + query, body


@pytest.fixture
def board(api: Api) -> Board:
    """Card 0 live, card 1 archived (to restore), one undone change (to redo)."""
    board = api.populated(cards=2)
    api.ok("POST", f"/api/v1/boards/{board.id}/cards/{board.cards[1]}/archive")
    api.ok("PATCH", f"/api/v1/boards/{board.id}", json={"title": "Undone"})
    api.ok("POST", f"/api/v1/boards/{board.id}/undo")
    api.get("/api/v1/boards")  # projected: the queries below see all of it
    return board


@pytest.mark.parametrize("token", TOKENS.values(), ids=TOKENS.keys())
@pytest.mark.parametrize(("method", "path"), API_ROUTES)
def test_every_api_route_needs_the_token_and_writes_nothing_without_it(
    client: TestClient,
    anonymous: Anonymous,
    board: Board,
    method: str,
    path: str,
    token: str | None,
) -> None:
    url, body = _fill(board, path, REQUESTS[method, path])
    with writes_nothing(client):
        response = anonymous.request(method, url, authorization=token, json=body)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "path"), [r for r in API_ROUTES if not r[1].endswith("/stream")]
)
def test_with_the_token_the_same_requests_succeed(
    client: TestClient, board: Board, method: str, path: str
) -> None:
    url, body = _fill(board, path, REQUESTS[method, path])
    response = client.request(method, url, json=body)
    assert response.status_code in (200, 201), response.text


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"{not json", "malformed"),
        (b'{"title": ""}', "invalid"),
        (b'{"title": "\xff"}', "not-utf-8"),
        (b"x" * 1000, "garbage"),
    ],
)
def test_without_a_token_even_a_bad_body_is_401(
    client: TestClient, anonymous: Anonymous, content: bytes, kind: str
) -> None:
    headers = {"Content-Type": "application/json"}
    with writes_nothing(client):
        response = anonymous.request("POST", "/api/v1/boards", content=content, headers=headers)
    assert_problem(response, 401, "unauthorized")


def test_the_system_routes_need_no_token(anonymous: Anonymous) -> None:
    for url in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert anonymous.request("GET", url).status_code == 200


# --- bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"title": "x"', "application/json"),
        (b"{'title': 'x'}", "application/json"),
        (b'{"title": "x"}', "text/plain"),
        (b"", "application/json"),
        (b'"just a string"', "application/json"),
        (b'{"title": "\xff"}', "application/json"),
    ],
    ids=["truncated", "single-quotes", "text-plain", "empty", "not-an-object", "not-utf-8"],
)
def test_malformed_bodies_are_422(client: TestClient, content: bytes, content_type: str) -> None:
    with writes_nothing(client):
        response = client.post(
            "/api/v1/boards", content=content, headers={"Content-Type": content_type}
        )
    body = assert_problem(response, 422, "validation")
    assert body["errors"]
    assert all(set(e) == {"loc", "msg", "type"} for e in body["errors"])


def test_unknown_fields_and_bad_titles_are_422_naming_the_field(client: TestClient) -> None:
    with writes_nothing(client):
        for body in ({"title": "x", "extra": 1}, {"title": ""}, {"title": "x" * 201}):
            problem = assert_problem(client.post("/api/v1/boards", json=body), 422, "validation")
            assert problem["errors"][0]["loc"][:1] == ["body"]
    assert client.post("/api/v1/boards", json={"title": "x" * 200}).status_code == 201


def _chunks(total: int) -> Iterator[bytes]:
    yield b'{"title": "'
    for _ in range(total // 4096):
        yield b"x" * 4096
    yield b'"}'


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_64_kib_is_413_and_writes_nothing(
    client: TestClient, api: Api, streamed: bool
) -> None:
    board = api.board(columns=("A",))
    url = f"/api/v1/boards/{board.id}/cards"
    with writes_nothing(client):
        if streamed:
            response = client.post(url, content=_chunks(70_000))
        else:
            big = {"column_id": board.columns[0], "title": "T", "description": "x" * 70_000}
            response = client.post(url, json=big)
    assert_problem(response, 413, "too-large")


def test_a_body_the_schema_allows_can_still_be_413(client: TestClient, api: Api) -> None:
    """20 000 characters (the description's limit) of 4-byte UTF-8 exceed 64 KiB."""
    board = api.board(columns=("A",))
    body = {"column_id": board.columns[0], "title": "T", "description": "\U0001f600" * 20_000}
    with writes_nothing(client):
        response = client.post(f"/api/v1/boards/{board.id}/cards", json=body)
    assert_problem(response, 413, "too-large")


def test_unknown_routes_and_methods_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not-found")
    assert_problem(client.put("/api/v1/boards"), 405, "method-not-allowed")


# --- the OpenAPI document -------------------------------------------------------


def test_openapi_documents_every_route_with_its_error_responses(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    documented = sorted(
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if path.startswith("/api")
    )
    assert documented == API_ROUTES
    for method, path in API_ROUTES:
        operation = spec["paths"][path][method.lower()]
        responses = operation["responses"]
        # GET /api/v1/projections takes no input at all, so it has no 422 to document.
        takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
        expected = {"401", "422"} if takes_input else {"401"}
        if method != "GET":
            expected |= {"404", "409", "412", "413", "422"}
        if "{board_id}" in path:
            expected.add("404")
        for code in expected:
            assert code in responses, f"{method} {path} does not document {code}"
            assert list(responses[code]["content"]) == [PROBLEM], (method, path, code)
        schema = responses["401"]["content"][PROBLEM]["schema"]
        assert set(schema["required"]) == {"type", "title", "status", "detail"}
        assert operation["security"] == [{"HTTPBearer": []}]
    for path in ("/healthz", "/readyz", "/metrics"):
        assert "get" in spec["paths"][path]


def test_openapi_says_what_the_server_accepts(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    card_update = spec["components"]["schemas"]["CardUpdate"]["properties"]
    # Only due_date can be cleared; the other fields refuse null (422), so none admits it.
    assert [name for name, field in card_update.items() if "anyOf" in field] == ["due_date"]
    assert card_update["labels"]["items"]["maxLength"] == 50
    column_update = spec["components"]["schemas"]["ColumnUpdate"]["properties"]
    assert "anyOf" not in column_update["title"]
    assert "anyOf" in column_update["wip_limit"]
    [if_match] = [
        p for p in spec["paths"]["/api/v1/boards"]["post"]["parameters"] if p["name"] == "if-match"
    ]
    assert "pattern" in if_match["schema"]["anyOf"][0]
    ready = spec["paths"]["/readyz"]["get"]["responses"]["503"]["content"]["application/json"]
    assert ready["schema"] == {"$ref": "#/components/schemas/ReadyPublic"}
