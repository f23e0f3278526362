"""A real `kanban serve` process on a free port and a temporary data dir.

The server's stdout and stderr go to a file, not a pipe: a pipe nobody reads
fills up under a burst of access-log lines and stalls the server.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = "application/problem+json"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(**settings: str) -> dict[str, str]:
    """The test runner's environment without its KANBAN_* settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KANBAN_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"  # what was printed before a SIGKILL is in the file
    env.update({f"KANBAN_{k.upper()}": v for k, v in settings.items()})
    return env


class Server:
    """One data dir, served by a `kanban serve` child that can be stopped and restarted."""

    def __init__(self, data_dir: Path, token: str | None, **settings: str) -> None:
        self.data_dir = data_dir
        self.token = token
        self.env = server_env(**settings, **({"admin_token": token} if token else {}))
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        #: Where the current run's output starts in the log file.
        self.run_offset = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> Server:
        assert self.proc is None, "already running"
        for _attempt in range(3):  # another process may grab the free port first
            self.port = free_port()
            self.run_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            with self.log_path.open("ab") as log:
                self.proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "kanban.cli",
                        "serve",
                        "--port",
                        str(self.port),
                        "--data-dir",
                        str(self.data_dir),
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                    cwd=self.data_dir.parent,
                )
            if self._wait_healthy(timeout):
                return self
            self.proc.wait(timeout=10)
            self.proc = None
            if "address already in use" not in self.output().lower():
                break
        raise AssertionError(f"kanban serve did not become healthy:\n{self.output()}")

    def _wait_healthy(self, timeout: float) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    return False
                try:
                    if client.get("/healthz").status_code == 200:
                        return True
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        self.kill()
        raise AssertionError(f"kanban serve not healthy after {timeout}s:\n{self.output()}")

    def client(self, token: str | None = None, timeout: float = 10.0) -> httpx.Client:
        token = token or self.token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait, SIGKILL if it will not go; the exit code."""
        proc = self.proc
        assert proc is not None, "not running"
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.proc = None
        return proc.returncode

    def kill(self) -> int:
        proc = self.proc
        assert proc is not None, "not running"
        proc.kill()
        proc.wait(timeout=10)
        self.proc = None
        return proc.returncode

    def output(self, whole: bool = False) -> str:
        """What the server printed: this run's (or every run's) stdout and stderr."""
        if not self.log_path.exists():
            return ""
        data = self.log_path.read_bytes()
        return data.decode(errors="replace") if whole else data[self.run_offset :].decode()


ServerFactory = Callable[..., Server]


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[ServerFactory]:
    """Build (not start) servers; whatever is still running at the end is stopped."""
    servers: list[Server] = []

    def make(token: str | None = "", data_dir: str = "", **settings: str) -> Server:
        """token "": a fresh KANBAN_ADMIN_TOKEN; None: none (the server generates one)."""
        if token == "":
            token = "e2e-" + secrets.token_urlsafe(24)
        server = Server(tmp_path / (data_dir or f"data{len(servers)}"), token, **settings)
        servers.append(server)
        return server

    yield make
    for server in servers:
        if server.proc is not None:
            server.stop()
    for server in servers:
        if server.token:
            assert server.token not in server.output(whole=True), "the token was logged"


@pytest.fixture
def server(make_server: ServerFactory) -> Server:
    """A running server with an admin token from KANBAN_ADMIN_TOKEN."""
    return make_server().start()


# --- API helpers ---------------------------------------------------------------


def ok(response: httpx.Response) -> Any:
    assert response.is_success, f"{response.status_code}: {response.text}"
    return response.json()


def is_problem(response: httpx.Response, status: int) -> bool:
    """A clean RFC 9457 problem with this status."""
    if response.status_code != status:
        return False
    if response.headers.get("content-type", "").split(";")[0] != PROBLEM:
        return False
    body = response.json()
    return body.get("status") == status and str(body.get("type", "")).startswith("/problems/")


def make_board(
    client: httpx.Client, title: str, columns: list[tuple[str, int | None]]
) -> tuple[str, list[str]]:
    """A board with these (title, wip_limit) columns; its id and the column ids."""
    board_id = ok(client.post("/api/v1/boards", json={"title": title}))["board_id"]
    column_ids = [
        ok(
            client.post(
                f"/api/v1/boards/{board_id}/columns", json={"title": name, "wip_limit": limit}
            )
        )["column_id"]
        for name, limit in columns
    ]
    return board_id, column_ids


def add_card(client: httpx.Client, board_id: str, column_id: str, title: str, **more: Any) -> Any:
    body = {"column_id": column_id, "title": title, **more}
    return ok(client.post(f"/api/v1/boards/{board_id}/cards", json=body))


def head_seq(client: httpx.Client) -> int:
    seq: int = ok(client.get("/readyz"))["head_seq"]
    return seq


def history(client: httpx.Client, board_id: str, limit: int = 500, **params: Any) -> list[Any]:
    """Every page of a board's history, following the cursors; the pages as answered."""
    pages: list[Any] = []
    cursor = None
    for _ in range(10_000):
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        page = ok(client.get(f"/api/v1/boards/{board_id}/history", params=query))
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("history cursors never ended")


def read_model_equals_fold(client: httpx.Client, board_id: str, min_seq: int) -> Any:
    """Assert that the projected board equals the board folded from the log; return it."""
    views = []
    for include_archived in (False, True):
        params: dict[str, Any] = {"min_seq": min_seq, "include_archived": include_archived}
        projected = client.get(f"/api/v1/boards/{board_id}", params=params)
        view = ok(projected)
        folded = client.get(
            f"/api/v1/boards/{board_id}",
            params={"version": view["version"], "include_archived": include_archived},
        )
        assert ok(folded) == view
        assert projected.headers["etag"] == folded.headers["etag"] == f'"{view["version"]}"'
        views.append(view)
    return views[0]


# --- outcomes, for fixtures that keep evidence of a failure (screenshots) ------

PHASE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    item.stash.setdefault(PHASE_REPORTS, {})[report.when] = report
    return report


def failed(item: pytest.Item) -> bool:
    """Whether the test's setup or call failed (read in a fixture's teardown)."""
    reports = item.stash.get(PHASE_REPORTS, {})
    return any(r.failed for r in reports.values())
