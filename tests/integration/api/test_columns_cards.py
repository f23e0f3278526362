"""Column and card commands over HTTP: what they answer, change and refuse."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, TestClient, assert_problem, head, writes_nothing

#: What these answer does not depend on where the log is: in memory, no fsyncs.


def url(board_id: str, *parts: str) -> str:
    return "/".join(("/api/v1/boards", board_id, *parts))


def columns(api: Api, board_id: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.view(board_id, **params)["columns"]
    return found


# --- columns ------------------------------------------------------------------


def test_add_column_answers_201_with_its_id(client: TestClient, api: Api) -> None:
    board = api.board(columns=("Done",))
    body = api.column(board.id, "To do", position=0, wip_limit=2)
    assert set(body) == {"column_id", "version", "seq"}
    assert (body["version"], body["seq"]) == (3, head(client))
    [todo, done] = columns(api, board.id)
    assert (todo["id"], todo["title"], todo["wip_limit"], todo["over_limit"]) == (
        body["column_id"],
        "To do",
        2,
        False,
    )
    assert done["id"] == board.columns[0]


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        ({"title": "C", "position": 5}, 409, "position-out-of-range"),
        ({"title": "C", "position": -1}, 422, "validation"),
        ({"title": "C", "wip_limit": 0}, 422, "validation"),
        ({"title": ""}, 422, "validation"),
        ({"title": "C", "color": "red"}, 422, "validation"),
    ],
)
def test_add_column_refusals(
    client: TestClient, api: Api, body: dict[str, Any], status: int, kind: str
) -> None:
    board = api.board(columns=("A",))
    with writes_nothing(client):
        assert_problem(client.post(url(board.id, "columns"), json=body), status, kind)


def test_edit_column_sets_and_clears_the_wip_limit(client: TestClient, api: Api) -> None:
    board = api.board(columns=("Doing",))
    column = url(board.id, "columns", board.columns[0])
    # One event per field changed: a rename and a new limit.
    assert api.ok("PATCH", column, json={"title": "WIP", "wip_limit": 3})["version"] == 4
    assert columns(api, board.id)[0] | {"cards": []} == {
        "id": board.columns[0],
        "title": "WIP",
        "wip_limit": 3,
        "over_limit": False,
        "cards": [],
    }
    assert api.ok("PATCH", column, json={"wip_limit": None})["version"] == 5
    assert columns(api, board.id)[0]["wip_limit"] is None
    with writes_nothing(client):
        for no_op in ({}, {"title": "WIP"}, {"wip_limit": None}):
            assert api.ok("PATCH", column, json=no_op) == {"version": 5, "seq": head(client)}
        assert_problem(client.patch(column, json={"title": None}), 422, "validation")
        assert_problem(client.patch(column, json={"wip_limit": -2}), 422, "validation")


def test_move_column_reorders_the_board(client: TestClient, api: Api) -> None:
    board = api.board(columns=("A", "B", "C"))
    a, b, c = board.columns
    api.ok("POST", url(board.id, "columns", c, "move"), json={"position": 0})
    assert [col["id"] for col in columns(api, board.id)] == [c, a, b]
    with writes_nothing(client):
        same = api.ok("POST", url(board.id, "columns", c, "move"), json={"position": 0})
        assert same["version"] == 5
        far = client.post(url(board.id, "columns", c, "move"), json={"position": 3})
        assert_problem(far, 409, "position-out-of-range")
        assert_problem(client.post(url(board.id, "columns", c, "move"), json={}), 422, "validation")


def test_only_an_empty_column_can_be_removed(client: TestClient, api: Api) -> None:
    board = api.populated(cards=1)
    todo, doing, _ = board.columns
    with writes_nothing(client):
        assert_problem(client.delete(url(board.id, "columns", todo)), 409, "column-not-empty")
    assert api.ok("DELETE", url(board.id, "columns", doing))["seq"] == head(client)
    assert doing not in [col["id"] for col in columns(api, board.id)]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PATCH", "", {"title": "X"}),
        ("POST", "/move", {"position": 0}),
        ("DELETE", "", None),
    ],
)
def test_a_column_that_does_not_exist_is_404(
    client: TestClient, api: Api, method: str, suffix: str, body: Any
) -> None:
    board = api.board(columns=("A",))
    with writes_nothing(client):
        response = client.request(method, url(board.id, "columns", "nope") + suffix, json=body)
    assert_problem(response, 404, "column-not-found")


# --- cards --------------------------------------------------------------------


def test_add_card_answers_201_and_the_card_reads_back(client: TestClient, api: Api) -> None:
    board = api.board(columns=("To do",))
    body = {
        "column_id": board.columns[0],
        "title": "Write tests",
        "description": "for the API",
        "labels": ["qa", "api"],
        "assignees": ["admin"],
        "due_date": "2030-01-31",
    }
    created = api.ok("POST", url(board.id, "cards"), 201, json=body)
    assert set(created) == {"card_id", "version", "seq"}
    assert (created["version"], created["seq"]) == (3, head(client))
    card = api.get(url(board.id, "cards", created["card_id"]))
    assert card == {
        "id": created["card_id"],
        "board_id": board.id,
        "column_id": board.columns[0],
        "title": "Write tests",
        "description": "for the API",
        "labels": ["api", "qa"],
        "assignees": ["admin"],
        "due_date": "2030-01-31",
        "archived": False,
        "version": 3,
    }
    [view] = columns(api, board.id)[0]["cards"]
    assert view == {k: v for k, v in card.items() if k not in ("board_id", "version")}


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"column_id": "nope", "title": "T"}, "column-not-found"),
        ({"title": "T"}, "validation"),
        ({"column_id": "{col}", "title": "T", "due_date": "31/01/2030"}, "validation"),
        ({"column_id": "{col}", "title": "T", "labels": "qa"}, "validation"),
        ({"column_id": "{col}", "title": "T", "labels": [""]}, "validation"),
        ({"column_id": "{col}", "title": "T", "labels": ["l"] * 21}, "validation"),
        ({"column_id": "{col}", "title": "T", "description": "d" * 20_001}, "validation"),
        ({"column_id": "{col}", "title": "T", "priority": 1}, "validation"),
    ],
)
def test_invalid_cards_and_unknown_ids_in_the_body_are_422(
    client: TestClient, api: Api, body: dict[str, Any], kind: str
) -> None:
    board = api.board(columns=("A",))
    body = {k: board.columns[0] if v == "{col}" else v for k, v in body.items()}
    with writes_nothing(client):
        assert_problem(client.post(url(board.id, "cards"), json=body), 422, kind)


def test_edit_card_changes_only_what_it_names(client: TestClient, api: Api) -> None:
    board = api.board(columns=("A",))
    card_id = api.card(board.id, board.columns[0], "T", due_date="2030-01-01", labels=["x"])
    card = url(board.id, "cards", card_id)
    edit = {"title": "T2", "description": "D", "labels": ["y", "z"], "assignees": ["bob"]}
    assert api.ok("PATCH", card, json=edit)["version"] == 4
    read = api.get(card)
    assert {k: read[k] for k in (*edit, "due_date")} == {**edit, "due_date": "2030-01-01"}
    assert api.ok("PATCH", card, json={"due_date": None})["version"] == 5
    assert api.get(card)["due_date"] is None
    with writes_nothing(client):
        assert api.ok("PATCH", card, json={"title": "T2"}) == {"version": 5, "seq": head(client)}
        assert api.ok("PATCH", card, json={}) == {"version": 5, "seq": head(client)}
        for bad in ({"title": None}, {"labels": None}, {"title": ""}, {"due_date": "soon"}):
            assert_problem(client.patch(card, json=bad), 422, "validation")
        assert_problem(client.patch(card, json={"column_id": "x"}), 422, "validation")


def test_move_card_between_columns_and_positions(client: TestClient, api: Api) -> None:
    board = api.populated(cards=2)
    todo, doing, _ = board.columns
    first, second = board.cards
    api.ok("POST", url(board.id, "cards", first, "move"), json={"column_id": doing, "position": 0})
    view = columns(api, board.id)
    assert [c["id"] for c in view[0]["cards"]] == [second]
    assert [(c["id"], c["column_id"]) for c in view[1]["cards"]] == [(first, doing)]
    move = url(board.id, "cards", second, "move")
    with writes_nothing(client):
        assert api.ok("POST", move, json={"column_id": todo, "position": 0})["version"] == 7
        assert_problem(
            client.post(move, json={"column_id": todo, "position": 1}), 409, "position-out-of-range"
        )
        assert_problem(
            client.post(move, json={"column_id": "nope", "position": 0}), 422, "column-not-found"
        )
        assert_problem(client.post(move, json={"column_id": todo}), 422, "validation")


def test_wip_limit_refuses_cards_with_409(client: TestClient, api: Api) -> None:
    board = api.populated(cards=1)
    doing = board.columns[1]
    api.ok("PATCH", url(board.id, "columns", doing), json={"wip_limit": 1})
    api.card(board.id, doing, "Busy")
    with writes_nothing(client):
        added = client.post(url(board.id, "cards"), json={"column_id": doing, "title": "More"})
        assert_problem(added, 409, "wip-limit")
        move = {"column_id": doing, "position": 0}
        moved = client.post(url(board.id, "cards", board.cards[0], "move"), json=move)
        assert_problem(moved, 409, "wip-limit")
    assert columns(api, board.id)[1]["over_limit"] is False


def test_archived_cards_are_hidden_refuse_changes_and_can_be_restored(
    client: TestClient, api: Api
) -> None:
    board = api.populated(cards=2)
    doing = board.columns[1]
    card_id = board.cards[0]
    card = url(board.id, "cards", card_id)
    assert api.ok("POST", f"{card}/archive")["version"] == 7
    assert [c["id"] for c in columns(api, board.id)[0]["cards"]] == [board.cards[1]]
    shown = columns(api, board.id, include_archived="true")[0]["cards"]
    assert {c["id"]: c["archived"] for c in shown} == {board.cards[1]: False, card_id: True}
    with writes_nothing(client):
        assert api.ok("POST", f"{card}/archive")["version"] == 7
        assert_problem(client.patch(card, json={"title": "X"}), 409, "card-archived")
        move = {"column_id": doing, "position": 0}
        assert_problem(client.post(f"{card}/move", json=move), 409, "card-archived")
        elsewhere = client.post(f"{card}/restore", json={"column_id": "nope"})
        assert_problem(elsewhere, 422, "column-not-found")
        assert_problem(client.post(f"{card}/restore", json={"at": 1}), 422, "validation")
    assert api.ok("POST", f"{card}/restore", json={"column_id": doing})["version"] == 8
    assert [c["id"] for c in columns(api, board.id)[1]["cards"]] == [card_id]
    api.ok("POST", f"{card}/archive")
    assert api.ok("POST", f"{card}/restore")["version"] == 10  # no body: where it was
    assert api.get(card)["column_id"] == doing
    with writes_nothing(client):
        assert api.ok("POST", f"{card}/restore", json={})["version"] == 10


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"title": "X"}),
        ("POST", "/move", {"column_id": "{col}", "position": 0}),
        ("POST", "/archive", None),
        ("POST", "/restore", None),
    ],
)
def test_a_card_that_does_not_exist_is_404(
    client: TestClient, api: Api, method: str, suffix: str, body: Any
) -> None:
    board = api.board(columns=("A",))
    if body is not None:
        body = {k: board.columns[0] if v == "{col}" else v for k, v in body.items()}
    with writes_nothing(client):
        response = client.request(method, url(board.id, "cards", "nope") + suffix, json=body)
    assert_problem(response, 404, "card-not-found")
