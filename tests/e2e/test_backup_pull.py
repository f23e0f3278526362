"""`kanban backup pull` (what the Helm chart's CronJob runs) against a running server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, Server, ServerFactory, make_board, ok, server_env


def pull(
    server: Server, directory: Path, keep: int, token: str | None
) -> subprocess.CompletedProcess[str]:
    env = server_env(**({"admin_token": token} if token else {}))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "kanban.cli",
            "backup",
            "pull",
            server.url,
            "--dir",
            str(directory),
            "--keep",
            str(keep),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_pull_verifies_each_backup_and_keeps_the_newest_n(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    server = make_server().start()
    backups = tmp_path / "backups"
    with server.client() as client:
        make_board(client, "Backed up", [("To do", None)])
    stray = backups / "notes.txt"  # rotation only ever touches the files pull writes
    backups.mkdir()
    stray.write_text("mine")
    names = []
    for n in range(3):
        with server.client() as client:
            ok(client.post("/api/v1/boards", json={"title": f"Board {n}"}))
        done = pull(server, backups, keep=2, token=server.token)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        assert "pulled" in done.stdout
        names = sorted(p.name for p in backups.glob("kanban-*.jsonl.gz"))
    assert len(names) == 2
    assert stray.read_text() == "mine"
    for path in backups.glob("kanban-*.jsonl.gz"):
        assert path.stat().st_mode & 0o777 == 0o600
    newest = backups / names[-1]
    verified = subprocess.run(
        [sys.executable, "-m", "kanban.cli", "backup", "verify", str(newest)],
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verified.returncode == 0, verified.stderr
    assert "4 boards replayed" in verified.stdout


def test_a_failed_pull_keeps_every_old_backup_and_says_why(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    server = make_server().start()
    backups = tmp_path / "backups"
    first = pull(server, backups, keep=1, token=server.token)
    assert first.returncode == 0, first.stderr
    before = sorted(os.listdir(backups))
    refused = pull(server, backups, keep=1, token="not-the-token")
    assert refused.returncode != 0
    assert "401" in refused.stderr
    assert "not-the-token" not in refused.stderr + refused.stdout
    server.stop()
    unreachable = pull(server, backups, keep=1, token=server.token)
    assert unreachable.returncode != 0
    assert "failed" in unreachable.stderr
    assert sorted(os.listdir(backups)) == before  # no partial file, nothing rotated out
    missing = pull(server, backups, keep=1, token=None)
    assert missing.returncode == 2
    assert "KANBAN_ADMIN_TOKEN" in missing.stderr
