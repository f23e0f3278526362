"""GET of a board answered before the framework equals the full route's answer, case by case."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, TestClient, head


def answer(client: TestClient, url: str, **kw: Any) -> tuple[int, bytes, str | None, str]:
    response = client.get(url, **kw)
    return (
        response.status_code,
        response.content,
        response.headers.get("etag"),
        response.headers.get("content-type", ""),
    )


@pytest.mark.parametrize("include_archived", [None, "true", "false", "1", "0"])
@pytest.mark.parametrize("caller", ["admin", "viewer", "session", "outsider", "nobody", "bad"])
def test_the_fast_answer_is_the_full_routes_answer(
    api: Api, client: TestClient, caller: str, include_archived: str | None
) -> None:
    board = api.board("Fast", ("To do",))
    card = api.card(board.id, board.columns[0], "Kept")
    api.card(board.id, board.columns[0], "Gone")
    api.ok("POST", f"/api/v1/boards/{board.id}/cards/{card}/archive")
    viewer, outsider = api.user("vic", password="vic's password"), api.user("otto")
    api.grant(board.id, viewer, "viewer")
    headers = {
        "admin": {},
        "viewer": viewer.auth,
        "outsider": outsider.auth,
        "nobody": {},
        "bad": {"Authorization": "Bearer kanban_0123456789abcdef_nope"},
        "session": {},
    }[caller]
    if caller in ("session", "nobody"):
        del client.headers["Authorization"]  # the browser's case: the cookie alone
    if caller == "session":
        signed = client.post("/api/v1/session", json={"name": "vic", "password": "vic's password"})
        assert signed.status_code == 200
    url = f"/api/v1/boards/{board.id}"
    if include_archived is not None:
        url += f"?include_archived={include_archived}"
    # A second parameter sends the same request down the full route.
    full_url = url + ("&" if "?" in url else "?") + f"min_seq={head(client)}"
    fast = answer(client, url, headers=headers)
    full = answer(client, full_url, headers=headers)
    assert fast == full
    expected = {"admin": 200, "viewer": 200, "session": 200, "outsider": 404, "nobody": 401}
    assert fast[0] == expected.get(caller, 401)
    if fast[0] == 200:
        # And the conditional GET: the same 304 either way.
        etag = {"If-None-Match": fast[2] or ""}
        assert client.get(url, headers={**headers, **etag}).status_code == 304
        assert client.get(full_url, headers={**headers, **etag}).status_code == 304
