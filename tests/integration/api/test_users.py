"""Users and their tokens over HTTP: created by an admin, managed by themselves.

Also what the log keeps of them: hashes only, the actor's display name in
history, membership changes in the board's own history, and never in undo.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from kanban.settings import Settings

from .conftest import (
    PASSWORD,
    Anonymous,
    Api,
    TestClient,
    assert_problem,
    token_id,
    writes_nothing,
)

USERS = "/api/v1/users"


def bearer(token: str) -> str:
    return f"Bearer {token}"


# --- creating users -------------------------------------------------------------------


def test_an_admin_adds_a_user_whose_token_works_at_once(
    client: TestClient, anonymous: Anonymous
) -> None:
    created = client.post(USERS, json={"name": "vera", "display_name": "Vera V."})
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"user_id", "name", "display_name", "admin", "has_password", "token"}
    assert (body["name"], body["display_name"], body["admin"], body["has_password"]) == (
        "vera",
        "Vera V.",
        False,
        False,
    )
    assert body["token"].startswith("kanban_")
    # The very next request may use it.
    me = anonymous.request("GET", f"{USERS}/me", bearer(body["token"]))
    assert me.status_code == 200, me.text
    assert me.json() == {k: v for k, v in body.items() if k != "token"}


def test_the_token_is_shown_once_and_never_again(client: TestClient, api: Api) -> None:
    vera = api.user("vera", password=PASSWORD)
    secret = vera.token.split("_", 2)[2]
    answers = [
        client.get(USERS),
        client.get(f"{USERS}/{vera.id}"),
        client.get(f"{USERS}/{vera.id}/tokens"),
        client.get("/api/v1/events"),
        client.get(f"{USERS}/me", headers=vera.auth),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert secret not in answer.text
    [listed] = answers[2].json()["tokens"]
    assert listed["token_id"] == vera.token_id
    assert "token" not in listed
    assert "has_password" in answers[1].json()
    assert "password" not in answers[1].text.replace("has_password", "")


def test_a_user_without_a_display_name_is_shown_by_name(api: Api) -> None:
    sam = api.user("sam")
    assert api.get(f"{USERS}/{sam.id}")["display_name"] == "sam"


def test_an_admin_may_add_an_admin(anonymous: Anonymous, api: Api) -> None:
    root = api.user("root", admin=True)
    assert anonymous.request("GET", "/api/v1/events", bearer(root.token)).status_code == 200
    assert api.get(f"{USERS}/{root.id}")["admin"] is True


@pytest.mark.parametrize("taken", ["vera", "Vera", "VERA", "admin", "Admin"])
def test_names_are_unique_ignoring_case(client: TestClient, api: Api, taken: str) -> None:
    api.user("vera")
    with writes_nothing(client):
        assert_problem(client.post(USERS, json={"name": taken}), 409, "already-exists")


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "-vera"},
        {"name": ".vera"},
        {"name": "vera smith"},
        {"name": "véra"},
        {"name": "v" * 41},
        {"name": "vera/../x"},
        {"name": "vera", "password": "short"},
        {"name": "vera", "display_name": ""},
        {"name": "vera", "display_name": "x" * 101},
        {"name": "vera", "role": "owner"},
        {"name": 7},
        {},
    ],
    ids=[
        "empty",
        "leading-dash",
        "leading-dot",
        "space",
        "non-ascii",
        "too-long",
        "slash",
        "short-password",
        "empty-display-name",
        "long-display-name",
        "unknown-field",
        "not-a-string",
        "no-name",
    ],
)
def test_bad_user_input_is_422_and_writes_nothing(client: TestClient, body: dict[str, Any]) -> None:
    with writes_nothing(client):
        assert_problem(client.post(USERS, json=body), 422, "validation")


def test_the_longest_name_and_the_shortest_password_are_fine(api: Api) -> None:
    long = api.user("v" * 40, password="8 chars!")
    assert api.get(f"{USERS}/{long.id}")["has_password"] is True


def test_only_an_admin_adds_users(client: TestClient, anonymous: Anonymous, api: Api) -> None:
    vera = api.user("vera")
    with writes_nothing(client):
        refused = anonymous.request("POST", USERS, bearer(vera.token), json={"name": "eve"})
        assert_problem(refused, 403, "forbidden")
    assert "eve" not in {u["name"] for u in api.get(USERS)["users"]}


def test_replaying_a_user_creation_is_409_token_shown_once(client: TestClient, api: Api) -> None:
    key = {"Idempotency-Key": "add-vera"}
    first = client.post(USERS, json={"name": "vera", "password": PASSWORD}, headers=key)
    assert first.status_code == 201, first.text
    with writes_nothing(client):
        again = client.post(USERS, json={"name": "vera", "password": PASSWORD}, headers=key)
        problem = assert_problem(again, 409, "token-shown-once")
        assert first.json()["user_id"] in problem["detail"]
        assert first.json()["token"] not in again.text
        # The same key with another body is another request: refused, not replayed.
        other = client.post(USERS, json={"name": "wes"}, headers=key)
        assert_problem(other, 422, "idempotency-conflict")
    assert [u["name"] for u in api.get(USERS)["users"]].count("vera") == 1


def test_replaying_a_token_creation_is_409_token_shown_once(client: TestClient, api: Api) -> None:
    vera = api.user("vera")
    url, key = f"{USERS}/{vera.id}/tokens", {"Idempotency-Key": "laptop"}
    first = client.post(url, json={"label": "laptop"}, headers={**vera.auth, **key})
    assert first.status_code == 201, first.text
    with writes_nothing(client):
        again = client.post(url, json={"label": "laptop"}, headers={**vera.auth, **key})
        assert_problem(again, 409, "token-shown-once")
        assert first.json()["token"] not in again.text


# --- reading users ----------------------------------------------------------------------


def test_list_me_and_get(anonymous: Anonymous, api: Api) -> None:
    vera = api.user("vera", display_name="Vera V.", password=PASSWORD)
    wes = api.user("wes")
    as_vera = api.as_user(vera)
    users = as_vera.get(USERS)["users"]
    assert {u["name"] for u in users} == {"admin", "vera", "wes"}
    for user in users:
        assert set(user) == {"user_id", "name", "display_name", "admin", "has_password"}
    admin = next(u for u in users if u["name"] == "admin")
    assert admin == {
        "user_id": "admin",
        "name": "admin",
        "display_name": "Administrator",
        "admin": True,
        "has_password": False,
    }
    assert as_vera.get(f"{USERS}/me") == {
        "user_id": vera.id,
        "name": "vera",
        "display_name": "Vera V.",
        "admin": False,
        "has_password": True,
    }
    assert as_vera.get(f"{USERS}/{wes.id}")["name"] == "wes"
    # The admin token is the built-in admin.
    assert api.get(f"{USERS}/me")["user_id"] == "admin"
    missing = anonymous.request("GET", f"{USERS}/nobody", bearer(vera.token))
    assert_problem(missing, 404, "user-not-found")


# --- changing users -----------------------------------------------------------------------


def test_a_user_changes_their_display_name_but_not_anothers(client: TestClient, api: Api) -> None:
    vera, wes = api.user("vera"), api.user("wes")
    as_vera = api.as_user(vera)
    changed = as_vera.ok("PATCH", f"{USERS}/{vera.id}", json={"display_name": "Vera Viewer"})
    assert changed["display_name"] == "Vera Viewer"
    assert as_vera.get(f"{USERS}/me")["display_name"] == "Vera Viewer"
    with writes_nothing(client):
        refused = client.patch(f"{USERS}/{wes.id}", json={"display_name": "W"}, headers=vera.auth)
        assert_problem(refused, 403, "forbidden")
    # An admin changes anyone's.
    assert api.ok("PATCH", f"{USERS}/{wes.id}", json={"display_name": "Wes"})["display_name"] == (
        "Wes"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"display_name": None},
        {"display_name": ""},
        {"admin": None},
        {"password": "short"},
        {"nickname": "v"},
    ],
    ids=["null-display-name", "empty-display-name", "null-admin", "short-password", "unknown"],
)
def test_bad_changes_are_422_and_write_nothing(
    client: TestClient, api: Api, body: dict[str, Any]
) -> None:
    vera = api.user("vera")
    with writes_nothing(client):
        assert_problem(client.patch(f"{USERS}/{vera.id}", json=body), 422, "validation")


def test_changing_an_unknown_user_is_404(client: TestClient) -> None:
    with writes_nothing(client):
        missing = client.patch(f"{USERS}/nobody", json={"display_name": "X"})
        assert_problem(missing, 404, "user-not-found")


def _signs_in(client: TestClient, name: str, password: str) -> bool:
    answer = client.post("/api/v1/session", json={"name": name, "password": password})
    client.cookies.clear()
    assert answer.status_code in (200, 401), answer.text
    return answer.status_code == 200


def test_changing_your_own_password_needs_the_current_one(client: TestClient, api: Api) -> None:
    vera = api.user("vera", password=PASSWORD)
    url = f"{USERS}/{vera.id}"
    with writes_nothing(client):
        for body in (
            {"password": "a new password"},
            {"password": "a new password", "current_password": "not it at all"},
            {"password": None},  # removing it needs it too
        ):
            refused = client.patch(url, json=body, headers=vera.auth)
            assert_problem(refused, 403, "forbidden")
    assert _signs_in(client, "vera", PASSWORD)
    body = {"password": "a new password", "current_password": PASSWORD}
    changed = client.patch(url, json=body, headers=vera.auth)
    assert changed.status_code == 200, changed.text
    assert changed.json()["has_password"] is True
    assert _signs_in(client, "vera", "a new password")
    assert not _signs_in(client, "vera", PASSWORD)


def test_without_a_password_you_set_one_without_a_current_one(client: TestClient, api: Api) -> None:
    vera = api.user("vera")
    url = f"{USERS}/{vera.id}"
    changed = client.patch(url, json={"password": PASSWORD}, headers=vera.auth)
    assert changed.status_code == 200, changed.text
    assert changed.json()["has_password"] is True
    assert _signs_in(client, "vera", PASSWORD)


def test_an_admin_sets_or_removes_anyones_password(client: TestClient, api: Api) -> None:
    vera = api.user("vera", password=PASSWORD)
    url = f"{USERS}/{vera.id}"
    assert api.ok("PATCH", url, json={"password": "set by the admin"})["has_password"] is True
    assert _signs_in(client, "vera", "set by the admin")
    assert api.ok("PATCH", url, json={"password": None})["has_password"] is False
    assert not _signs_in(client, "vera", "set by the admin")
    assert not _signs_in(client, "vera", PASSWORD)


def test_only_an_admin_changes_who_is_an_admin(
    client: TestClient, anonymous: Anonymous, api: Api
) -> None:
    vera = api.user("vera")
    url = f"{USERS}/{vera.id}"
    with writes_nothing(client):
        refused = client.patch(url, json={"admin": True}, headers=vera.auth)
        assert_problem(refused, 403, "forbidden")
        # The built-in admin stays one.
        assert_problem(client.patch(f"{USERS}/admin", json={"admin": False}), 422, "validation")
    assert_problem(anonymous.request("GET", "/api/v1/events", bearer(vera.token)), 403, "forbidden")
    assert api.ok("PATCH", url, json={"admin": True})["admin"] is True
    assert anonymous.request("GET", "/api/v1/events", bearer(vera.token)).status_code == 200
    assert api.ok("PATCH", url, json={"admin": False})["admin"] is False
    assert_problem(anonymous.request("GET", "/api/v1/events", bearer(vera.token)), 403, "forbidden")


# --- tokens ---------------------------------------------------------------------------------


def test_a_user_creates_lists_and_revokes_their_tokens(
    client: TestClient, anonymous: Anonymous, api: Api
) -> None:
    vera = api.user("vera")
    tokens = f"{USERS}/{vera.id}/tokens"
    created = client.post(tokens, json={"label": "  laptop  "}, headers=vera.auth)
    assert created.status_code == 201, created.text
    laptop = created.json()
    assert set(laptop) == {"token_id", "token", "label", "created_at"}
    assert laptop["label"] == "laptop"
    assert token_id(laptop["token"]) == laptop["token_id"]
    # It works at once, as vera.
    me = anonymous.request("GET", f"{USERS}/me", bearer(laptop["token"]))
    assert me.json()["user_id"] == vera.id

    listed = client.get(tokens, headers={"Authorization": bearer(laptop["token"])}).json()
    by_id = {t["token_id"]: t for t in listed["tokens"]}
    assert set(by_id) == {vera.token_id, laptop["token_id"]}
    assert by_id[laptop["token_id"]] == {
        "token_id": laptop["token_id"],
        "kind": "api",
        "label": "laptop",
        "created_at": laptop["created_at"],
        "expires_at": None,
        "revoked": False,
        "revoked_at": None,
        "current": True,  # the token making the request
    }
    assert by_id[vera.token_id]["current"] is False
    assert by_id[vera.token_id]["label"] == "first token"

    revoked = client.delete(f"{tokens}/{laptop['token_id']}", headers=vera.auth)
    assert revoked.status_code == 204, revoked.text
    assert revoked.content == b""
    # Refused on the very next request.
    gone = anonymous.request("GET", f"{USERS}/me", bearer(laptop["token"]))
    assert_problem(gone, 401, "unauthorized")
    assert gone.headers["www-authenticate"] == "Bearer"
    # Revoked is a fact: still listed, marked so.
    after = {t["token_id"]: t for t in api.as_user(vera).get(tokens)["tokens"]}
    assert after[laptop["token_id"]]["revoked"] is True
    assert after[laptop["token_id"]]["revoked_at"] is not None
    assert after[vera.token_id]["revoked"] is False
    # Revoking it again changes nothing.
    with writes_nothing(client):
        again = client.delete(f"{tokens}/{laptop['token_id']}", headers=vera.auth)
        assert again.status_code == 204


def test_a_user_may_revoke_the_token_they_are_using(anonymous: Anonymous, api: Api) -> None:
    vera = api.user("vera")
    url = f"{USERS}/{vera.id}/tokens/{vera.token_id}"
    assert anonymous.request("DELETE", url, bearer(vera.token)).status_code == 204
    assert_problem(anonymous.request("GET", f"{USERS}/me", bearer(vera.token)), 401, "unauthorized")


def test_a_user_cannot_touch_anothers_tokens(client: TestClient, api: Api) -> None:
    vera, wes = api.user("vera"), api.user("wes")
    tokens = f"{USERS}/{wes.id}/tokens"
    with writes_nothing(client):
        assert_problem(client.get(tokens, headers=vera.auth), 403, "forbidden")
        assert_problem(client.post(tokens, json={}, headers=vera.auth), 403, "forbidden")
        refused = client.delete(f"{tokens}/{wes.token_id}", headers=vera.auth)
        assert_problem(refused, 403, "forbidden")
    assert client.get(f"{USERS}/me", headers=wes.auth).status_code == 200


def test_an_admin_manages_anyones_tokens(
    client: TestClient, anonymous: Anonymous, api: Api
) -> None:
    wes = api.user("wes")
    tokens = f"{USERS}/{wes.id}/tokens"
    issued = api.ok("POST", tokens, 201, json={"label": "for wes"})
    me = anonymous.request("GET", f"{USERS}/me", bearer(issued["token"]))
    assert me.json()["user_id"] == wes.id  # issued by the admin, it is wes's
    listed = api.get(tokens)["tokens"]
    assert {t["token_id"] for t in listed} == {wes.token_id, issued["token_id"]}
    assert not any(t["current"] for t in listed)  # the admin token is none of them
    assert client.delete(f"{tokens}/{wes.token_id}").status_code == 204
    assert_problem(anonymous.request("GET", f"{USERS}/me", bearer(wes.token)), 401, "unauthorized")


def test_unknown_tokens_and_users_are_404(client: TestClient, api: Api) -> None:
    vera, wes = api.user("vera"), api.user("wes")
    with writes_nothing(client):
        missing = client.delete(f"{USERS}/{vera.id}/tokens/0123456789abcdef")
        assert_problem(missing, 404, "token-not-found")
        # Another user's token is not one of vera's.
        assert_problem(
            client.delete(f"{USERS}/{vera.id}/tokens/{wes.token_id}"), 404, "token-not-found"
        )
        assert_problem(client.get(f"{USERS}/nobody/tokens"), 404, "user-not-found")
        assert_problem(client.post(f"{USERS}/nobody/tokens", json={}), 404, "user-not-found")
        long_label = client.post(f"{USERS}/{vera.id}/tokens", json={"label": "x" * 101})
        assert_problem(long_label, 422, "validation")
    assert client.get(f"{USERS}/me", headers=wes.auth).status_code == 200


def test_a_forged_secret_for_a_real_token_id_is_refused(anonymous: Anonymous, api: Api) -> None:
    vera = api.user("vera")
    secret = vera.token.split("_", 2)[2]
    for forged in (
        f"kanban_{vera.token_id}_{secret[:-1]}",
        f"kanban_{vera.token_id}_{secret}x",
        f"kanban_{vera.token_id}_",
        f"kanban_{vera.token_id.upper()}_{secret}",
        vera.token.removeprefix("kanban_"),
    ):
        answer = anonymous.request("GET", f"{USERS}/me", bearer(forged))
        assert_problem(answer, 401, "unauthorized")


# --- what the log keeps -----------------------------------------------------------------------


def _stored_text(data_dir: Path) -> str:
    """Every event and snapshot row, and every file of the data dir, as text."""
    with contextlib.closing(sqlite3.connect(data_dir / "events.db")) as db:
        rows = [
            *db.execute("SELECT * FROM events"),
            *db.execute("SELECT * FROM snapshots"),
        ]
    files = [p.read_bytes().decode("latin-1") for p in data_dir.rglob("*") if p.is_file()]
    return "\n".join([*map(repr, rows), *files])


@pytest.mark.sqlite_log  # it reads every file of the data dir, the log's too
def test_no_plain_secret_reaches_the_log_or_any_file_only_hashes(
    client: TestClient,
    anonymous: Anonymous,
    api: Api,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    first_password, second_password = "first secret words", "second secret words"
    vera = api.user("vera", password=first_password)
    laptop = api.as_user(vera).token(vera, "laptop")
    signed_in = anonymous.request(
        "POST", "/api/v1/session", json={"name": "vera", "password": first_password}
    )
    assert signed_in.status_code == 200, signed_in.text
    session = client.cookies["kanban_session"]
    client.cookies.clear()
    api.as_user(vera).ok(
        "PATCH",
        f"{USERS}/{vera.id}",
        json={"password": second_password, "current_password": first_password},
    )
    wes = api.user("wes")
    api.ok("PATCH", f"{USERS}/{wes.id}", json={"password": "set by the admin"})
    api.ok("DELETE", f"{USERS}/{vera.id}/tokens/{laptop['token_id']}", 204)
    api.get("/api/v1/boards")  # projected into read.db too

    tokens = [vera.token, laptop["token"], session, wes.token]
    secrets = [t.split("_", 2)[2] for t in tokens]
    passwords = [first_password, second_password, "set by the admin"]
    stored = _stored_text(settings.data_dir)
    backup = client.get("/api/v1/admin/backup")
    assert backup.status_code == 200
    backed_up = gzip.decompress(backup.content).decode()
    for secret in [*tokens, *secrets, *passwords]:
        assert secret not in stored
        assert secret not in backed_up
        assert secret not in caplog.text
    # What is kept instead: SHA-256 of each token's secret, argon2id of each password;
    # the hashes travel in backups, so that a restore keeps every sign-in.
    for secret in secrets:
        assert hashlib.sha256(secret.encode()).hexdigest() in stored
        assert hashlib.sha256(secret.encode()).hexdigest() in backed_up
    assert backed_up.count("$argon2id$") == 3
    with contextlib.closing(sqlite3.connect(settings.data_dir / "events.db")) as db:
        hashes = [
            row[0]
            for row in db.execute(
                "SELECT json_extract(data, '$.password_hash') FROM events"
                " WHERE type IN ('UserAdded', 'PasswordChanged') ORDER BY seq"
            )
        ]
    assert [h[:10] if h else h for h in hashes] == ["$argon2id$", "$argon2id$", None, "$argon2id$"]


def test_users_and_tokens_are_events_of_the_system_stream(client: TestClient, api: Api) -> None:
    vera = api.user("vera", password=PASSWORD)
    api.ok("DELETE", f"{USERS}/{vera.id}/tokens/{vera.token_id}", 204)
    events = client.get("/api/v1/events").json()["events"]
    system = [(e["stream_id"], e["type"]) for e in events if e["data"].get("user_id") == vera.id]
    assert system == [
        ("$system", "UserAdded"),
        ("$system", "TokenIssued"),
        ("$system", "TokenRevoked"),
    ]
    issued = next(e for e in events if e["type"] == "TokenIssued")
    assert set(issued["data"]) >= {"token_id", "token_hash", "kind", "label"}
    assert issued["metadata"]["actor"] == "admin"


# --- history: who did it, and who granted what -------------------------------------------------


def test_history_names_each_actor_by_their_display_name_now(client: TestClient, api: Api) -> None:
    olivia = api.user("olivia", display_name="Olivia Owner")
    as_olivia = api.as_user(olivia)
    board = as_olivia.board("Named", ("To do",))
    api.column(board.id, "Admin's")  # the admin token is the built-in admin
    items = as_olivia.get(f"/api/v1/boards/{board.id}/history")["items"]
    assert [(i["type"], i["actor"], i["actor_name"]) for i in items] == [
        ("ColumnAdded", "admin", "Administrator"),
        ("ColumnAdded", olivia.id, "Olivia Owner"),
        ("BoardCreated", olivia.id, "Olivia Owner"),
    ]
    as_olivia.ok("PATCH", f"{USERS}/{olivia.id}", json={"display_name": "Olivia O."})
    items = as_olivia.get(f"/api/v1/boards/{board.id}/history")["items"]
    assert [i["actor_name"] for i in items] == ["Administrator", "Olivia O.", "Olivia O."]


def test_membership_changes_are_in_the_boards_history_with_who_granted_what(
    client: TestClient, api: Api
) -> None:
    olivia = api.user("olivia", display_name="Olivia Owner")
    vera = api.user("vera", display_name="Vera Viewer")
    as_olivia = api.as_user(olivia)
    board = as_olivia.board("Granted")
    members = f"/api/v1/boards/{board.id}/members"
    as_olivia.grant(board.id, vera, "viewer")
    as_olivia.grant(board.id, vera, "editor")
    as_olivia.grant(board.id, vera, "editor")  # no change: no event
    api.ok("DELETE", f"{members}/{vera.id}")  # by the admin
    items = as_olivia.get(f"/api/v1/boards/{board.id}/history")["items"]
    assert [(i["type"], i["actor_name"], i["summary"]) for i in items[:3]] == [
        ("MemberRemoved", "Administrator", "removed vera (editor) from the board"),
        ("MemberRoleChanged", "Olivia Owner", "changed vera from viewer to editor"),
        ("MemberAdded", "Olivia Owner", "made vera a viewer"),
    ]
    assert items[2]["data"] == {"user_id": vera.id, "name": "vera", "role": "viewer"}
    assert items[3]["type"] == "BoardCreated"
    assert items[3]["data"]["owner"] == olivia.id
    # They are the board's own events (its stream), not the system stream's.
    events = as_olivia.get(f"/api/v1/boards/{board.id}/events")["events"]
    assert [e["type"] for e in events] == [
        "BoardCreated",
        "MemberAdded",
        "MemberRoleChanged",
        "MemberRemoved",
    ]
    assert {e["stream_id"] for e in events} == {board.id}


def test_undo_never_undoes_a_membership_change(client: TestClient, api: Api) -> None:
    olivia, vera = api.user("olivia"), api.user("vera")
    as_olivia = api.as_user(olivia)
    board = as_olivia.board("Undo", ("To do",))
    members = f"/api/v1/boards/{board.id}/members"
    as_olivia.grant(board.id, vera, "editor")
    # Olivia's latest change is the grant; her undo skips it for the column before.
    undone = as_olivia.ok("POST", f"/api/v1/boards/{board.id}/undo")
    assert [e["type"] for e in undone["events"]] == ["ColumnRemoved"]
    assert vera.id in {m["user_id"] for m in as_olivia.get(members)["members"]}
    # With only membership changes left, there is nothing to undo.
    as_olivia.ok("DELETE", f"{members}/{vera.id}")
    with writes_nothing(client):
        nothing = client.post(f"/api/v1/boards/{board.id}/undo", headers=olivia.auth)
        assert_problem(nothing, 409, "nothing-to-undo")
    assert vera.id not in {m["user_id"] for m in as_olivia.get(members)["members"]}
    # Redo brings back the column, and still not the membership.
    redone = as_olivia.ok("POST", f"/api/v1/boards/{board.id}/redo")
    assert [e["type"] for e in redone["events"]] == ["ColumnAdded"]
    assert vera.id not in {m["user_id"] for m in as_olivia.get(members)["members"]}


def test_the_actor_is_whoever_authenticated_not_what_the_body_says(
    client: TestClient, api: Api
) -> None:
    vera = api.user("vera")
    board = api.as_user(vera).board("Mine")
    [created] = api.as_user(vera).get(f"/api/v1/boards/{board.id}/history")["items"]
    assert created["actor"] == vera.id
    sneaky = client.post("/api/v1/boards", json={"title": "x", "actor": "admin"}, headers=vera.auth)
    assert_problem(sneaky, 422, "validation")
