"""kill -9 in the middle of a burst of writes loses nothing that was acknowledged."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from kanban.service.mapper import EventMapper
from kanban.service.repository import load_board
from kanban.store.sqlite import SQLiteEventStore

from .conftest import Server, add_card, make_board, ok, read_model_equals_fold

WRITERS = 6
ACKS_BEFORE_KILL = 150


def writer(
    server: Server,
    boards: list[tuple[str, str]],
    n: int,
    stop: threading.Event,
    acked: list[tuple[str, str]],
) -> list[str]:
    """POST cards until the server dies; note (board, card) of every 2xx; anything odd."""
    odd: list[str] = []
    deadline = time.monotonic() + 30
    with server.client(timeout=5.0) as client:
        for i in range(100_000):
            if stop.is_set() or time.monotonic() > deadline:
                break
            board_id, column_id = boards[i % len(boards)]
            try:
                response = client.post(
                    f"/api/v1/boards/{board_id}/cards",
                    json={"column_id": column_id, "title": f"w{n} card {i}"},
                )
            except httpx.TransportError:
                break  # the server is gone
            if response.status_code == 201:
                acked.append((board_id, response.json()["card_id"]))
            else:
                odd.append(f"{response.status_code} {response.text}")
    return odd


def test_acknowledged_cards_survive_kill_9(server: Server) -> None:
    with server.client() as client:
        boards = []
        for title in ("Crash A", "Crash B"):
            board_id, (column_id, _) = make_board(client, title, [("Inbox", None), ("Done", 5)])
            boards.append((board_id, column_id))

    stop = threading.Event()
    acked: list[tuple[str, str]] = []  # appended to by every writer thread
    with ThreadPoolExecutor(WRITERS) as pool:
        futures = [pool.submit(writer, server, boards, n, stop, acked) for n in range(WRITERS)]
        deadline = time.monotonic() + 20
        while len(acked) < ACKS_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.01)
        # Mid-burst: every writer still has a request in flight.
        returncode = server.kill()
        stop.set()
        odd = [o for f in futures for o in f.result(timeout=30)]

    assert returncode == -signal.SIGKILL
    assert odd == []
    assert len(acked) >= ACKS_BEFORE_KILL

    # The log is intact and holds every acknowledged card, and at most the one
    # unanswered card each writer had in flight when the server died.
    store = SQLiteEventStore(server.data_dir / "events.db")
    try:
        assert store.verify().ok
        folded = {
            board_id: load_board(store, EventMapper(), board_id).view() for board_id, _ in boards
        }
    finally:
        store.close()
    logged = {
        (board_id, card["id"])
        for board_id, view in folded.items()
        for column in view["columns"]
        for card in column["cards"]
    }
    assert set(acked) - logged == set()
    assert len(logged - set(acked)) <= WRITERS

    # Restarted on the same data dir: the read models catch up to the log and equal it.
    server.start()
    with server.client() as client:
        head = ok(client.get("/readyz"))["head_seq"]
        for board_id, _ in boards:
            assert read_model_equals_fold(client, board_id, head) == folded[board_id]
        listed = ok(client.get("/api/v1/boards", params={"min_seq": head}))["boards"]
        assert {b["id"]: b["version"] for b in listed} == {
            board_id: view["version"] for board_id, view in folded.items()
        }
        # And it takes writes again.
        add_card(client, *boards[0], "After the crash")
    server.stop()

    # The operator's check agrees. (Run with the server stopped: `log verify` opens
    # the data dir like any other kanban process.)
    verify = subprocess.run(
        [sys.executable, "-m", "kanban.cli", "log", "verify", "--data-dir", str(server.data_dir)],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.startswith("ok:"), verify.stdout
