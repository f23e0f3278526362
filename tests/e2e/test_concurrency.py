"""Many clients moving cards on one board at once: clean answers, and a read model that
equals the fold of the log."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from kanban.service.mapper import EventMapper
from kanban.service.repository import load_board
from kanban.store.sqlite import SQLiteEventStore

from .conftest import Server, add_card, history, is_problem, make_board, ok, read_model_equals_fold

CLIENTS = 16
MOVES_PER_CLIENT = 30
COLUMNS: list[tuple[str, int | None]] = [
    ("Backlog", None),
    ("Doing", 4),
    ("Review", 2),
    ("Done", None),
]
CARDS = 24


@dataclass
class Outcome:
    status: int
    if_match: int | None
    body: dict[str, Any]
    problem: bool


def mover(
    server: Server, board_id: str, columns: list[str], cards: list[str], seed: int
) -> list[Outcome]:
    rng = random.Random(seed)
    outcomes = []
    with server.client() as client:
        for step in range(MOVES_PER_CLIENT):
            headers = {}
            if_match = None
            if step % 2:
                # Read a version, then move only if nobody else got there first.
                if_match = ok(client.get(f"/api/v1/boards/{board_id}"))["version"]
                headers["If-Match"] = f'"{if_match}"'
            response = client.post(
                f"/api/v1/boards/{board_id}/cards/{rng.choice(cards)}/move",
                json={"column_id": rng.choice(columns), "position": 0},
                headers=headers,
            )
            problem = is_problem(response, response.status_code)
            if response.status_code == 200 and step % 3 == 0:
                # Read your writes: the board is at least as new as the move just made.
                moved = response.json()
                params = {"min_seq": moved["seq"]}
                seen = ok(client.get(f"/api/v1/boards/{board_id}", params=params))
                assert seen["version"] >= moved["version"]
            outcomes.append(Outcome(response.status_code, if_match, body_of(response), problem))
    return outcomes


def body_of(response: httpx.Response) -> dict[str, Any]:
    if "json" in response.headers.get("content-type", ""):
        body: dict[str, Any] = response.json()
        return body
    return {"text": response.text}


def test_concurrent_moves_answer_cleanly_and_the_read_model_equals_the_log(
    server: Server,
) -> None:
    with server.client() as client:
        board_id, columns = make_board(client, "Busy board", COLUMNS)
        cards = [
            add_card(client, board_id, columns[0], f"Card {i}")["card_id"] for i in range(CARDS)
        ]

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [
            pool.submit(mover, server, board_id, columns, cards, seed) for seed in range(CLIENTS)
        ]
        outcomes = [o for f in futures for o in f.result(timeout=60)]

    assert len(outcomes) == CLIENTS * MOVES_PER_CLIENT
    statuses = {o.status for o in outcomes}
    assert statuses <= {200, 409, 412}, sorted(statuses)
    # Every refusal is a clean problem document of the expected kind.
    for o in outcomes:
        if o.status == 409:
            assert o.problem, o.body
            assert o.body["type"] == "/problems/wip-limit", o.body
        elif o.status == 412:
            assert o.problem, o.body
            assert o.body["type"] == "/problems/concurrency", o.body
            assert o.if_match is not None, "412 without If-Match"
        elif o.if_match is not None:
            # Applied on exactly the version the client read: one event, or none.
            assert o.body["version"] in (o.if_match, o.if_match + 1), (o.if_match, o.body)
    # The run exercised every path: applied, refused by a WIP limit, stale version.
    assert {200, 409, 412} <= statuses

    # An applied command that appended is the only one at its version.
    applied = [o.body for o in outcomes if o.status == 200]
    by_version: dict[int, set[int]] = {}
    for body in applied:
        by_version.setdefault(body["version"], set()).add(body["seq"])
    assert all(len(seqs) == 1 for seqs in by_version.values())

    max_seq = max(body["seq"] for body in applied)
    with server.client() as client:
        view = read_model_equals_fold(client, board_id, max_seq)
        pages = history(client, board_id, limit=100)
    assert view["version"] >= max(by_version)

    # What a user sees: every card exactly once, no WIP limit exceeded.
    shown = [card["id"] for column in view["columns"] for card in column["cards"]]
    assert sorted(shown) == sorted(cards)
    for column, (_, limit) in zip(view["columns"], COLUMNS, strict=True):
        assert not column["over_limit"]
        assert limit is None or len(column["cards"]) <= limit
    # One history row per version, newest first, none missing.
    items = [item for page in pages for item in page["items"]]
    assert [i["version"] for i in items] == list(range(view["version"], 0, -1))

    server.stop()
    store = SQLiteEventStore(server.data_dir / "events.db")
    try:
        assert store.verify().ok
        assert load_board(store, EventMapper(), board_id).view() == view
    finally:
        store.close()
