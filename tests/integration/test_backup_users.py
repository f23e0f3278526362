"""Every sign-in survives `kanban backup create` + `kanban backup restore` into a new data dir.

Users, their tokens (a revoked one too), password hashes, web sessions and board
memberships are events, so a restored data dir answers exactly as the original
did: the same tokens and passwords work, the revoked token still fails, and
each member keeps their role.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI

from kanban.api.app import create_app
from kanban.settings import Settings
from tests.integration.conftest import CHEAP_PASSWORDS, CHEAP_PASSWORDS_ENV

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 and warns once, at import, when it finds httpx.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "backup-users-admin-token"
PASSWORDS = {"alice": "alice's long password", "bob": "bob's long password"}


def kanban(*args: str, stdin: str = "", umask: int | None = None) -> str:
    """Run the command line; return its stdout (it must succeed)."""
    result = subprocess.run(
        [sys.executable, "-m", "kanban.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200", **CHEAP_PASSWORDS_ENV},
        preexec_fn=None if umask is None else lambda: os.umask(umask),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def add(name: str, data_dir: Path, password: str | None = None) -> dict[str, Any]:
    stdin = ["--password-stdin"] if password else []
    out = kanban(
        "users", "add", name, "--json", *stdin, "--data-dir", str(data_dir), stdin=password or ""
    )
    body: dict[str, Any] = orjson.loads(out)
    return body


def serve(data_dir: Path) -> FastAPI:
    return create_app(Settings(data_dir=data_dir, admin_token=ADMIN_TOKEN, **CHEAP_PASSWORDS))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def users_json(data_dir: Path, *args: str) -> Any:
    return orjson.loads(kanban("users", *args, "--json", "--data-dir", str(data_dir)))


def test_users_tokens_passwords_sessions_and_members_survive_backup_and_restore(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    alice = add("alice", data, PASSWORDS["alice"])
    bob = add("bob", data, PASSWORDS["bob"])
    carol = add("carol", data)
    dave = add("dave", data)
    kept = kanban("users", "token", "alice", "--label", "kept", "--data-dir", str(data)).strip()
    kanban("users", "revoke", "alice", alice["token_id"], "--data-dir", str(data))

    with TestClient(serve(data)) as client:
        made = client.post("/api/v1/boards", json={"title": "Team"}, headers=bearer(kept))
        assert made.status_code == 201, made.text
        board = made.json()["board_id"]
        for user, role in ((bob, "editor"), (carol, "viewer")):
            granted = client.post(
                f"/api/v1/boards/{board}/members",
                json={"user_id": user["user_id"], "role": role},
                headers=bearer(kept),
            )
            assert granted.status_code == 200, granted.text
        members = client.get(f"/api/v1/boards/{board}/members", headers=bearer(kept)).json()
        # Bob signs in on the web: his session is a token too, and travels with the rest.
        signed = client.post("/api/v1/session", json={"name": "bob", "password": PASSWORDS["bob"]})
        assert signed.status_code == 200, signed.text
        session = client.cookies["kanban_session"]
        csrf = signed.json()["csrf_token"]

    backup = tmp_path / "backup.jsonl.gz"
    kanban("backup", "create", str(backup), "--data-dir", str(data), umask=0)
    # It holds password and token hashes: only its owner may read it, whatever the umask.
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    restored = tmp_path / "restored"
    kanban("backup", "restore", str(backup), "--data-dir", str(restored))

    assert users_json(restored, "list") == users_json(data, "list")
    for name in ("alice", "bob"):
        assert users_json(restored, "tokens", name) == users_json(data, "tokens", name)

    with TestClient(serve(restored)) as client:

        def get(url: str, token: str) -> Any:
            return client.get(url, headers=bearer(token))

        # Tokens: the kept one works, the revoked one still fails.
        assert get("/api/v1/users/me", kept).json()["user_id"] == alice["user_id"]
        assert get("/api/v1/users/me", alice["token"]).status_code == 401
        assert get("/api/v1/users/me", bob["token"]).json()["name"] == "bob"
        # Passwords: the same ones sign in; a wrong one does not.
        for name, password in PASSWORDS.items():
            ok = client.post("/api/v1/session", json={"name": name, "password": password})
            assert ok.status_code == 200, ok.text
        wrong = client.post("/api/v1/session", json={"name": "alice", "password": "not it at all"})
        assert wrong.status_code == 401
        client.cookies.clear()
        # Bob's web session from before the backup still works, CSRF token and all.
        client.cookies.set("kanban_session", session)
        assert client.get("/api/v1/session").json()["user"]["name"] == "bob"
        column = client.post(
            f"/api/v1/boards/{board}/columns",
            json={"title": "From the old session"},
            headers={"X-CSRF-Token": csrf},
        )
        assert column.status_code == 201, column.text
        client.cookies.clear()

        # Memberships: each member keeps their role, the owner theirs.
        seq = column.json()["seq"]
        assert get(f"/api/v1/boards/{board}/members", kept).json() == members
        roles = {}
        for name, token in (("alice", kept), ("bob", bob["token"]), ("carol", carol["token"])):
            listed = get(f"/api/v1/boards?min_seq={seq}", token).json()["boards"]
            assert [b["id"] for b in listed] == [board]
            roles[name] = listed[0]["role"]
        assert roles == {"alice": "owner", "bob": "editor", "carol": "viewer"}
        # ...and what the role allows: an editor changes cards and columns, not the board;
        # a viewer only looks; a non-member is not told the board exists.
        as_bob = bearer(bob["token"])
        added = client.post(f"/api/v1/boards/{board}/columns", json={"title": "B"}, headers=as_bob)
        assert added.status_code == 201, added.text
        rename = client.patch(f"/api/v1/boards/{board}", json={"title": "X"}, headers=as_bob)
        assert rename.status_code == 403
        as_carol = bearer(carol["token"])
        assert get(f"/api/v1/boards/{board}", carol["token"]).status_code == 200
        viewer = client.post(
            f"/api/v1/boards/{board}/columns", json={"title": "C"}, headers=as_carol
        )
        assert viewer.status_code == 403
        assert get(f"/api/v1/boards/{board}", dave["token"]).status_code == 404
        assert get("/api/v1/boards", dave["token"]).json()["boards"] == []
        # The board's history still says who granted what.
        history = get(f"/api/v1/boards/{board}/history", kept).json()["items"]
        grants = [i for i in history if i["type"] == "MemberAdded"]
        assert {(i["actor"], i["data"]["name"], i["data"]["role"]) for i in grants} == {
            (alice["user_id"], "bob", "editor"),
            (alice["user_id"], "carol", "viewer"),
        }


def test_a_backup_is_0600_even_over_a_stale_partial_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    add("alice", data, PASSWORDS["alice"])
    backup = tmp_path / "backup.jsonl.gz"
    stale = tmp_path / "backup.jsonl.gz.partial"  # left by a killed `backup create`
    stale.write_bytes(b"")
    stale.chmod(0o644)
    kanban("backup", "create", str(backup), "--data-dir", str(data))
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_restore_and_verify_count_the_same_boards(tmp_path: Path) -> None:
    data = tmp_path / "data"
    alice = add("alice", data)
    with TestClient(serve(data)) as client:
        made = client.post("/api/v1/boards", json={"title": "One"}, headers=bearer(alice["token"]))
        assert made.status_code == 201, made.text
    backup = tmp_path / "backup.jsonl.gz"
    kanban("backup", "create", str(backup), "--data-dir", str(data))
    assert ", 1 boards replayed" in kanban("backup", "verify", str(backup))
    restored = kanban("backup", "restore", str(backup), "--data-dir", str(tmp_path / "copy"))
    assert ", 1 boards, " in restored
