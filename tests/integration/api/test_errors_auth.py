"""Auth on every /api route, bad input, body limits, and the OpenAPI document.

One app serves the whole module: each test makes what it changes, and the 401
cases, which must write nothing, share one set of targets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import (
    API_ROUTES,
    PASSWORD,
    PROBLEM,
    REQUESTS,
    Anonymous,
    Api,
    Targets,
    TestClient,
    assert_problem,
    fill,
    forget_cookies,
    running,
    unique,
    writes_nothing,
)

#: Signing in is the one /api route that takes no token: it is how a browser gets one.
SIGN_IN = ("POST", "/api/v1/session")
NEEDS_A_TOKEN = [route for route in API_ROUTES if route != SIGN_IN]

TOKENS = {
    "missing": None,
    "wrong": "Bearer not-the-token",
    "prefix": "Bearer test-tok",
    "longer": "Bearer test-token-and-more",
    "empty": "Bearer ",
    "no-scheme": "test-token",
    "basic": "Basic dGVzdC10b2tlbg==",
    "unknown-api-token": "Bearer kanban_0123456789abcdef_" + "x" * 43,
}


def test_the_request_table_covers_every_api_route() -> None:
    assert sorted(REQUESTS) == API_ROUTES


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One running app for the module (overrides the per-test client)."""
    with running(tmp_path_factory, "errors-auth") as c:
        yield c


@pytest.fixture(autouse=True)
def _no_cookies(client: TestClient) -> Iterator[None]:
    yield from forget_cookies(client)


def _targets(api: Api) -> Targets:
    """An admin's board: card 0 live, card 1 archived (to restore), one undone change (to
    redo); sam, a viewer on it (to remove, to make an editor, to address as a user) with
    a spare token (to revoke)."""
    board = api.populated(cards=2)
    api.ok("POST", f"/api/v1/boards/{board.id}/cards/{board.cards[1]}/archive")
    api.ok("PATCH", f"/api/v1/boards/{board.id}", json={"title": "Undone"})
    api.ok("POST", f"/api/v1/boards/{board.id}/undo")
    sam = api.user(unique("sam"))
    api.grant(board.id, sam, "viewer")
    spare = api.token(sam)["token_id"]
    api.get("/api/v1/boards")  # projected: the queries below see all of it
    return Targets(board, sam, spare, member=sam, grantee=sam)


@pytest.fixture
def targets(api: Api) -> Targets:
    """Targets of this test's own, which its requests may change."""
    return _targets(api)


@pytest.fixture(scope="module")
def untouched(client: TestClient) -> Targets:
    """Targets shared by the requests that must write nothing (each test checks that)."""
    return _targets(Api(client))


@pytest.mark.parametrize("token", TOKENS.values(), ids=TOKENS.keys())
@pytest.mark.parametrize(("method", "path"), NEEDS_A_TOKEN)
def test_every_api_route_needs_the_token_and_writes_nothing_without_it(
    client: TestClient,
    anonymous: Anonymous,
    untouched: Targets,
    method: str,
    path: str,
    token: str | None,
) -> None:
    url, body = fill(method, path, untouched)
    with writes_nothing(client):
        response = anonymous.request(method, url, authorization=token, json=body)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "path"), [r for r in API_ROUTES if not r[1].endswith("/stream")]
)
def test_with_the_token_the_same_requests_succeed(
    client: TestClient, api: Api, targets: Targets, method: str, path: str
) -> None:
    if (method, path) == SIGN_IN:
        api.ok("PATCH", f"/api/v1/users/{targets.subject.id}", json={"password": PASSWORD})
    url, body = fill(method, path, targets)
    response = client.request(method, url, json=body)
    assert response.status_code in (200, 201, 204), response.text


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


#: GET routes that refuse some signed-in callers (403): admin-only, or another's account.
GETS_THAT_REFUSE = {
    "/api/v1/events",
    "/api/v1/projections",
    "/api/v1/admin/backup",
    "/api/v1/users/{user_id}/tokens",
}


def _expected_errors(method: str, path: str, operation: dict[str, Any]) -> set[str]:
    """The problem responses a route can give, so must document."""
    # Only GET /api/v1/projections and GET /api/v1/users/me take no input at all.
    takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
    expected = {"401", "422"} if takes_input else {"401"}
    if "{" in path:
        expected.add("404")  # an id in the path that does not exist, or is not yours
    if method == "GET":
        if path in GETS_THAT_REFUSE:
            expected.add("403")
        return expected
    # Any request may carry a body, and one over 64 KiB is refused before it is read.
    expected |= {"413", "422"}
    if (method, path) == SIGN_IN:
        return expected | {"429"}
    # 403: a role or an admin action, and a session cookie without its CSRF token.
    expected.add("403")
    if not path.startswith("/api/v1/session"):
        expected.add("409")  # a rule of the board or the directory
    if "{board_id}" in path or path == "/api/v1/boards":
        expected.add("412")  # If-Match against the board's version
    return expected


def test_openapi_documents_every_route_with_its_error_responses(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    documented = sorted(
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if path.startswith("/api")
    )
    assert documented == API_ROUTES
    missing = []
    for method, path in API_ROUTES:
        operation = spec["paths"][path][method.lower()]
        responses = operation["responses"]
        for code in sorted(_expected_errors(method, path, operation)):
            if code not in responses:
                missing.append(f"{method} {path} {code}")
                continue
            assert list(responses[code]["content"]) == [PROBLEM], (method, path, code)
        schema = responses["401"]["content"][PROBLEM]["schema"]
        assert set(schema["required"]) == {"type", "title", "status", "detail"}
        if (method, path) == SIGN_IN:
            assert "security" not in operation
        else:
            assert operation["security"] == [{"HTTPBearer": []}, {"APIKeyCookie": []}]
    assert not missing, "undocumented error responses:\n" + "\n".join(missing)
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
