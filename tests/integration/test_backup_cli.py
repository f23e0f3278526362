"""`kanban backup ...` as real processes (under a writer, damaged, keyed, killed), and over HTTP."""

from __future__ import annotations

import gzip
import hashlib
import os
import pty
import select
import signal
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import orjson
import pytest

from kanban.api.app import create_app
from kanban.backup import format as backup_format
from kanban.backup.replay import Replay
from kanban.bootstrap import Kanban, bootstrap
from kanban.domain import commands as cmd
from kanban.settings import Settings
from kanban.store.sqlite import SQLiteEventStore

from .backup_log import build_log
from .conftest import Client

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 and warns once, at import, when it finds httpx.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "COLUMNS": "200", "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}


def kanban(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kanban.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**ENV, **env},
    )


def restoring(*args: str, stderr: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "kanban.cli", "backup", "restore", *args]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, cwd=ROOT, env=ENV)


def digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of 12,000 events over 200 boards: a restore of it takes a second or two."""
    root = tmp_path_factory.mktemp("big")
    with SQLiteEventStore(root / "events.db") as store:
        build_log(store, 12_000)
        with open(root / "big.jsonl.gz", "wb") as f:
            backup_format.write(store, f)
    return root / "big.jsonl.gz"


def test_backups_of_a_log_a_writer_process_keeps_writing_to(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with bootstrap(Settings(data_dir=data)) as app:
        build_log(app.log, 5_000, boards=20)  # so that a backup takes a while
        board = Client(app).board(columns=("In", "Out"))
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.writer_child", str(data), board, "w", "0", "2"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=ENV,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().startswith("ack ")
        full = kanban("backup", "create", str(tmp_path / "full.gz"), "--data-dir", str(data))
        assert full.returncode == 0, full.stderr
        head = int(full.stdout.split("..")[1].split()[0])
        inc = tmp_path / "inc.gz"
        more = kanban("backup", "create", str(inc), "--since", str(head), "--data-dir", str(data))
        assert more.returncode == 0, more.stderr
        assert more.stdout.startswith(f"backed up seq {head + 1}..")
        # The writer goes on past the incremental (it may be slow to on a busy machine).
        last = int(more.stdout.split("..")[1].split()[0])
        deadline = time.monotonic() + 30
        with SQLiteEventStore(data / "events.db") as log:
            while log.head_seq() <= last and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        writer.kill()
        writer.communicate()
    with SQLiteEventStore(data / "events.db") as log:
        last = int(more.stdout.split("..")[1].split()[0])
        assert log.head_seq() > last > head, "the writer stopped while backing up"
        rows = log.read_rows(0, last)
    assert stat.S_IMODE(inc.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "full.gz", "inc.gz"]
    verified = kanban("backup", "verify", str(tmp_path / "full.gz"), str(inc))
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout == f"ok: {last} events in 2 file(s), 21 boards replayed\n"
    copy = tmp_path / "copy"
    restored = kanban(
        "backup", "restore", str(tmp_path / "full.gz"), str(inc), "--data-dir", str(copy)
    )
    assert restored.returncode == 0, restored.stderr
    assert restored.stderr == ""  # no progress bar in scripts
    assert restored.stdout.startswith(f"restored {last} events (up to seq {last}, 21 boards")
    with SQLiteEventStore(copy / "events.db") as log:
        assert log.read_rows(0, last + 1) == rows


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A full backup of the demo board (12 events)."""
    assert kanban("demo", "--data-dir", str(tmp_path / "data")).returncode == 0
    path = tmp_path / "demo.jsonl.gz"
    result = kanban("backup", "create", str(path), "--data-dir", str(tmp_path / "data"))
    assert result.stdout == f"backed up seq 1..12 to {path}\n"
    return path


def test_create_to_standard_output_is_the_same_backup(demo: Path, tmp_path: Path) -> None:
    piped = subprocess.run(
        [sys.executable, "-m", "kanban.cli", "backup", "create", "-", "--data-dir", "data"],
        capture_output=True,
        cwd=tmp_path,
        env=ENV,
        check=True,
    )
    mine, theirs = (gzip.decompress(b).splitlines() for b in (piped.stdout, demo.read_bytes()))
    assert mine[1:] == theirs[1:]  # the header differs only in its created_at
    assert mine[0].split(b'"created_at"')[0] == theirs[0].split(b'"created_at"')[0]


def test_verify_fails_naming_the_first_bad_record(demo: Path, tmp_path: Path) -> None:
    lines = gzip.decompress(demo.read_bytes()).splitlines(keepends=True)
    assert b'"title\\":\\"Doing\\"' in lines[3]
    lines[3] = lines[3].replace(b"Doing", b"Doinh")  # one byte in the data text
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(gzip.compress(b"".join(lines)))
    result = kanban("backup", "verify", str(bad))
    assert result.returncode == 1
    assert f"{bad}: record 3 (seq 3): hash mismatch at seq 3" in result.stderr
    assert result.stdout == ""
    missing = kanban("backup", "verify", str(demo), str(demo))
    assert missing.returncode == 1
    assert "a link is missing: it continues from seq 0, but the files before it end at seq 12" in (
        missing.stderr
    )


def test_restore_refuses_a_non_empty_dir_unless_forced(demo: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    before = digest(data)
    refused = kanban("backup", "restore", str(demo), "--data-dir", str(data))
    assert refused.returncode == 1
    assert "is not empty; pass --force to replace what it holds" in refused.stderr
    assert digest(data) == before
    forced = kanban("backup", "restore", str(demo), "--data-dir", str(data), "--force")
    assert forced.returncode == 0, forced.stderr
    # The admin token was not in the backup: the restored dir has none until the next start.
    assert sorted(digest(data)) == ["events.db", "read.db"]
    pit = kanban(
        "backup", "restore", str(demo), "--data-dir", str(tmp_path / "p"), "--until-seq", "5"
    )
    assert pit.returncode == 0, pit.stderr
    assert "restored 5 events (up to seq 5, 1 boards, new epoch " in pit.stdout


def test_a_keyed_log_backs_up_and_restores_only_with_its_key(tmp_path: Path) -> None:
    key = {"KANBAN_LOG_KEY": "s3cret"}
    data, path = str(tmp_path / "data"), str(tmp_path / "keyed.gz")
    assert kanban("demo", "--data-dir", data, **key).returncode == 0
    assert kanban("backup", "create", path, "--data-dir", data, **key).returncode == 0
    unkeyed = kanban("backup", "verify", path)
    assert unkeyed.returncode == 1
    assert "hash chain is hmac-sha256, but this Kanban is set up for sha256" in unkeyed.stderr
    assert "KANBAN_LOG_KEY" in unkeyed.stderr
    wrong = kanban("backup", "verify", path, KANBAN_LOG_KEY="other")
    assert wrong.returncode == 1
    assert "record 1 (seq 1): hash mismatch at seq 1" in wrong.stderr
    restored = str(tmp_path / "restored")
    assert kanban("backup", "restore", path, "--data-dir", restored, **key).returncode == 0
    assert kanban("log", "verify", "--data-dir", restored).returncode == 1
    assert kanban("log", "verify", "--data-dir", restored, **key).returncode == 0


def test_restore_shows_progress_on_a_terminal(big: Path, tmp_path: Path) -> None:
    master, slave = pty.openpty()
    process = restoring(str(big), "--data-dir", str(tmp_path / "r"), stderr=slave)
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.1)
        try:
            chunk = os.read(master, 65536) if ready else b""
        except OSError:  # the terminal's other end closed
            break
        shown += chunk
        if not ready and process.poll() is not None:
            break
    os.close(master)
    assert process.wait(60) == 0
    assert b"restoring" in shown
    # One step per event: each is stored and projected in the same pass.
    assert b"/12000" in shown


@pytest.mark.parametrize("phase", ["replaying", "rebuilding", "replacing"])
def test_kill_9_during_a_restore_leaves_no_usable_looking_store(
    big: Path, tmp_path: Path, phase: str
) -> None:
    target = tmp_path / "data"
    before: dict[str, str] = {}
    args = [str(big), "--data-dir", str(target)]
    if phase == "replacing":  # --force over a data dir that holds a log
        assert kanban("demo", "--data-dir", str(target)).returncode == 0
        before = digest(target)
        args.append("--force")
    process = restoring(*args)
    wanted = "read.db" if phase == "rebuilding" else "events.db"
    deadline = time.monotonic() + 30
    while not any((work / wanted).exists() for work in tmp_path.glob(".data.restoring-*")):
        assert process.poll() is None, "the restore ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    left = sorted(p.name for p in tmp_path.iterdir())
    if phase == "replacing":
        assert digest(target) == before  # untouched
        left.remove("data")
    else:
        assert not target.exists()
        assert "no event log" in kanban("log", "verify", "--data-dir", str(target)).stderr
    assert len(left) == 1
    assert left[0].startswith(".data.restoring-")
    if phase == "replaying":  # what the killed restore left does not disturb the next
        assert restoring(*args).wait(60) == 0
        assert sorted(digest(target)) == ["events.db", "read.db"]


def test_the_http_backup_is_the_same_format_for_the_admin_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", admin_token="token")
    auth = {"Authorization": "Bearer token"}
    paths = [tmp_path / "http.gz", tmp_path / "http-inc.gz", tmp_path / "cli.gz"]
    with TestClient(create_app(settings)) as http:
        app: Kanban = http.app.state.runtime.kanban  # type: ignore[attr-defined]
        board = Client(app).board()
        assert http.get("/api/v1/admin/backup").status_code == 401
        full = http.get("/api/v1/admin/backup", headers=auth)
        assert full.status_code == 200
        assert full.headers["content-type"] == "application/gzip"
        assert full.headers["content-disposition"].startswith('attachment; filename="kanban-')
        Client(app).run(cmd.RenameBoard(board, "Later"))
        inc = http.get("/api/v1/admin/backup", params={"since": 3}, headers=auth)
        assert 'filename="kanban-' in inc.headers["content-disposition"]
        assert "-since-3.jsonl.gz" in inc.headers["content-disposition"]
        too_far = http.get("/api/v1/admin/backup", params={"since": 99}, headers=auth)
        assert too_far.status_code == 422
        assert too_far.json()["type"] == "/problems/backup-invalid"
        paths[0].write_bytes(full.content)
        paths[1].write_bytes(inc.content)
        with open(paths[2], "wb") as f:
            backup_format.write(app.log, f)
    replay = Replay(paths[:2])
    assert [row[0] for row in replay.rows()] == [1, 2, 3, 4]
    assert [h.kind for h in replay.headers] == ["full", "incremental"]
    http_lines, cli_lines = (gzip.decompress(p.read_bytes()).splitlines() for p in paths[::2])
    assert http_lines[1:-1] == cli_lines[1:-2]  # the same rows; the CLI's took one more
    header = orjson.loads(http_lines[0])
    assert (header["format"], header["last_seq"], header["chain"]) == ("kanban-backup", 3, "sha256")
