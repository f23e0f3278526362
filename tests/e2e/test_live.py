"""Live updates over Server-Sent Events, read as a client would read them."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Server, ServerFactory, add_card, head_seq, make_board, ok
from .sse import StreamEnded, stream


def test_live_stream_shows_changes_resumes_and_resets(make_server: ServerFactory) -> None:
    server: Server = make_server(heartbeat="0.5").start()
    with server.client() as writer, server.client() as watcher:
        board_id, (todo, done) = make_board(writer, "Live", [("To do", None), ("Done", None)])
        # As the web app does: load the board (with everything written so far), then
        # follow it. A stream starts where the read models are, so that a client sees
        # every change after the board it loaded, even one not yet projected.
        ok(watcher.get(f"/api/v1/boards/{board_id}", params={"min_seq": head_seq(writer)}))

        # A change made by another client appears on the open stream.
        with stream(watcher, board_id) as events:
            added = add_card(writer, board_id, todo, "Seen live")
            (message,) = events.events(1)
            assert message.id == str(added["seq"])
            assert message.event == "CardAdded"
            data = message.json()
            assert set(data) == {
                "seq",
                "version",
                "type",
                "summary",
                "data",
                "actor",
                "actor_name",
                "recorded_at",
            }
            assert data["actor_name"] == "Administrator"
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


def test_a_revoked_token_or_a_removed_member_loses_an_open_stream_at_once(
    make_server: ServerFactory,
) -> None:
    # A long heartbeat: the stream must end because of the revocation, not a timer.
    server: Server = make_server(heartbeat="60").start()
    with server.client() as admin:
        board_id, _ = make_board(admin, "Shared", [("To do", None)])
        users = {}
        for name in ("vera", "wes"):
            made = ok(admin.post("/api/v1/users", json={"name": name}))
            users[name] = (made["user_id"], made["token"])
            grant = {"user_id": made["user_id"], "role": "viewer"}
            ok(admin.post(f"/api/v1/boards/{board_id}/members", json=grant))
        vera_id, vera_token = users["vera"]
        wes_id, wes_token = users["wes"]

        # Revoking the token a stream was opened with ends that stream.
        with server.client(vera_token) as vera, stream(vera, board_id) as events:
            (token,) = ok(vera.get(f"/api/v1/users/{vera_id}/tokens"))["tokens"]
            gone = admin.delete(f"/api/v1/users/{vera_id}/tokens/{token['token_id']}")
            assert gone.status_code == 204
            (revoked,) = events.events(1, timeout=5)
            assert revoked.event == "revoked"
            with pytest.raises(StreamEnded):
                events.events(1, timeout=5)

        # Removing a member from the board ends their stream too; others keep theirs.
        with (
            server.client(wes_token) as wes,
            stream(wes, board_id) as wes_events,
            stream(admin, board_id) as admin_events,
        ):
            removed = ok(admin.delete(f"/api/v1/boards/{board_id}/members/{wes_id}"))
            (revoked,) = wes_events.events(1, timeout=5)
            assert revoked.event == "revoked"
            (seen,) = admin_events.events(1, timeout=5)
            assert (seen.event, seen.id) == ("MemberRemoved", str(removed["seq"]))
            assert wes.get(f"/api/v1/boards/{board_id}").status_code == 404
