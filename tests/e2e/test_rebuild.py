"""The read database is disposable: delete it, restart, and every answer is the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from .conftest import Server, add_card, head_seq, history, make_board, ok


def build_activity(client: httpx.Client) -> tuple[list[str], list[tuple[str, str]]]:
    """Boards with a bit of everything: moves, edits, archives, undo, redo, renames."""
    board_a, (todo, doing, done) = make_board(
        client, "Launch", [("To do", None), ("Doing", 3), ("Done", None)]
    )
    cards = [
        add_card(
            client,
            board_a,
            todo,
            f"Launch task {i}",
            description=f"Step {i} of the launch plan",
            labels=["launch", f"l{i % 3}"],
            due_date=f"2026-12-{i + 1:02d}",
        )["card_id"]
        for i in range(12)
    ]
    base = f"/api/v1/boards/{board_a}"
    for i, card in enumerate(cards[:6]):
        target = doing if i < 3 else done
        ok(client.post(f"{base}/cards/{card}/move", json={"column_id": target, "position": 0}))
    ok(client.patch(f"{base}/cards/{cards[0]}", json={"title": "Task zero", "due_date": None}))
    ok(client.patch(f"{base}/cards/{cards[1]}", json={"assignees": ["ana", "bo"]}))
    ok(client.post(f"{base}/cards/{cards[2]}/archive"))
    ok(client.post(f"{base}/cards/{cards[7]}/archive"))
    ok(client.post(f"{base}/cards/{cards[7]}/restore", json={"column_id": done}))
    ok(client.patch(f"{base}/columns/{doing}", json={"title": "In progress", "wip_limit": 4}))
    ok(client.post(f"{base}/columns/{done}/move", json={"position": 0}))
    ok(client.post(f"{base}/undo"))
    ok(client.post(f"{base}/undo"))
    ok(client.post(f"{base}/redo"))
    ok(client.patch(base, json={"title": "Launch (renamed)"}))

    board_b, (inbox,) = make_board(client, "Archived board", [("Inbox", 3)])
    for i in range(3):
        add_card(client, board_b, inbox, f"Old idea {i}")
    ok(client.post(f"/api/v1/boards/{board_b}/archive"))

    board_c, (only,) = make_board(client, "Quiet board", [("Only", None)])
    lonely = add_card(client, board_c, only, "A lonely launch card")["card_id"]
    return [board_a, board_b, board_c], [(board_a, c) for c in cards] + [(board_c, lonely)]


def answers(
    client: httpx.Client, boards: list[str], cards: list[tuple[str, str]], min_seq: int
) -> Any:
    """Every query a user can make about these boards, as (status, ETag, body)."""

    def get(path: str, **params: Any) -> tuple[int, str | None, Any]:
        response = client.get(path, params=params)
        return response.status_code, response.headers.get("etag"), response.json()

    seen: dict[str, Any] = {"list": get("/api/v1/boards", min_seq=min_seq)}
    for board_id in boards:
        base = f"/api/v1/boards/{board_id}"
        seen[board_id] = get(base)
        seen[f"{board_id} all"] = get(base, include_archived=True)
        seen[f"{board_id} history"] = history(client, board_id, limit=7)
        seen[f"{board_id} history big"] = history(client, board_id)
    for board_id, card in cards:
        seen[card] = get(f"/api/v1/boards/{board_id}/cards/{card}")
        seen[f"{card} history"] = history(client, board_id, limit=3, card_id=card)
    seen["search"] = get("/api/v1/search", q="launch plan")
    return seen


def read_db_files(data_dir: Path) -> list[Path]:
    return [data_dir / name for name in ("read.db", "read.db-wal", "read.db-shm")]


def test_deleting_the_read_database_changes_no_answer(server: Server) -> None:
    with server.client() as client:
        boards, cards = build_activity(client)
        head = head_seq(client)
        before = answers(client, boards, cards, head)
    assert all(v[0] == 200 for v in before.values() if isinstance(v, tuple))
    assert len(before[f"{boards[0]} history"]) > 3  # several pages

    server.stop()
    assert (server.data_dir / "read.db").exists()
    for path in read_db_files(server.data_dir):
        path.unlink(missing_ok=True)

    server.start()
    with server.client() as client:
        assert head_seq(client) == head
        after = answers(client, boards, cards, head)
    assert (server.data_dir / "read.db").exists()
    with server.client() as client:
        status = ok(client.get("/api/v1/projections"))["projections"]
    assert {p["name"]: (p["checkpoint"], p["lag"]) for p in status} == {
        "boards": (head, 0),
        "history": (head, 0),
        "access": (head, 0),
    }
    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key
