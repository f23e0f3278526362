"""GET of a board answered by the shortcut equals the full route's answer, case by case."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, Passed, TestClient, head


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
    api: Api, client: TestClient, passed_on: Passed, caller: str, include_archived: str | None
) -> None:
    board = api.board("Fast", ("To do",))
    card = api.card(board.id, board.columns[0], "Kept")
    api.card(board.id, board.columns[0], "Gone")
    api.ok("POST", f"/api/v1/boards/{board.id}/cards/{card}/archive")
    viewer, outsider = api.user("vic", password="vic's password"), api.user("otto")
    api.grant(board.id, viewer, "viewer")
    api.view(board.id)  # projected
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
    # A parameter of its own sends the same request down the full route.
    full_url = url + ("&" if "?" in url else "?") + "full=1"
    passed_on.clear()
    fast = answer(client, url, headers=headers)
    assert (passed_on == []) is (caller in ("admin", "viewer", "session"))
    full = answer(client, full_url, headers=headers)
    assert passed_on[-1] == ("GET", f"/api/v1/boards/{board.id}")
    assert fast == full
    expected = {"admin": 200, "viewer": 200, "session": 200, "outsider": 404, "nobody": 401}
    assert fast[0] == expected.get(caller, 401)
    if fast[0] == 200:
        # And the conditional GET: the same 304 either way.
        etag = {"If-None-Match": fast[2] or ""}
        assert client.get(url, headers={**headers, **etag}).status_code == 304
        assert client.get(full_url, headers={**headers, **etag}).status_code == 304


#: query (with {head}, the log's head): (status, whether the shortcut answers it)
QUERIES = {
    "min_seq={head}": (200, True),
    "min_seq=0": (200, True),
    "min_seq={head}&include_archived=true": (200, True),
    "include_archived=1&min_seq={head}": (200, True),
    "min_seq={beyond}": (422, False),
    "min_seq=-1": (422, False),
    "min_seq=x": (422, False),
    "min_seq={head}&min_seq={head}": (200, False),
    "include_archived=yes": (200, False),
    "min_seq={head}&version=1": (200, False),
}


@pytest.mark.parametrize("query", QUERIES)
def test_a_min_seq_already_reached_takes_the_shortcut(
    api: Api, client: TestClient, passed_on: Passed, query: str
) -> None:
    board = api.board("Read", ("To do",))
    api.card(board.id, board.columns[0], "Seen")
    api.view(board.id)  # projected: the read models have reached the head
    url = f"/api/v1/boards/{board.id}"
    filled = query.format(head=head(client), beyond=head(client) + 1000)
    passed_on.clear()
    status, shortcut = QUERIES[query]
    fast = answer(client, f"{url}?{filled}")
    assert fast[0] == status, fast
    assert (passed_on == []) is shortcut
    assert fast == answer(client, f"{url}?{filled}&full=1")
