"""Board commands, undo/redo, Idempotency-Key and If-Match over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from kanban.domain import commands as cmd

from .conftest import Api, TestClient, assert_problem, head, writes_nothing

BOARDS = "/api/v1/boards"

#: What these answer does not depend on where the log is: in memory, no fsyncs.


def test_create_board_answers_201_with_its_id_version_and_seq(client: TestClient) -> None:
    response = client.post(BOARDS, json={"title": "Roadmap"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"board_id", "version", "seq"}
    assert (body["version"], body["seq"]) == (1, head(client))
    board = client.get(f"{BOARDS}/{body['board_id']}", params={"min_seq": body["seq"]}).json()
    assert board == {
        "id": body["board_id"],
        "title": "Roadmap",
        "version": 1,
        "archived": False,
        "columns": [],
    }


def test_rename_answers_the_new_version_and_a_no_op_the_unchanged_one(
    client: TestClient, api: Api
) -> None:
    board = api.board("Old")
    renamed = api.ok("PATCH", f"{BOARDS}/{board.id}", json={"title": "New"})
    assert renamed == {"version": 2, "seq": head(client)}
    with writes_nothing(client):
        same = api.ok("PATCH", f"{BOARDS}/{board.id}", json={"title": "New"})
    assert same == renamed
    assert api.view(board.id)["title"] == "New"


def test_archive_blocks_changes_until_restored(client: TestClient, api: Api) -> None:
    board = api.board("B")
    url = f"{BOARDS}/{board.id}"
    assert api.ok("POST", f"{url}/archive")["version"] == 2
    assert api.view(board.id)["archived"] is True
    with writes_nothing(client):
        assert api.ok("POST", f"{url}/archive")["version"] == 2
        rejected = client.patch(url, json={"title": "X"})
        assert_problem(rejected, 409, "board-archived")
        column = client.post(f"{url}/columns", json={"title": "C"})
        assert_problem(column, 409, "board-archived")
    assert api.ok("POST", f"{url}/restore")["version"] == 3
    with writes_nothing(client):
        assert api.ok("POST", f"{url}/restore")["version"] == 3
    assert api.view(board.id)["archived"] is False
    assert api.ok("PATCH", url, json={"title": "X"})["version"] == 4


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PATCH", "", {"title": "X"}),
        ("POST", "/archive", None),
        ("POST", "/restore", None),
        ("POST", "/undo", None),
        ("POST", "/redo", None),
        ("POST", "/columns", {"title": "C"}),
        ("POST", "/cards", {"column_id": "c", "title": "T"}),
    ],
)
def test_a_board_that_does_not_exist_is_404(
    client: TestClient, method: str, suffix: str, body: Any
) -> None:
    with writes_nothing(client):
        response = client.request(method, f"{BOARDS}/no-such-board{suffix}", json=body)
    assert_problem(response, 404, "board-not-found")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": None},
        {"title": 7},
        {"title": "ok", "owner": "me"},
        ["title"],
    ],
    ids=["missing", "empty", "blank", "too-long", "null", "number", "unknown-field", "array"],
)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_invalid_board_bodies_are_422(client: TestClient, api: Api, method: str, body: Any) -> None:
    url = BOARDS if method == "POST" else f"{BOARDS}/{api.board().id}"
    with writes_nothing(client):
        response = client.request(method, url, json=body)
    assert_problem(response, 422, "validation")


# --- undo and redo ----------------------------------------------------------


def test_undo_and_redo_name_the_unit_and_what_they_did(client: TestClient, api: Api) -> None:
    board = api.board("Before")
    url = f"{BOARDS}/{board.id}"
    api.ok("PATCH", url, json={"title": "After"})
    [renamed] = api.get(f"{url}/history", limit=1)["items"]

    undone = api.ok("POST", f"{url}/undo")
    assert set(undone) == {"version", "seq", "unit_id", "events"}
    assert (undone["version"], undone["seq"]) == (3, head(client))
    assert undone["unit_id"] == renamed["unit_id"]
    [event] = undone["events"]
    assert event["type"] == "BoardRenamed"
    assert "Before" in event["summary"]
    assert api.view(board.id)["title"] == "Before"

    redone = api.ok("POST", f"{url}/redo")
    assert redone["unit_id"] == renamed["unit_id"]
    assert [e["type"] for e in redone["events"]] == ["BoardRenamed"]
    assert (redone["version"], redone["seq"]) == (4, head(client))
    assert api.view(board.id)["title"] == "After"

    with writes_nothing(client):
        assert_problem(client.post(f"{url}/redo"), 409, "nothing-to-redo")


def test_nothing_to_undo_is_409(client: TestClient, api: Api) -> None:
    board = api.board()
    with writes_nothing(client):
        assert_problem(client.post(f"{BOARDS}/{board.id}/undo"), 409, "nothing-to-undo")
        assert_problem(client.post(f"{BOARDS}/{board.id}/redo"), 409, "nothing-to-redo")


def test_undo_colliding_with_another_users_later_change_is_409_naming_it(
    client: TestClient, api: Api
) -> None:
    board = api.populated(cards=1)
    _, doing, done = board.columns
    [card] = board.cards
    move = {"column_id": doing, "position": 0}
    api.ok("POST", f"{BOARDS}/{board.id}/cards/{card}/move", json=move)
    later = api.as_bob(cmd.MoveCard(board.id, card, done, 0))
    with writes_nothing(client):
        response = client.post(f"{BOARDS}/{board.id}/undo")
    problem = assert_problem(response, 409, "undo-conflict")
    assert problem["later_change"] == {
        "version": later.version,
        "actor": "bob",
        "type": "CardMoved",
    }


# --- Idempotency-Key ----------------------------------------------------------


def _first_then_retry(client: TestClient, method: str, url: str, body: Any, key: str) -> None:
    first = client.request(method, url, json=body, headers={"Idempotency-Key": key})
    assert first.status_code in (200, 201), first.text
    with writes_nothing(client):
        again = client.request(method, url, json=body, headers={"Idempotency-Key": key})
    assert again.status_code == first.status_code
    assert again.json() == first.json()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "", {"title": "New board"}),
        ("PATCH", "/{board}", {"title": "Renamed"}),
        ("POST", "/{board}/columns", {"title": "Later", "wip_limit": 3}),
        ("PATCH", "/{board}/columns/{column}", {"wip_limit": 2}),
        ("POST", "/{board}/cards", {"column_id": "{column}", "title": "Card"}),
        ("POST", "/{board}/cards/{card}/move", {"column_id": "{column}", "position": 0}),
        ("POST", "/{board}/undo", None),
    ],
)
def test_a_retry_with_the_same_key_and_body_returns_the_first_response(
    client: TestClient, api: Api, method: str, path: str, body: Any
) -> None:
    board = api.populated(cards=1)
    ids = {"board": board.id, "column": board.columns[1], "card": board.cards[0]}
    url = BOARDS + path.format(**ids)
    if body is not None:
        body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
    _first_then_retry(client, method, url, body, "retry-1")


def test_same_key_with_another_body_is_422_and_a_new_key_makes_a_new_board(
    client: TestClient, api: Api
) -> None:
    key = {"Idempotency-Key": "k"}
    first = client.post(BOARDS, json={"title": "A"}, headers=key)
    assert first.status_code == 201
    with writes_nothing(client):
        other = client.post(BOARDS, json={"title": "B"}, headers=key)
        assert_problem(other, 422, "idempotency-conflict")
        elsewhere = client.patch(
            f"{BOARDS}/{first.json()['board_id']}", json={"title": "C"}, headers=key
        )
        assert_problem(elsewhere, 422, "idempotency-conflict")
    second = client.post(BOARDS, json={"title": "A"}, headers={"Idempotency-Key": "k2"})
    assert second.status_code == 201
    assert second.json()["board_id"] != first.json()["board_id"]
    assert len(api.get(BOARDS)["boards"]) == 2


def test_without_a_key_every_post_creates_a_new_board(client: TestClient, api: Api) -> None:
    ids = {client.post(BOARDS, json={"title": "Same"}).json()["board_id"] for _ in range(2)}
    assert len(ids) == 2


# --- If-Match -----------------------------------------------------------------


def test_if_match_applies_at_the_current_version_and_412s_when_stale(
    client: TestClient, api: Api
) -> None:
    board = api.board("One")
    url = f"{BOARDS}/{board.id}"
    assert api.ok("PATCH", url, json={"title": "Two"}, headers={"If-Match": '"1"'})["version"] == 2
    with writes_nothing(client):
        stale = client.patch(url, json={"title": "Three"}, headers={"If-Match": '"1"'})
    assert_problem(stale, 412, "concurrency")
    for tag, version in (('W/"2"', 3), ("3", 4), ("*", 5)):
        title = f"Title {version}"
        assert api.ok("PATCH", url, json={"title": title}, headers={"If-Match": tag})[
            "version"
        ] == (version)


@pytest.mark.parametrize("tag", ["abc", '"-1"', '"1.0"', '"v1"', '"1", "2"', '"' + "9" * 30 + '"'])
def test_a_malformed_if_match_is_422(client: TestClient, api: Api, tag: str) -> None:
    board = api.board()
    with writes_nothing(client):
        response = client.patch(
            f"{BOARDS}/{board.id}", json={"title": "X"}, headers={"If-Match": tag}
        )
    assert_problem(response, 422, "validation")


def test_if_match_guards_every_kind_of_command(client: TestClient, api: Api) -> None:
    board = api.populated(cards=1)
    stale = {"If-Match": '"1"'}
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/archive", None),
        ("POST", "/undo", None),
        ("POST", "/columns", {"title": "C"}),
        ("DELETE", f"/columns/{board.columns[2]}", None),
        ("PATCH", f"/cards/{board.cards[0]}", {"title": "T"}),
        ("POST", f"/cards/{board.cards[0]}/archive", None),
    ]
    with writes_nothing(client):
        for method, suffix, body in requests:
            response = client.request(
                method, f"{BOARDS}/{board.id}{suffix}", json=body, headers=stale
            )
            assert_problem(response, 412, "concurrency")
