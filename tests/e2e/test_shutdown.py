"""SIGTERM while commands are in flight and a live stream is open: a clean, quick exit."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from kanban.service.mapper import EventMapper
from kanban.service.repository import load_board
from kanban.store.sqlite import SQLiteEventStore

from .conftest import Server, make_board
from .sse import StreamEnded, stream

WRITERS = 6
ACKS_BEFORE_TERM = 60
EXIT_WITHIN = 5.0


def writer(
    server: Server, board_id: str, column_id: str, n: int, acked: list[tuple[str, float]]
) -> tuple[int, list[str]]:
    """POST cards until the server is gone: how many failed at the client, anything else."""
    odd: list[str] = []
    deadline = time.monotonic() + 30
    with server.client(timeout=15.0) as client:
        for i in range(100_000):
            if time.monotonic() > deadline:
                odd.append("still answering after 30 s")
                break
            try:
                response = client.post(
                    f"/api/v1/boards/{board_id}/cards",
                    json={"column_id": column_id, "title": f"w{n} card {i}"},
                )
            except httpx.TransportError:
                return 1, odd  # refused, reset or closed: nothing acknowledged
            if response.status_code == 201:
                acked.append((response.json()["card_id"], time.monotonic()))
            else:
                odd.append(f"{response.status_code} {response.text}")
    return 0, odd


def watch(server: Server, board_id: str, seen: list[str]) -> str:
    """Follow the board's live stream until the server ends it; how it ended."""
    with server.client(timeout=30.0) as client:
        try:
            with stream(client, board_id) as events:
                while True:
                    seen.extend(m.id or "" for m in events.events(1, timeout=30))
        except StreamEnded:
            return "ended"
        except httpx.TransportError as exc:
            return f"transport error: {exc!r}"


def test_sigterm_finishes_in_flight_commands_and_exits_promptly(server: Server) -> None:
    with server.client() as client:
        board_id, (column_id,) = make_board(client, "Shutdown", [("Inbox", None)])

    acked: list[tuple[str, float]] = []  # (card, when), appended to by every writer thread
    streamed: list[str] = []
    with ThreadPoolExecutor(WRITERS + 1) as pool:
        watcher = pool.submit(watch, server, board_id, streamed)
        writers = [
            pool.submit(writer, server, board_id, column_id, n, acked) for n in range(WRITERS)
        ]
        try:
            deadline = time.monotonic() + 20
            while (len(acked) < ACKS_BEFORE_TERM or not streamed) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert streamed, "the live stream never delivered an event"

            proc = server.proc
            assert proc is not None
            proc.send_signal(signal.SIGTERM)
            terminated = time.monotonic()
            returncode = proc.wait(timeout=15)
            exited_after = time.monotonic() - terminated
            server.proc = None

            ended = watcher.result(timeout=10)
            results = [f.result(timeout=30) for f in writers]
        finally:
            if server.proc is not None:  # failed before the SIGTERM: free the threads
                server.kill()

    output = server.output()
    assert exited_after < EXIT_WITHIN, output
    assert ended == "ended", ended
    # Every writer was cut off at the client; none got anything but 201 before.
    assert [odd for _, odd in results] == [[]] * WRITERS
    assert sum(failed for failed, _ in results) == WRITERS
    assert len(acked) >= ACKS_BEFORE_TERM
    assert "Application shutdown complete" in output

    # Acknowledged means durable: every 201 is in the log, which is intact.
    store = SQLiteEventStore(server.data_dir / "events.db")
    try:
        assert store.verify().ok
        board = load_board(store, EventMapper(), board_id)
    finally:
        store.close()
    acknowledged = {card for card, _ in acked}
    assert acknowledged - set(board.cards) == set()
    # Nor did a command take effect while its client was told the connection failed
    # (a retry would then add the card twice): a graceful stop answers what it applies.
    assert set(board.cards) - acknowledged == set()
    # Commands in flight at SIGTERM were finished and answered, not dropped.
    assert any(when > terminated for _, when in acked)

    assert returncode == 0, output
