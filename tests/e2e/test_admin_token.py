"""Without KANBAN_ADMIN_TOKEN the first start generates one into the data dir, quietly."""

from __future__ import annotations

import stat

import httpx

from .conftest import ServerFactory, make_board, ok


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
