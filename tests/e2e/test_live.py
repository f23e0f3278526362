"""Live updates over Server-Sent Events, read as a client would read them."""

from __future__ import annotations

import httpx

from .conftest import Server, ServerFactory, add_card, make_board, ok
from .sse import stream


def test_live_stream_shows_changes_resumes_and_resets(make_server: ServerFactory) -> None:
    server: Server = make_server(heartbeat="0.5").start()
    with server.client() as writer, server.client() as watcher:
        board_id, (todo, done) = make_board(writer, "Live", [("To do", None), ("Done", None)])

        # A change made by another client appears on the open stream.
        with stream(watcher, board_id) as events:
            added = add_card(writer, board_id, todo, "Seen live")
            (message,) = events.events(1)
            assert message.id == str(added["seq"])
            assert message.event == "CardAdded"
            data = message.json()
            assert set(data) == {"seq", "version", "type", "summary", "data"}
            assert data["seq"] == added["seq"]
            assert data["version"] == added["version"]
            assert data["type"] == "CardAdded"
            assert "Seen live" in data["summary"]
            assert data["data"]["card_id"] == added["card_id"]
            # Idle: a heartbeat comment keeps the connection alive.
            assert events.until("heartbeat", timeout=5)[-1].comment == "heartbeat"
        last_seen = message.id

        # Changes made while disconnected arrive, in order, after a reconnect.
        missed = [add_card(writer, board_id, todo, f"Missed {i}") for i in range(3)]
        move = f"/api/v1/boards/{board_id}/cards/{missed[0]['card_id']}/move"
        missed.append(ok(writer.post(move, json={"column_id": done, "position": 0})))
        with stream(watcher, board_id, last_event_id=last_seen) as events:
            resumed = events.events(len(missed))
            assert [m.id for m in resumed] == [str(m["seq"]) for m in missed]
            assert [m.event for m in resumed] == ["CardAdded"] * 3 + ["CardMoved"]
            assert [m.json()["version"] for m in resumed] == [m["version"] for m in missed]
            # Then live again from there.
            renamed = ok(writer.patch(f"/api/v1/boards/{board_id}", json={"title": "Live!"}))
            (message,) = events.events(1)
            assert (message.id, message.event) == (str(renamed["seq"]), "BoardRenamed")

        # An id beyond the log's head cannot be resumed: the client is told to refetch.
        beyond = str(renamed["seq"] + 1000)
        with stream(watcher, board_id, last_event_id=beyond) as events:
            (reset,) = events.events(1)
            assert reset.event == "reset"
            # And it continues from now.
            later = add_card(writer, board_id, todo, "After the reset")
            (message,) = events.events(1)
            assert message.id == str(later["seq"])

        # The stream needs the same bearer token as everything else.
        with httpx.Client(base_url=server.url, timeout=5) as anonymous:
            response = anonymous.get(f"/api/v1/boards/{board_id}/stream")
            assert response.status_code == 401
