"""`kanban users ...` as real processes on a real data dir, checked against the real API."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI

from kanban.api.app import create_app
from kanban.settings import Settings
from tests.integration.conftest import CHEAP_PASSWORDS, CHEAP_PASSWORDS_ENV

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 and warns once, at import, when it finds httpx.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "cli-users-admin-token"
PASSWORD = "correct horse battery"
TOKEN = re.compile(r"kanban_([0-9a-f]{16})_[A-Za-z0-9_-]{43}")


def kanban(
    *args: str, data_dir: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kanban.cli", *args, "--data-dir", str(data_dir)],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200", **CHEAP_PASSWORDS_ENV},
    )


def ok(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    result = kanban(*args, data_dir=data_dir, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result


def add(name: str, data_dir: Path, *options: str, password: str | None = None) -> dict[str, Any]:
    """`kanban users add NAME --json`, with a password on standard input when given."""
    if password is not None:
        options = (*options, "--password-stdin")
    result = ok("users", "add", name, "--json", *options, data_dir=data_dir, stdin=password)
    body: dict[str, Any] = orjson.loads(result.stdout)
    return body


def rows(data_dir: Path) -> list[tuple[Any, ...]]:
    """Every row of the event log, as stored."""
    db = sqlite3.connect(data_dir / "events.db")
    try:
        return db.execute("SELECT * FROM events ORDER BY seq").fetchall()
    finally:
        db.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def serve(data_dir: Path) -> FastAPI:
    return create_app(Settings(data_dir=data_dir, admin_token=ADMIN_TOKEN, **CHEAP_PASSWORDS))


# --- users add -------------------------------------------------------------------


def test_add_prints_only_the_token_on_stdout_and_the_token_works(data_dir: Path) -> None:
    result = ok("users", "add", "alice", data_dir=data_dir)
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    match = TOKEN.fullmatch(token)
    assert match, result.stdout
    # What is said about it goes to stderr, with the ids but never the secret.
    assert "added user alice" in result.stderr
    assert match.group(1) in result.stderr
    assert token not in result.stderr
    with TestClient(serve(data_dir)) as client:
        me = client.get("/api/v1/users/me", headers=bearer(token))
        assert me.status_code == 200, me.text
        assert me.json()["name"] == "alice"
        assert me.json()["admin"] is False
        assert me.json()["has_password"] is False
        assert me.json()["user_id"] in result.stderr
        # A plain user: admin actions are refused, their own board is theirs.
        assert client.get("/api/v1/events", headers=bearer(token)).status_code == 403
        created = client.post("/api/v1/boards", json={"title": "Mine"}, headers=bearer(token))
        assert created.status_code == 201, created.text
        seq = created.json()["seq"]
        boards = client.get(f"/api/v1/boards?min_seq={seq}", headers=bearer(token)).json()
        assert [(b["title"], b["role"]) for b in boards["boards"]] == [("Mine", "owner")]


def test_add_json_holds_the_user_and_the_token(data_dir: Path) -> None:
    body = add("bob", data_dir, "--admin", "--display-name", "Bob Builder")
    assert set(body) == {
        "user_id",
        "name",
        "display_name",
        "admin",
        "has_password",
        "token_id",
        "token",
    }
    assert (body["name"], body["display_name"], body["admin"]) == ("bob", "Bob Builder", True)
    assert body["has_password"] is False
    assert body["token"].startswith(f"kanban_{body['token_id']}_")
    with TestClient(serve(data_dir)) as client:
        me = client.get("/api/v1/users/me", headers=bearer(body["token"])).json()
        assert me["user_id"] == body["user_id"]
        assert me["display_name"] == "Bob Builder"
        # An admin: the whole log feed is theirs to read.
        assert client.get("/api/v1/events", headers=bearer(body["token"])).status_code == 200


def test_a_token_script_can_capture_it_from_a_shell(data_dir: Path) -> None:
    script = (
        f'TOKEN=$("{sys.executable}" -m kanban.cli users add carol --password-stdin '
        f'--data-dir "{data_dir}" <<< "{PASSWORD}") && printf "%s" "$TOKEN"'
    )
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert TOKEN.fullmatch(result.stdout)
    assert PASSWORD not in result.stdout + result.stderr


def test_password_from_stdin_signs_in_on_the_web(data_dir: Path) -> None:
    alice = add("alice", data_dir, password=PASSWORD + "\n")
    assert alice["has_password"] is True
    with TestClient(serve(data_dir)) as client:
        signed = client.post("/api/v1/session", json={"name": "alice", "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        assert signed.json()["user"]["user_id"] == alice["user_id"]
        assert "kanban_session" in client.cookies
        csrf = signed.json()["csrf_token"]
        # The cookie alone signs in; a change needs the CSRF header besides.
        assert client.get("/api/v1/users/me").json()["name"] == "alice"
        refused = client.post("/api/v1/boards", json={"title": "B"})
        assert refused.status_code == 403
        assert refused.json()["type"] == "/problems/csrf"
        made = client.post("/api/v1/boards", json={"title": "B"}, headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201, made.text
        # Only the trailing newline is taken off: the password is the line as typed.
        wrong = client.post("/api/v1/session", json={"name": "alice", "password": PASSWORD[:-1]})
        assert wrong.status_code == 401


def test_passwd_changes_the_password(data_dir: Path) -> None:
    add("alice", data_dir, password=PASSWORD)
    result = ok(
        "users", "passwd", "alice", "--password-stdin", data_dir=data_dir, stdin="new pw 1234"
    )
    assert result.stdout == "changed the password of alice\n"
    with TestClient(serve(data_dir)) as client:
        old = client.post("/api/v1/session", json={"name": "alice", "password": PASSWORD})
        assert old.status_code == 401
        new = client.post("/api/v1/session", json={"name": "alice", "password": "new pw 1234"})
        assert new.status_code == 200, new.text


def test_passwd_gives_the_built_in_admin_a_web_sign_in(data_dir: Path) -> None:
    ok("users", "passwd", "admin", "--password-stdin", data_dir=data_dir, stdin=PASSWORD)
    with TestClient(serve(data_dir)) as client:
        signed = client.post("/api/v1/session", json={"name": "admin", "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        assert signed.json()["user"]["admin"] is True


# --- tokens ----------------------------------------------------------------------


def test_token_issues_another_token_and_revoke_ends_it(data_dir: Path) -> None:
    first = add("alice", data_dir)
    issued = ok("users", "token", "alice", "--label", "ci", data_dir=data_dir)
    second = issued.stdout.strip()
    match = TOKEN.fullmatch(second)
    assert match, issued.stdout
    second_id = match.group(1)
    assert second not in issued.stderr
    listed = orjson.loads(ok("users", "tokens", "alice", "--json", data_dir=data_dir).stdout)
    assert [(t["token_id"], t["label"], t["revoked"]) for t in listed["tokens"]] == [
        (first["token_id"], "first token", False),
        (second_id, "ci", False),
    ]
    assert "token" not in {k for t in listed["tokens"] for k in t}
    revoked = ok("users", "revoke", "alice", first["token_id"], data_dir=data_dir)
    assert revoked.stdout == f"revoked token {first['token_id']} of alice\n"
    again = ok("users", "revoke", "alice", first["token_id"], data_dir=data_dir)
    assert "already revoked" in again.stdout
    with TestClient(serve(data_dir)) as client:
        assert client.get("/api/v1/users/me", headers=bearer(first["token"])).status_code == 401
        assert client.get("/api/v1/users/me", headers=bearer(second)).status_code == 200
    listed = orjson.loads(ok("users", "tokens", "alice", "--json", data_dir=data_dir).stdout)
    assert [t["revoked"] for t in listed["tokens"]] == [True, False]


def test_the_command_line_works_beside_a_running_server(data_dir: Path) -> None:
    """A user added, and a token revoked, while the API runs: the next request sees it."""
    with TestClient(serve(data_dir)) as client:
        alice = add("alice", data_dir)
        assert client.get("/api/v1/users/me", headers=bearer(alice["token"])).status_code == 200
        # The server's writer sees the new user too: its admin can make her a member.
        admin = bearer(ADMIN_TOKEN)
        board = client.post("/api/v1/boards", json={"title": "Team"}, headers=admin).json()
        member = client.post(
            f"/api/v1/boards/{board['board_id']}/members",
            json={"user_id": alice["user_id"], "role": "viewer"},
            headers=admin,
        )
        assert member.status_code == 200, member.text
        seen = client.get(f"/api/v1/boards/{board['board_id']}", headers=bearer(alice["token"]))
        assert seen.status_code == 200, seen.text
        ok("users", "revoke", "alice", alice["token_id"], data_dir=data_dir)
        after = client.get("/api/v1/users/me", headers=bearer(alice["token"]))
        assert after.status_code == 401
        assert after.json()["type"] == "/problems/unauthorized"


# --- listing -----------------------------------------------------------------------


def test_list_shows_users_without_hashes(data_dir: Path) -> None:
    alice = add("alice", data_dir, password=PASSWORD)
    add("bob", data_dir, "--admin")
    listed = orjson.loads(ok("users", "list", "--json", data_dir=data_dir).stdout)
    assert listed["users"] == [
        {
            "user_id": "admin",
            "name": "admin",
            "display_name": "Administrator",
            "admin": True,
            "has_password": False,
            "api_tokens": 0,
        },
        {
            "user_id": alice["user_id"],
            "name": "alice",
            "display_name": "alice",
            "admin": False,
            "has_password": True,
            "api_tokens": 1,
        },
        {
            "user_id": listed["users"][2]["user_id"],
            "name": "bob",
            "display_name": "bob",
            "admin": True,
            "has_password": False,
            "api_tokens": 1,
        },
    ]
    table = ok("users", "list", data_dir=data_dir).stdout
    assert alice["user_id"] in table
    assert "alice" in table
    tokens = ok("users", "tokens", "alice", data_dir=data_dir).stdout
    assert alice["token_id"] in tokens
    for text in (table, tokens):
        assert "$argon2" not in text
        assert alice["token"] not in text


def test_list_without_a_log_creates_nothing(tmp_path: Path) -> None:
    result = kanban("users", "list", data_dir=tmp_path / "nothing")
    assert result.returncode == 2
    assert "no event log" in result.stderr
    assert not (tmp_path / "nothing").exists()


# --- refusals ----------------------------------------------------------------------

REFUSED = [
    pytest.param(("users", "add", "alice"), None, "the name 'alice' is taken", id="name-taken"),
    pytest.param(("users", "add", "ALICE"), None, "is taken", id="name-taken-other-case"),
    pytest.param(("users", "add", "admin"), None, "is taken", id="builtin-admin-name"),
    pytest.param(("users", "add", "bad name"), None, "a user name is", id="bad-name"),
    pytest.param(
        ("users", "add", "carol", "--password-stdin"), "", "the password is empty", id="empty"
    ),
    pytest.param(
        ("users", "add", "carol", "--password-stdin"), "\n", "the password is empty", id="blank"
    ),
    pytest.param(
        ("users", "add", "carol", "--password-stdin"),
        "seven77\n",
        "at least 8 characters",
        id="short-password",
    ),
    pytest.param(
        ("users", "add", "carol", "--password-stdin"),
        "x" * 1001,
        "at most 1000 characters",
        id="long-password",
    ),
    pytest.param(
        ("users", "add", "carol", "--display-name", "x" * 101),
        None,
        "display_name is at most",
        id="long-display-name",
    ),
    pytest.param(
        ("users", "passwd", "nobody", "--password-stdin"),
        PASSWORD,
        "no user is named 'nobody'",
        id="passwd-unknown-user",
    ),
    pytest.param(
        ("users", "passwd", "alice", "--password-stdin"),
        "short",
        "at least 8 characters",
        id="passwd-short",
    ),
    pytest.param(
        ("users", "passwd", "alice"), PASSWORD, "give --password-stdin", id="passwd-no-stdin-flag"
    ),
    pytest.param(("users", "token", "nobody"), None, "no user is named", id="token-unknown-user"),
    pytest.param(
        ("users", "token", "alice", "--label", "x" * 101),
        None,
        "label is at most",
        id="token-long-label",
    ),
    pytest.param(
        ("users", "revoke", "nobody", "0123456789abcdef"),
        None,
        "no user is named",
        id="revoke-unknown-user",
    ),
    pytest.param(
        ("users", "revoke", "alice", "0123456789abcdef"),
        None,
        "has no token 0123456789abcdef",
        id="revoke-unknown-token",
    ),
    pytest.param(("users", "tokens", "nobody"), None, "no user is named", id="tokens-unknown"),
]


@pytest.fixture(scope="module")
def made_alice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir where `kanban users add alice --password-stdin` ran, made once a module."""
    data_dir = tmp_path_factory.mktemp("alice") / "data"
    add("alice", data_dir, password=PASSWORD)
    return data_dir


@pytest.mark.parametrize(("args", "stdin", "message"), REFUSED)
def test_bad_input_fails_clearly_and_writes_nothing(
    made_alice: Path, data_dir: Path, args: tuple[str, ...], stdin: str | None, message: str
) -> None:
    shutil.copytree(made_alice, data_dir)  # each case refuses on a data dir of its own
    before = rows(data_dir)
    result = kanban(*args, data_dir=data_dir, stdin=stdin)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert result.stdout == ""
    assert rows(data_dir) == before
    if stdin and stdin.strip():
        assert stdin.strip() not in result.stderr


def test_bad_input_on_a_fresh_data_dir_creates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    for args, stdin in (
        (("users", "add", "carol", "--password-stdin"), "short"),
        (("users", "add", "admin"), None),
        (("users", "token", "nobody"), None),
        (("users", "passwd", "nobody", "--password-stdin"), PASSWORD),
    ):
        result = kanban(*args, data_dir=data_dir, stdin=stdin)
        assert result.returncode == 1, result.stdout
        assert not data_dir.exists(), args


def test_users_alone_lists_its_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kanban.cli", "users"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200", **CHEAP_PASSWORDS_ENV},
    )
    for command in ("add", "list", "tokens", "passwd", "token", "revoke"):
        assert re.search(rf"^│ {command} ", result.stdout + result.stderr, re.M), command


# --- secrets -----------------------------------------------------------------------


def test_no_plain_secret_reaches_the_log_the_read_models_or_the_terminal(data_dir: Path) -> None:
    outputs: list[str] = []

    def run(*args: str, stdin: str | None = None) -> str:
        result = ok(*args, data_dir=data_dir, stdin=stdin)
        outputs.append(result.stderr)
        return result.stdout

    alice = orjson.loads(run("users", "add", "alice", "--json", "--password-stdin", stdin=PASSWORD))
    second = run("users", "token", "alice").strip()
    run("users", "passwd", "alice", "--password-stdin", stdin="another secret")
    run("users", "list")
    run("users", "tokens", "alice")
    run("users", "revoke", "alice", alice["token_id"])
    tokens = [alice["token"], second]
    secrets = [PASSWORD, "another secret", *tokens, *(t.split("_", 2)[2] for t in tokens)]
    log = repr(rows(data_dir))
    # Every file of the data dir, as bytes: the log, the read models, their WAL files.
    files = "".join(p.read_bytes().decode("latin-1") for p in data_dir.iterdir() if p.is_file())
    assert "read.db" in {p.name for p in data_dir.iterdir()}
    for secret in secrets:
        assert secret not in files
        assert not any(secret in text for text in outputs), "a secret went to stderr"
    # What is stored instead: argon2id for passwords, SHA-256 of each token's secret.
    assert log.count("$argon2id$") == 2
    for token in tokens:
        assert hashlib.sha256(token.split("_", 2)[2].encode()).hexdigest() in log


def test_board_list_still_works_once_there_are_users(data_dir: Path) -> None:
    ok("demo", data_dir=data_dir)
    add("alice", data_dir)
    listed = ok("board", "list", data_dir=data_dir).stdout
    assert "Demo board" in listed
    assert "$system" not in listed
