"""Acknowledged commands survive kill -9; processes sharing one log never collide."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kanban.bootstrap import bootstrap
from kanban.domain import commands as cmd
from kanban.domain.model import Board
from kanban.service.repository import load_board
from kanban.settings import Settings

from .conftest import Client

ROOT = Path(__file__).resolve().parents[2]


def start_writer(
    settings: Settings, board_id: str, prefix: str, count: int, threads: int
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.writer_child",
            str(settings.data_dir),
            board_id,
            prefix,
            str(count),
            str(threads),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def make_board(settings: Settings) -> str:
    with bootstrap(settings) as kanban:
        return Client(kanban).board(columns=("In", "Out"))


def test_every_acknowledged_command_survives_kill_9(settings: Settings) -> None:
    board_id = make_board(settings)
    child = start_writer(settings, board_id, "crash", 0, 4)
    assert child.stdout is not None
    acked: list[str] = []
    deadline = time.monotonic() + 20
    while len(acked) < 150 and time.monotonic() < deadline:
        line = child.stdout.readline()
        if line.startswith("ack "):
            acked.append(line.split()[1])
    os.kill(child.pid, signal.SIGKILL)
    # Lines the child printed before dying were acknowledged too.
    rest = child.stdout.read()
    child.stdout.close()
    child.wait()
    acked += [line.split()[1] for line in rest.splitlines() if line.startswith("ack ")]
    assert child.returncode == -signal.SIGKILL
    assert len(acked) >= 150

    with bootstrap(settings) as kanban:
        report = kanban.store.verify()
        assert report.ok, report.reason
        board = load_board(kanban.store, kanban.mapper, board_id)
        missing = [card for card in acked if card not in board.cards]
        assert missing == []
        # The reopened log still takes commands on the same board.
        Client(kanban).run(cmd.RenameBoard(board_id, "After the crash"))


def test_processes_sharing_one_log_never_lose_or_duplicate(settings: Settings) -> None:
    board_id = make_board(settings)
    children = [start_writer(settings, board_id, f"p{i}", 25, 2) for i in range(3)]
    outputs = [child.communicate(timeout=120)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0, 0]
    acked = {
        line.split()[1] for out in outputs for line in out.splitlines() if line.startswith("ack ")
    }
    assert len(acked) == 75

    with bootstrap(settings) as kanban:
        assert kanban.store.verify().ok
        stored = kanban.store.read_stream(board_id)
        assert [e.version for e in stored] == list(range(1, len(stored) + 1))
        assert len(stored) == 3 + 75 * 2
        board = Board.fold(kanban.mapper.decode_all(stored))
        assert set(board.columns["col1"].cards) == acked
        assert board.columns["col0"].cards == []
        seqs = [e.seq for e in kanban.store.read_all()]
        assert seqs == sorted(seqs)
        assert len(set(seqs)) == len(seqs)
        # Each command's events are contiguous: no other command interleaves.
        by_command: dict[str, list[int]] = {}
        for e in kanban.store.read_all():
            by_command.setdefault(e.metadata["command_id"], []).append(e.seq)
        assert all(s == list(range(s[0], s[0] + len(s))) for s in by_command.values())
