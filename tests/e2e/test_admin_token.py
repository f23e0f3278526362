"""Without KANBAN_ADMIN_TOKEN the first start generates one into the data dir, quietly."""

from __future__ import annotations

import os
import pty
import re
import select
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kanban.cli.serve import sign_in_url

from .conftest import ServerFactory, free_port, make_board, ok, server_env


def test_generated_token_is_kept_private_and_never_printed(make_server: ServerFactory) -> None:
    # A data dir name like an operator might choose (rich would read "[...]" as markup).
    server = make_server(token=None, data_dir="kanban [staging]")
    token_file = server.data_dir / "admin-token"

    # First start: the token is generated into the data dir, owner-only.
    server.start()
    assert token_file.exists()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert len(token) >= 32
    with server.client(token=token) as client:
        board_id, _ = make_board(client, "Token board", [("Only", None)])
    with httpx.Client(base_url=server.url, timeout=5) as anonymous:
        assert anonymous.get("/api/v1/boards").status_code == 401
        wrong = {"Authorization": f"Bearer {token}x"}
        assert anonymous.get("/api/v1/boards", headers=wrong).status_code == 401
    server.stop()
    first = server.output()
    # stderr is not a terminal, so the token is not shown; where it is, is.
    assert token not in first
    assert "Admin token: in " in first

    # Second start: the same token, from the file; the output says where, never what.
    server.start()
    assert token_file.read_text().strip() == token
    with server.client(token=token) as client:
        assert ok(client.get(f"/api/v1/boards/{board_id}"))["title"] == "Token board"
    server.stop()
    second = server.output()
    assert "Admin token: in " in second
    assert token not in second
    assert token not in server.output(whole=True)

    # The location is the file's exact path, on one line, whatever the console width.
    line = f"Admin token: in {token_file}"
    assert line in first.splitlines()
    assert line in second.splitlines()


def test_first_start_on_a_terminal_prints_a_link_that_signs_in(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kanban.cli", "serve", "--port", str(port), "--data-dir", data_dir],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        env=server_env(),
        cwd=tmp_path,
    )
    os.close(terminal)
    shown = b""
    try:
        deadline = time.monotonic() + 20
        while b"Uvicorn running" not in shown and proc.poll() is None:
            assert time.monotonic() < deadline, f"no start-up message: {shown!r}"
            if select.select([controller], [], [], 0.2)[0]:
                shown += os.read(controller, 65536)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        os.close(controller)
    token = (data_dir / "admin-token").read_text().strip()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown.decode())  # rich colours a terminal
    lines = [line.strip() for line in plain.splitlines()]
    # The link opens the web UI signed in; the token rides in the fragment,
    # which a browser never sends to the server.
    assert f"http://127.0.0.1:{port}/#token={token}" in lines
    assert token in lines


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000/#token=abc"),
        ("0.0.0.0", "http://127.0.0.1:8000/#token=abc"),
        ("::", "http://[::1]:8000/#token=abc"),
        ("::1", "http://[::1]:8000/#token=abc"),
        ("kanban.internal", "http://kanban.internal:8000/#token=abc"),
    ],
)
def test_sign_in_url(host: str, url: str) -> None:
    assert sign_in_url(host, 8000, "abc") == url
