"""The `kanban` command line, run as a real process against a real data dir."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kanban.bootstrap import bootstrap
from kanban.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def kanban(
    *args: str, data_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kanban.cli", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    """A data dir holding the demo board."""
    data_dir = tmp_path / "data"
    result = kanban("demo", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return data_dir


def board_id(data_dir: Path) -> str:
    with bootstrap(Settings(data_dir=data_dir)) as app:
        return app.store.streams()[0].stream_id


def test_demo_prints_the_board_and_its_history(tmp_path: Path) -> None:
    result = kanban("demo", data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Demo board" in out
    assert "Doing (0/2)" in out
    assert "Write the event log" in out
    assert "undo: moved card 'Write the event log'" in out
    assert "redo: moved card 'Write the event log'" in out


def test_board_show_at_a_past_version(demo_dir: Path) -> None:
    board = board_id(demo_dir)
    now = kanban("board", "show", board, data_dir=demo_dir)
    past = kanban("board", "show", board, "--version", "4", data_dir=demo_dir)
    assert "version 4" in past.stdout
    assert "Write the event log" not in past.stdout
    assert "Write the event log" in now.stdout


def test_board_show_unknown_version_fails_clearly(demo_dir: Path) -> None:
    result = kanban("board", "show", board_id(demo_dir), "--version", "999", data_dir=demo_dir)
    assert result.returncode == 1
    assert "never had version 999" in result.stderr


def test_log_verify_passes_on_an_intact_log(demo_dir: Path) -> None:
    result = kanban("log", "verify", data_dir=demo_dir)
    assert result.returncode == 0, result.stderr
    assert "ok: 12 events verified" in result.stdout


def test_log_verify_names_the_first_broken_link_after_a_hand_edit(demo_dir: Path) -> None:
    db = sqlite3.connect(demo_dir / "events.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE events SET data = '{}' WHERE seq = 6")
    db.execute("DROP TRIGGER events_no_update")
    db.execute(
        "UPDATE events SET data = replace(data, 'Add the API', 'Nothing to see') WHERE seq = 6"
    )
    db.commit()
    db.close()
    result = kanban("log", "verify", data_dir=demo_dir)
    assert result.returncode == 1
    assert "BROKEN at seq 6" in result.stderr


def test_log_verify_without_a_log_is_an_error(tmp_path: Path) -> None:
    result = kanban("log", "verify", data_dir=tmp_path / "nothing")
    assert result.returncode == 2
    assert "no event log" in result.stderr
    assert not (tmp_path / "nothing").exists()


def test_keyed_log_refuses_the_wrong_key(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert kanban("demo", data_dir=data_dir, env={"KANBAN_LOG_KEY": "s3cret"}).returncode == 0
    wrong = kanban("log", "verify", data_dir=data_dir, env={"KANBAN_LOG_KEY": "other"})
    assert wrong.returncode == 1
    assert "key" in wrong.stderr
    right = kanban("log", "verify", data_dir=data_dir, env={"KANBAN_LOG_KEY": "s3cret"})
    assert right.returncode == 0, right.stderr
