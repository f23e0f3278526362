"""Queries over HTTP: boards, time travel, history, search, read-your-writes, system routes."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from .conftest import Api, TestClient, assert_problem, head, runtime, writes_nothing

BOARDS = "/api/v1/boards"
BOARD_KEYS = {"id", "title", "version", "archived", "columns"}
COLUMN_KEYS = {"id", "title", "wip_limit", "over_limit", "cards"}
CARD_KEYS = {"id", "column_id", "title", "description", "labels", "assignees", "due_date"}
HISTORY_KEYS = {"seq", "version", "type", "data", "actor", "recorded_at", "summary", "undone"}


def assert_board_shape(board: dict[str, Any]) -> None:
    assert set(board) == BOARD_KEYS
    for column in board["columns"]:
        assert set(column) == COLUMN_KEYS
        for card in column["cards"]:
            assert set(card) == CARD_KEYS | {"archived"}


def test_list_boards(api: Api) -> None:
    first, second = api.board("One"), api.board("Two")
    boards = api.get(BOARDS)["boards"]
    assert [(b["id"], b["title"], b["version"]) for b in boards] == [
        (first.id, "One", 1),
        (second.id, "Two", 1),
    ]
    assert set(boards[0]) == {
        "id",
        "title",
        "version",
        "archived",
        "created_at",
        "updated_at",
        "role",
    }


def test_board_has_an_etag_and_answers_304_when_it_matches(client: TestClient, api: Api) -> None:
    board = api.populated(cards=1)
    url = f"{BOARDS}/{board.id}"
    response = client.get(url, params={"min_seq": head(client)})
    assert response.status_code == 200
    view = response.json()
    assert_board_shape(view)
    assert response.headers["etag"] == f'"{view["version"]}"'
    for tag in (f'"{view["version"]}"', f'W/"{view["version"]}"', f'"1", "{view["version"]}"'):
        cached = client.get(url, headers={"If-None-Match": tag})
        assert cached.status_code == 304
        assert cached.content == b""
        assert cached.headers["etag"] == response.headers["etag"]
    assert client.get(url, headers={"If-None-Match": '"1"'}).status_code == 200


def test_unknown_board_is_404(client: TestClient) -> None:
    for suffix in ("", "/history", "/cards/x"):
        assert_problem(
            client.get(f"{BOARDS}/nope{suffix}"),
            404,
            "board-not-found" if suffix != "/cards/x" else "card-not-found",
        )


# --- time travel --------------------------------------------------------------


def _history(api: Api, board_id: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(f"{BOARDS}/{board_id}/history", **params)["items"]
    return items


def test_a_past_version_has_the_same_shape_as_the_present(api: Api) -> None:
    board = api.populated(cards=1)
    api.ok("PATCH", f"{BOARDS}/{board.id}", json={"title": "Renamed"})
    api.ok("POST", f"{BOARDS}/{board.id}/cards/{board.cards[0]}/archive")
    now = api.view(board.id, include_archived="true")
    past = api.view(board.id, version=now["version"], include_archived="true")
    assert past == now
    two = api.view(board.id, version=2)
    assert_board_shape(two)
    assert (two["title"], two["version"], [c["title"] for c in two["columns"]]) == (
        "Project",
        2,
        ["To do"],
    )
    before_archive = api.view(board.id, version=now["version"] - 1)
    assert [c["id"] for c in before_archive["columns"][0]["cards"]] == board.cards
    assert api.view(board.id, version=now["version"])["columns"][0]["cards"] == []


def test_the_board_as_it_was_at_a_time(client: TestClient, api: Api) -> None:
    board = api.board("First")
    api.ok("PATCH", f"{BOARDS}/{board.id}", json={"title": "Second"})
    renamed, created = _history(api, board.id)
    at = datetime.fromisoformat(created["recorded_at"])
    assert at < datetime.fromisoformat(renamed["recorded_at"])
    then = api.view(board.id, at=at.isoformat())
    assert (then["title"], then["version"]) == ("First", 1)
    elsewhere = at.astimezone(timezone(timedelta(hours=-5))).isoformat()
    assert api.view(board.id, at=elsewhere)["version"] == 1
    later = api.view(board.id, at=datetime.fromisoformat(renamed["recorded_at"]).isoformat())
    assert (later["title"], later["version"]) == ("Second", 2)


@pytest.mark.parametrize(
    ("params", "status", "kind"),
    [
        ({"version": 3}, 404, "version-not-found"),
        ({"version": 2**63 - 1}, 404, "version-not-found"),
        ({"version": 2**63}, 422, "validation"),
        ({"version": 0}, 422, "validation"),
        ({"at": "2000-01-01T00:00:00+00:00"}, 404, "version-not-found"),
        ({"at": "2000-01-01T00:00:00"}, 422, "validation"),
        ({"at": "yesterday"}, 422, "validation"),
        ({"at": "0001-01-01T00:00:00+14:00"}, 422, "validation"),
        ({"at": "9999-12-31T23:59:59-14:00"}, 422, "validation"),
        ({"version": 1, "at": "2100-01-01T00:00:00Z"}, 422, "validation"),
    ],
)
def test_time_travel_refusals(
    client: TestClient, api: Api, params: dict[str, Any], status: int, kind: str
) -> None:
    board = api.board(columns=("A",))
    assert_problem(client.get(f"{BOARDS}/{board.id}", params=params), status, kind)


# --- history ------------------------------------------------------------------


def test_history_is_newest_first_with_who_what_and_when(api: Api) -> None:
    board = api.populated(cards=1)
    items = _history(api, board.id)
    assert [i["seq"] for i in items] == sorted((i["seq"] for i in items), reverse=True)
    assert [i["version"] for i in items] == [5, 4, 3, 2, 1]
    assert [i["type"] for i in items] == ["CardAdded", *["ColumnAdded"] * 3, "BoardCreated"]
    for item in items:
        assert set(item) >= HISTORY_KEYS | {"undo_of", "redo_of", "unit_id"}
        assert item["actor"] == "admin"
        assert item["summary"]
        assert (item["undone"], item["undo_of"], item["redo_of"]) == (False, None, None)
    assert items[0]["data"]["card_id"] == board.cards[0]


def test_history_pages_with_an_opaque_cursor(api: Api) -> None:
    board = api.populated(cards=4)
    everything = [i["seq"] for i in _history(api, board.id)]
    seen: list[int] = []
    cursor = None
    while True:
        page = api.get(
            f"{BOARDS}/{board.id}/history", limit=3, **({"cursor": cursor} if cursor else {})
        )
        assert len(page["items"]) <= 3
        seen += [i["seq"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything


def test_history_filters_by_card_and_marks_undone_units(api: Api) -> None:
    board = api.populated(cards=2)
    first, second = board.cards
    api.ok("PATCH", f"{BOARDS}/{board.id}/cards/{first}", json={"title": "Edited"})
    assert [i["type"] for i in _history(api, board.id, card_id=first)] == [
        "CardEdited",
        "CardAdded",
    ]
    assert [i["data"]["card_id"] for i in _history(api, board.id, card_id=second)] == [second]

    api.ok("POST", f"{BOARDS}/{board.id}/undo")
    undo, edit = _history(api, board.id, limit=2)
    assert (edit["type"], edit["undone"]) == ("CardEdited", True)
    assert undo["undo_of"] == edit["unit_id"]
    api.ok("POST", f"{BOARDS}/{board.id}/redo")
    redo, _, edit = _history(api, board.id, limit=3)
    assert redo["redo_of"] == edit["unit_id"]
    assert edit["undone"] is False


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "!!!"},
        {"cursor": _cursor("x5")},
        {"cursor": _cursor("s")},
        {"cursor": _cursor("s-1")},
        {"cursor": _cursor("s" + "9" * 30)},
        {"cursor": "c" * 101},
        {"limit": 0},
        {"limit": 501},
    ],
)
def test_bad_history_parameters_are_422(
    client: TestClient, api: Api, params: dict[str, Any]
) -> None:
    board = api.board()
    params = {**params, "min_seq": head(client)}
    assert_problem(client.get(f"{BOARDS}/{board.id}/history", params=params), 422, "validation")


# --- search -------------------------------------------------------------------


def test_search_finds_cards_by_title_and_description(client: TestClient, api: Api) -> None:
    board = api.board(columns=("A",))
    card = api.card(board.id, board.columns[0], "Refactor the parser", description="tokenizer")
    api.card(board.id, board.columns[0], "Unrelated")
    [hit] = api.get("/api/v1/search", q="parser")["items"]
    assert (hit["id"], hit["board_id"], hit["title"]) == (card, board.id, "Refactor the parser")
    assert set(hit) == CARD_KEYS | {"archived", "board_id", "version", "snippet"}
    assert [h["id"] for h in api.get("/api/v1/search", q="tokeni")["items"]] == [card]
    for params in ({}, {"q": ""}, {"q": "x", "limit": 0}):
        assert_problem(client.get("/api/v1/search", params=params), 422, "validation")


# --- read your writes -----------------------------------------------------------

QUERIES = [
    "/api/v1/boards",
    "/api/v1/boards/{board}",
    "/api/v1/boards/{board}/history",
    "/api/v1/boards/{board}/cards/{card}",
    "/api/v1/boards/{board}/members",
    "/api/v1/boards/{board}/events",
    "/api/v1/search",
    "/api/v1/users",
    "/api/v1/users/me",
    "/api/v1/users/admin",
    "/api/v1/users/admin/tokens",
]


#: GETs that min_seq means nothing to: they do not answer from a read model
#: the projector may not have reached yet.
NOT_READ_MODEL_GETS = {
    "/api/v1/events": "the log itself",
    "/api/v1/admin/backup": "the log itself",
    "/api/v1/boards/{board_id}/stream": "resumes from Last-Event-ID",
    "/api/v1/session": "the credentials this very request was signed in with",
    "/api/v1/projections": "the read side's own progress",
    "/healthz": "the process",
    "/readyz": "the read side's own progress",
    "/metrics": "the process",
}


def test_every_get_of_a_read_model_takes_min_seq_and_is_in_the_table(
    client: TestClient,
) -> None:
    """A new query route without MinSeq (four were, once) fails here, not in a web test."""
    paths = client.get("/openapi.json").json()["paths"]
    gets = {path: op["get"] for path, op in paths.items() if "get" in op}
    taking = {
        path
        for path, get in gets.items()
        if any(p["name"] == "min_seq" for p in get.get("parameters", []))
    }
    assert set(gets) - taking == set(NOT_READ_MODEL_GETS)
    # Each of them is exercised by the test below.
    filled = [q.format(board="b", card="c") for q in QUERIES]
    for path in taking:
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        assert any(pattern.match(q) for q in filled), path


@pytest.mark.parametrize("query", QUERIES)
def test_every_query_reads_its_writes_and_refuses_a_min_seq_beyond_the_head(
    client: TestClient, api: Api, query: str
) -> None:
    board = api.populated(cards=1)
    url = query.format(board=board.id, card=board.cards[0])
    q = {"q": "card"} if url.endswith("search") else {}
    assert client.get(url, params={**q, "min_seq": head(client)}).status_code == 200
    for beyond in (head(client) + 1, 10**30, -1):
        assert_problem(client.get(url, params={**q, "min_seq": beyond}), 422, "validation")


def test_a_read_model_that_lags_past_the_timeout_is_503_with_retry_after(
    client: TestClient, api: Api
) -> None:
    board = api.board()
    kanban = runtime(client).kanban
    kanban.projector.stop()
    kanban.settings.min_seq_timeout = 0.05
    seq = api.ok("PATCH", f"{BOARDS}/{board.id}", json={"title": "Unseen"})["seq"]
    # Each query the web app makes of a board it just changed (or created) waits.
    paths = ("", "/history", "/members", "/events")
    for url in (BOARDS, *(f"{BOARDS}/{board.id}{path}" for path in paths)):
        response = client.get(url, params={"min_seq": seq})
        assert_problem(response, 503, "not-yet-projected")
        assert response.headers["retry-after"] == "1"
    ready = client.get("/readyz").json()
    assert ready["head_seq"] == seq
    assert all(p["lag"] >= 1 for p in ready["projections"])


# --- system -------------------------------------------------------------------


def test_health_and_readiness(client: TestClient, api: Api) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    api.board()
    api.get(BOARDS)  # caught up
    response = client.get("/readyz")
    assert response.status_code == 200
    ready = response.json()
    assert (ready["status"], ready["head_seq"]) == ("ready", head(client))
    assert {p["name"] for p in ready["projections"]} >= {"boards", "history"}
    assert all(set(p) == {"name", "checkpoint", "head", "lag"} for p in ready["projections"])
    assert all(p["lag"] == 0 for p in ready["projections"])
    assert api.get("/api/v1/projections")["projections"] == ready["projections"]


def test_metrics_are_prometheus_text(client: TestClient, api: Api) -> None:
    api.board()
    with writes_nothing(client):
        client.patch(f"{BOARDS}/nope", json={"title": "X"})
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'kanban_commands_total{command="CreateBoard",outcome="ok"} 1.0' in text
    assert 'kanban_commands_total{command="RenameBoard",outcome="board-not-found"} 1.0' in text
    assert "kanban_events_appended_total 1.0" in text
    assert 'kanban_http_request_duration_seconds_count{method="POST",route="/api/v1/boards"' in text
    assert 'route="/api/v1/boards/{board_id}",status="404"' in text
    assert "kanban_projection_lag_events{projection=" in text
