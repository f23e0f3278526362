"""Sign-in against a real server: throttling by the client's address, and no secret in its log."""

from __future__ import annotations

import httpx

from .conftest import Server, ServerFactory, ok


def sign_in(client: httpx.Client, name: str, password: str, address: str) -> httpx.Response:
    body = {"name": name, "password": password}
    return client.post("/api/v1/session", json=body, headers={"X-Forwarded-For": address})


def test_failed_sign_ins_are_throttled_per_name_and_per_client_address(
    make_server: ServerFactory,
) -> None:
    # The test client is the trusted proxy: X-Forwarded-For names each "browser".
    server: Server = make_server(signin_attempts="2", forwarded_allow_ips="127.0.0.1").start()
    with server.client() as admin, httpx.Client(base_url=server.url, timeout=10) as proxy:
        ok(admin.post("/api/v1/users", json={"name": "pia", "password": "pia's password"}))
        ok(admin.post("/api/v1/users", json={"name": "quin", "password": "quin's password"}))

        # Per name: two wrong guesses lock pia's name, from any address, right password or not.
        for address in ("10.0.0.1", "10.0.0.2"):
            assert sign_in(proxy, "pia", "guess", address).status_code == 401
        locked = sign_in(proxy, "pia", "pia's password", "10.0.0.3")
        assert locked.status_code == 429
        assert 1 <= int(locked.headers["retry-after"]) <= 300
        assert locked.json()["type"] == "/problems/too-many-attempts"

        # Per address (4x the per-name limit): one address guessing many names is stopped.
        for n in range(8):
            assert sign_in(proxy, f"nobody{n}", "guess", "10.0.0.9").status_code == 401
        assert sign_in(proxy, "quin", "quin's password", "10.0.0.9").status_code == 429
        # ...while quin, from another address, signs in.
        assert sign_in(proxy, "quin", "quin's password", "10.0.0.10").status_code == 200


def test_no_plain_secret_reaches_the_servers_log(make_server: ServerFactory) -> None:
    server: Server = make_server().start()
    password = "a password nobody logs"
    with server.client() as admin:
        made = ok(admin.post("/api/v1/users", json={"name": "rob", "password": password}))
        token = made["token"]
        with server.client(token) as rob:
            extra = ok(rob.post(f"/api/v1/users/{made['user_id']}/tokens", json={"label": "ci"}))
            ok(rob.get("/api/v1/boards"))
            revoked = rob.delete(f"/api/v1/users/{made['user_id']}/tokens/{extra['token_id']}")
            assert revoked.status_code == 204
        with httpx.Client(base_url=server.url, timeout=10) as browser:
            signed = browser.post("/api/v1/session", json={"name": "rob", "password": password})
            assert signed.status_code == 200
            cookie = browser.cookies["kanban_session"]
            wrong = browser.post("/api/v1/session", json={"name": "rob", "password": "x"})
            assert wrong.status_code == 401
    assert server.stop() == 0
    log = server.output()
    assert "/api/v1/session" in log  # the access log is there, and it is clean
    for secret in (password, token, extra["token"], cookie, token.split("_")[-1]):
        assert secret not in log
    events = (server.data_dir / "events.db").read_bytes()
    for secret in (password, token, extra["token"], cookie):
        assert secret.encode() not in events


def test_the_access_log_can_be_turned_off_and_the_servers_own_lines_stay(
    make_server: ServerFactory,
) -> None:
    server: Server = make_server(access_log="false").start()
    with server.client() as admin:
        ok(admin.get("/api/v1/boards"))
        ok(admin.post("/api/v1/boards", json={"title": "Quiet"}))
    assert server.stop() == 0
    log = server.output()
    assert "Application startup complete" in log  # the server still says what it does
    assert "/api/v1/boards" not in log  # but not each request
