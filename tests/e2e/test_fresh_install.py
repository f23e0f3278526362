"""The Quick start's first command on a fresh checkout: `./scripts/run`.

The rest of the suite runs in a virtualenv that holds the test extra too, so a
module the service needs but only a test dependency installs (httpx, for a
day) passed every test while `./scripts/run` and the container image crashed
at the first import. Here the script runs as a new user would: in a copy of
the project with no .venv, making its own and installing the package without
extras, non-editable (a wheel, as the image does: migrations and web assets
must ship inside it). Then it must serve: ready, the web UI, the generated
admin token, a board created and read back, and a clean stop on SIGTERM.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from .conftest import ROOT, free_port

#: What a checkout holds that the install and the script use.
PROJECT_FILES = ("pyproject.toml", "README.md", "migrations", "src", "scripts")


@pytest.fixture
def fresh_checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "kanban"
    checkout.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, checkout / name)
    return checkout


@pytest.mark.slow
def test_scripts_run_installs_without_extras_and_serves(fresh_checkout: Path) -> None:
    port = free_port()
    data_dir = fresh_checkout / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KANBAN_", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    log_path = fresh_checkout.parent / "run.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            ["./scripts/run", "--port", str(port), "--data-dir", str(data_dir)],
            cwd=fresh_checkout,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300  # a new venv and every dependency installed
        ready = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text()[-4000:]
            try:
                ready = httpx.get(f"{url}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        assert ready is not None, log_path.read_text()[-4000:]
        assert ready.status_code == 200, log_path.read_text()[-4000:]

        installed = fresh_checkout / ".venv"
        assert (installed / "bin" / "kanban").exists()
        # Not the test extra: the service's own dependencies only.
        check = subprocess.run(
            [str(installed / "bin" / "python"), "-c", "import pytest"], capture_output=True
        )
        assert check.returncode != 0, "the test extra was installed: this proves nothing"

        page = httpx.get(f"{url}/", timeout=5)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        # The page's own assets, and each module the app imports, ship in the wheel.
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
        assert "/static/app.js" in assets
        modules = [path.name for path in (ROOT / "src/kanban/api/web").glob("*.js")]
        for asset in {*assets, *(f"/static/{name}" for name in modules)}:
            assert httpx.get(f"{url}{asset}", timeout=5).status_code == 200, asset

        token = (data_dir / "admin-token").read_text().strip()
        headers = {"Authorization": f"Bearer {token}"}
        created = httpx.post(
            f"{url}/api/v1/boards", json={"title": "Fresh"}, headers=headers, timeout=5
        )
        assert created.status_code == 201, created.text
        answer = created.json()
        read = httpx.get(
            f"{url}/api/v1/boards/{answer['board_id']}",
            params={"min_seq": answer["seq"]},
            headers=headers,
            timeout=5,
        )
        assert read.status_code == 200, read.text
        assert read.json()["title"] == "Fresh"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, log_path.read_text()[-4000:]
