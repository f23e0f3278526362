"""What the container image promises, rehearsed without a Docker engine.

The Dockerfile's own ENTRYPOINT + CMD, ENV, USER and HEALTHCHECK are read from
the file and run here: as the image's unprivileged uid, with the data dir as
the only place it owns (and /tmp, an emptyDir in the Helm chart). The service
must come up, answer its health check, keep data across a restart, and exit 0
on SIGTERM.

Here the interpreter lives under /root (mode 0700), where the image has it in
/opt/kanban for everyone to read: the process keeps CAP_DAC_READ_SEARCH, which
lets it read and traverse, never write. Writes still need the uid's own rights.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import ROOT, free_port

DOCKERFILE = ROOT / "Dockerfile"


def final_stage() -> dict[str, list[str]]:
    """Instructions of the Dockerfile's last stage (line continuations joined)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    stages: list[dict[str, list[str]]] = [{}]  # the first: ARGs before any FROM
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            stages.append({})
        stages[-1].setdefault(word.upper(), []).append(rest.strip())
    return stages[-1]


def exec_form(value: str) -> list[str]:
    parsed: list[str] = json.loads(value)
    return parsed


def image_env(stage: dict[str, list[str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in stage.get("ENV", []):
        for pair in shlex.split(line):
            key, _, value = pair.partition("=")
            env[key] = value
    return env


@pytest.fixture
def image_user() -> tuple[int, int]:
    stage = final_stage()
    (user,) = stage["USER"]
    uid, _, gid = user.partition(":")
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        reason = "switching to the image's uid needs root and setpriv (util-linux)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must rehearse the image")
        pytest.skip(reason)
    return int(uid), int(gid or uid)


def as_user(uid: int, gid: int, command: list[str]) -> list[str]:
    """`command` as uid:gid with no groups, able to read anything and write only its own."""
    return [
        "setpriv",
        f"--reuid={uid}",
        f"--regid={gid}",
        "--clear-groups",
        "--inh-caps=-all,+dac_read_search",
        "--ambient-caps=-all,+dac_read_search",
        "--bounding-set=-all,+dac_read_search",
        "--",
        *command,
    ]


@pytest.fixture
def data_dir(image_user: tuple[int, int]) -> Iterator[Path]:
    """The volume: an empty directory owned by the image's user (and nothing else is)."""
    path = Path(tempfile.mkdtemp(prefix="kanban-image-", dir="/tmp"))
    os.chown(path, *image_user)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_images_command_serves_as_its_user_and_stops_cleanly_on_sigterm(
    image_user: tuple[int, int], data_dir: Path, tmp_path: Path
) -> None:
    stage = final_stage()
    command = exec_form(stage["ENTRYPOINT"][0]) + exec_form(stage["CMD"][0])
    assert command == ["kanban", "serve", "--host", "0.0.0.0"]
    declared = image_env(stage)
    assert declared["KANBAN_DATA_DIR"] == "/data"
    assert stage["VOLUME"] == ['["/data"]']
    port = free_port()
    token = "image-rehearsal-token"
    env = {
        **{k: v for k, v in declared.items() if k != "PATH"},
        # The image's /opt/kanban/bin is this venv's bin here; /data is the temporary volume.
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "KANBAN_DATA_DIR": str(data_dir),
        "KANBAN_PORT": str(port),
        "KANBAN_ADMIN_TOKEN": token,
        "HOME": str(data_dir),
        "PYTHONPATH": str(ROOT / "src"),
    }
    uid, gid = image_user
    log = tmp_path / "server.log"
    # The confinement itself: as that user, the data dir is writable and the code is not.
    probe = "import sys; open(sys.argv[1] + '/probe', 'w').close()"
    for place, writable in ((data_dir, True), (ROOT, False), (Path(sys.executable).parent, False)):
        tried = subprocess.run(
            as_user(uid, gid, [sys.executable, "-c", probe, str(place)]),
            env=env,
            capture_output=True,
            timeout=10,
        )
        assert (tried.returncode == 0) == writable, (place, tried.stderr)
    (data_dir / "probe").unlink()

    def start() -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen(
                as_user(uid, gid, command),
                env=env,
                cwd=data_dir,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def healthy(proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"not healthy:\n{log.read_text()}")

    def stop(proc: subprocess.Popen[bytes]) -> int:
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=20)

    auth = {"Authorization": f"Bearer {token}"}
    proc = start()
    try:
        healthy(proc)
        # The image's HEALTHCHECK, run as the image's user, passes.
        (check,) = stage["HEALTHCHECK"]
        health = exec_form(check.split(" CMD ", 1)[1])
        assert subprocess.run(as_user(uid, gid, health), env=env, timeout=10).returncode == 0
        made = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/boards", json={"title": "In a container"}, headers=auth
        )
        assert made.status_code == 201, made.text
        board_id = made.json()["board_id"]
        # Graceful: SIGTERM finishes the work and exits 0.
        assert stop(proc) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    # Everything it wrote is in the data dir, owned by the image's user.
    written = list(data_dir.rglob("*"))
    assert {p.name for p in written} >= {"events.db", "read.db"}
    assert all(p.stat().st_uid == uid for p in written)
    assert not [p for p in ROOT.rglob("*") if p.exists() and p.stat().st_uid == uid]

    # A restart (a rescheduled pod, the same volume) serves the same data.
    proc = start()
    try:
        healthy(proc)
        again = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/boards/{board_id}",
            params={"min_seq": made.json()["seq"]},
            headers=auth,
        )
        assert again.status_code == 200
        assert again.json()["title"] == "In a container"
        assert stop(proc) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
