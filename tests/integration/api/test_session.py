"""Web sign-in: an HttpOnly session cookie, CSRF on changes, sign-out, throttling.

A "browser" is another client of the same running app (`at_address`): it sends
no token, keeps its own cookies, and calls from an address of its own.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from kanban.api.app import create_app
from kanban.settings import Settings
from tests.integration.conftest import memory_ports

from .conftest import (
    AUTH,
    PASSWORD,
    TOKEN,
    Anonymous,
    Api,
    TestClient,
    User,
    api_settings,
    assert_problem,
    at_address,
    head,
    writes_nothing,
)

SESSION = "/api/v1/session"
COOKIE = "kanban_session"


@pytest.fixture
def vera(api: Api) -> User:
    return api.user("vera", display_name="Vera V.", password=PASSWORD)


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    return at_address(client, "192.0.2.10")


def sign_in(browser: TestClient, name: str = "vera", password: str = PASSWORD) -> httpx.Response:
    return browser.post(SESSION, json={"name": name, "password": password})


def signed_in(browser: TestClient, name: str = "vera") -> str:
    """Sign in; the browser keeps the cookie. Returns the CSRF token."""
    answer = sign_in(browser, name)
    assert answer.status_code == 200, answer.text
    csrf: str = answer.json()["csrf_token"]
    return csrf


def _set_cookie(response: httpx.Response) -> dict[str, str]:
    """The Set-Cookie header of the session cookie, as attribute -> value (lowercased names)."""
    [header] = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{COOKIE}=")]
    first, *attributes = [part.strip() for part in header.split(";")]
    parsed = {"value": first.partition("=")[2]}
    for attribute in attributes:
        name, _, value = attribute.partition("=")
        parsed[name.lower()] = value
    return parsed


# --- signing in --------------------------------------------------------------------------


def test_sign_in_sets_an_httponly_samesite_lax_cookie(
    client: TestClient, browser: TestClient, vera: User
) -> None:
    before = head(client)
    answer = sign_in(browser)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"user", "csrf_token", "expires_at"}
    assert body["user"] == {
        "user_id": vera.id,
        "name": "vera",
        "display_name": "Vera V.",
        "admin": False,
        "has_password": True,
    }
    assert re.fullmatch(r"[0-9a-f]{32}", body["csrf_token"])
    cookie = _set_cookie(answer)
    assert "httponly" in cookie
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert cookie["max-age"] == str(14 * 24 * 3600)  # the default session_ttl
    assert "secure" not in cookie  # plain http here; over https the cookie is Secure
    assert cookie["value"] != body["csrf_token"]
    assert cookie["value"] not in answer.text  # the session secret is only in the cookie
    # The session is an event (a token of kind "session"): one was written.
    assert head(client) == before + 1


def test_the_cookie_works_for_reading(api: Api, browser: TestClient, vera: User) -> None:
    board = api.board("Shared", ("To do",))
    api.grant(board.id, vera, "viewer")
    signed_in(browser)
    assert browser.get("/api/v1/users/me").json()["user_id"] == vera.id
    assert [b["id"] for b in browser.get("/api/v1/boards").json()["boards"]] == [board.id]
    assert browser.get(f"/api/v1/boards/{board.id}").status_code == 200
    # ... the browser's live stream too.
    with browser.stream("GET", f"/api/v1/boards/{board.id}/stream") as live:
        assert live.status_code == 200
        assert next(live.iter_lines()) == "retry: 2000"


def test_get_session_returns_the_csrf_token(
    client: TestClient, browser: TestClient, vera: User
) -> None:
    answer = sign_in(browser)
    session = browser.get(SESSION)
    assert session.status_code == 200, session.text
    assert session.json() == answer.json()
    # With a bearer token there is no session, so no CSRF token either.
    by_token = client.get(SESSION, headers=vera.auth).json()
    assert by_token == {"user": answer.json()["user"], "csrf_token": None, "expires_at": None}


def test_signing_in_is_case_insensitive_in_the_name(browser: TestClient, vera: User) -> None:
    assert sign_in(browser, "VERA").json()["user"]["user_id"] == vera.id


def test_the_session_is_listed_among_the_users_tokens(
    client: TestClient, browser: TestClient, vera: User
) -> None:
    answer = sign_in(browser, password=PASSWORD)
    listed = browser.get(f"/api/v1/users/{vera.id}/tokens").json()["tokens"]
    [session] = [t for t in listed if t["kind"] == "session"]
    assert session["current"] is True
    assert session["expires_at"] == answer.json()["expires_at"]
    assert session["revoked"] is False
    # Revoked from elsewhere (a script with vera's token), it stops working at once.
    url = f"/api/v1/users/{vera.id}/tokens/{session['token_id']}"
    assert client.delete(url, headers=vera.auth).status_code == 204
    assert_problem(browser.get("/api/v1/users/me"), 401, "unauthorized")


# --- CSRF --------------------------------------------------------------------------------


def test_a_change_with_the_cookie_needs_the_csrf_token(
    client: TestClient, api: Api, browser: TestClient, vera: User
) -> None:
    csrf = signed_in(browser)
    other = at_address(client, "192.0.2.11")
    others_csrf = signed_in(other)  # vera's second session, in another browser
    board = api.board("Shared", ("To do",))
    api.grant(board.id, vera, "editor")
    column = f"/api/v1/boards/{board.id}/columns/{api.column(board.id, 'Doing')['column_id']}"
    with writes_nothing(client):
        for headers in (
            {},
            {"X-CSRF-Token": ""},
            {"X-CSRF-Token": "0" * 32},
            {"X-CSRF-Token": others_csrf},
        ):
            for method, url, body in (
                ("POST", "/api/v1/boards", {"title": "Forged"}),
                ("PATCH", column, {"title": "Forged"}),
                ("DELETE", column, None),
                ("POST", f"/api/v1/users/{vera.id}/tokens", {"label": "forged"}),
            ):
                refused = browser.request(method, url, json=body, headers=headers)
                assert_problem(refused, 403, "csrf")
        # Even a malformed body is refused for the CSRF token first.
        malformed = browser.post(
            "/api/v1/boards", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert_problem(malformed, 403, "csrf")
    ok = browser.post("/api/v1/boards", json={"title": "Mine"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201, ok.text
    renamed = browser.patch(column, json={"title": "Done"}, headers={"X-CSRF-Token": csrf})
    assert renamed.status_code == 200, renamed.text


def test_a_bearer_token_needs_no_csrf_token(client: TestClient, vera: User) -> None:
    created = client.post("/api/v1/boards", json={"title": "Script"}, headers=vera.auth)
    assert created.status_code == 201, created.text


# --- signing out --------------------------------------------------------------------------


def test_sign_out_revokes_the_session_and_clears_the_cookie(
    client: TestClient, browser: TestClient, vera: User
) -> None:
    csrf = signed_in(browser)
    cookie = browser.cookies[COOKIE]
    with writes_nothing(client):
        assert_problem(browser.delete(SESSION), 403, "csrf")
    assert browser.get("/api/v1/users/me").status_code == 200
    out = browser.delete(SESSION, headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204, out.text
    cleared = _set_cookie(out)
    assert cleared["value"] in ("", '""')
    assert cleared["max-age"] == "0"
    assert COOKIE not in browser.cookies
    # The old cookie, presented again, is refused: the session itself was revoked.
    replayed = browser.get("/api/v1/users/me", headers={"Cookie": f"{COOKIE}={cookie}"})
    assert_problem(replayed, 401, "unauthorized")
    assert replayed.headers["www-authenticate"] == "Bearer"
    tokens = client.get(f"/api/v1/users/{vera.id}/tokens").json()["tokens"]
    [session] = [t for t in tokens if t["kind"] == "session"]
    assert session["revoked"] is True
    # A later sign-in works again, even with the dead cookie still sent.
    again = browser.post(
        SESSION,
        json={"name": "vera", "password": PASSWORD},
        headers={"Cookie": f"{COOKIE}={cookie}"},
    )
    assert again.status_code == 200, again.text


# --- refused sign-ins ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "password"),
    [("vera", "not the password"), ("nobody", PASSWORD), ("vera", PASSWORD.upper()), ("wes", "x")],
    ids=["wrong-password", "unknown-name", "wrong-case-password", "user-without-password"],
)
def test_a_wrong_name_or_password_is_401_and_sets_no_cookie(
    client: TestClient, api: Api, browser: TestClient, vera: User, name: str, password: str
) -> None:
    api.user("wes")
    with writes_nothing(client):
        refused = sign_in(browser, name, password)
    problem = assert_problem(refused, 401, "unauthorized")
    assert problem["detail"] == "wrong name or password"  # the same whichever was wrong
    assert not refused.headers.get_list("set-cookie")
    assert COOKIE not in browser.cookies


@pytest.mark.parametrize(
    "body",
    [
        {"name": "vera"},
        {"password": PASSWORD},
        {"name": "", "password": PASSWORD},
        {
            "name": "vera",
            "password": PASSWORD,
            "remember": True,
        },
    ],
    ids=["no-password", "no-name", "empty-name", "unknown-field"],
)
def test_bad_sign_in_bodies_are_422(
    client: TestClient, browser: TestClient, vera: User, body: dict[str, object]
) -> None:
    with writes_nothing(client):
        assert_problem(browser.post(SESSION, json=body), 422, "validation")


def test_a_session_is_not_a_bearer_token_nor_a_token_a_session(
    anonymous: Anonymous, browser: TestClient, vera: User
) -> None:
    signed_in(browser)
    session = browser.cookies[COOKIE]
    browser.cookies.clear()
    as_bearer = anonymous.request("GET", "/api/v1/users/me", f"Bearer {session}")
    assert_problem(as_bearer, 401, "unauthorized")
    for token in (vera.token, TOKEN):  # an API token, and the admin token, as a cookie
        as_cookie = browser.get("/api/v1/users/me", headers={"Cookie": f"{COOKIE}={token}"})
        assert_problem(as_cookie, 401, "unauthorized")


def test_an_expired_session_is_refused(tmp_path: Path) -> None:
    settings = api_settings(tmp_path / "data", session_ttl=60)
    now = [datetime.now(UTC)]
    ports = replace(memory_ports(settings), clock=lambda: now[0])
    with TestClient(create_app(settings, ports), headers=AUTH) as client:
        Api(client).user("vera", password=PASSWORD)
        browser = at_address(client, "192.0.2.10")
        cookie = _set_cookie(sign_in(browser))["value"]
        browser.cookies.clear()
        # Sent by hand, as a client that ignores Max-Age might.
        headers = {"Cookie": f"{COOKIE}={cookie}"}
        now[0] += timedelta(seconds=59)
        assert browser.get("/api/v1/users/me", headers=headers).status_code == 200
        now[0] += timedelta(seconds=1)
        expired = browser.get("/api/v1/users/me", headers=headers)
        assert_problem(expired, 401, "unauthorized")


# --- brute force --------------------------------------------------------------------------


def _fail(browser: TestClient, name: str, times: int) -> None:
    for _ in range(times):
        assert_problem(sign_in(browser, name, "guessing wrong"), 401, "unauthorized")


def _throttled(response: httpx.Response) -> int:
    """The Retry-After of a 429 too-many-attempts, in seconds."""
    assert_problem(response, 429, "too-many-attempts")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 300  # the window is 5 minutes
    return retry_after


@pytest.fixture
def browsers(client: TestClient) -> list[TestClient]:
    return [at_address(client, f"198.51.100.{i}") for i in range(1, 4)]


def test_after_the_limit_per_name_even_the_right_password_is_429(
    client: TestClient, settings: Settings, browsers: list[TestClient], vera: User
) -> None:
    limit = settings.signin_attempts
    assert limit == 5  # the default
    first, second, third = browsers
    _fail(first, "vera", limit - 1)
    _fail(second, "vera", 1)  # from anywhere: the count is per name
    with writes_nothing(client):
        _throttled(sign_in(first))
        _throttled(sign_in(third))  # an address that never failed
        _throttled(sign_in(first, "VERA"))  # the name, whatever its case
    assert COOKIE not in first.cookies
    # Others may still sign in from the same address.
    assert sign_in(first, "admin-helper", "x").status_code == 401


def test_after_the_limit_per_address_every_name_is_429(
    client: TestClient, api: Api, settings: Settings, browsers: list[TestClient], vera: User
) -> None:
    per_name, per_address = settings.signin_attempts, 4 * settings.signin_attempts
    first, second, _ = browsers
    # Many names, none of them failed often enough to be throttled by name.
    names = [f"guess{i}" for i in range(per_address // (per_name - 1) + 1)]
    failures = 0
    for name in names:
        tries = min(per_name - 1, per_address - failures)
        _fail(first, name, tries)
        failures += tries
    assert failures == per_address
    with writes_nothing(client):
        retry_after = _throttled(sign_in(first))  # vera never failed, but this address did
        assert_problem(sign_in(first, "nobody", "x"), 429, "too-many-attempts")
    assert retry_after > 1
    # Another address is not throttled.
    assert sign_in(second).status_code == 200


# --- the live stream ----------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["sign-out", "token-revoked", "removed-from-board"])
def test_an_open_stream_ends_when_its_session_or_membership_does(
    tmp_path: Path, ending: str
) -> None:
    """The cookie authorizes the browser's live stream, and losing it ends the stream."""
    # Short heartbeats: the stream always has something to say, so reading it is bounded.
    settings = api_settings(tmp_path / "data", heartbeat=0.05)
    with TestClient(create_app(settings), headers=AUTH) as client:
        api = Api(client)
        vera = api.user("vera", password=PASSWORD)
        board = api.board("Live", ("To do",))
        api.grant(board.id, vera, "viewer")
        browser = at_address(client, "192.0.2.10")
        csrf = signed_in(browser)
        tokens = client.get(f"/api/v1/users/{vera.id}/tokens").json()["tokens"]
        [session] = [t["token_id"] for t in tokens if t["kind"] == "session"]
        with browser.stream("GET", f"/api/v1/boards/{board.id}/stream") as live:
            assert live.status_code == 200
            lines = live.iter_lines()
            assert next(lines) == "retry: 2000"
            if ending == "sign-out":
                out = browser.delete(SESSION, headers={"X-CSRF-Token": csrf})
                assert out.status_code == 204
            elif ending == "token-revoked":
                url = f"/api/v1/users/{vera.id}/tokens/{session}"
                assert client.delete(url).status_code == 204
            else:
                api.ok("DELETE", f"/api/v1/boards/{board.id}/members/{vera.id}")
            seen = []
            for line in lines:
                seen.append(line)
                assert len(seen) < 1000, "the stream went on"
        # It ended, and said why just before.
        assert "event: revoked" in seen
        assert not [line for line in seen[seen.index("event: revoked") :] if line.startswith("id:")]
