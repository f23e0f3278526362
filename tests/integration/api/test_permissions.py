"""Who may call what: every /api route against every kind of caller.

One app serves the whole module (its users are made once); each test gets a
fresh board, so what one cell changes cannot decide another. The board is
owned by olivia, vera views it and eddie edits it; oscar is a member of his
own board only; sam is on no board (he is the one made a member). The user
routes are aimed at olivia's account: she may manage it, as may an admin.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from .conftest import (
    API_ROUTES,
    PASSWORD,
    TOKEN,
    Anonymous,
    Api,
    Board,
    Targets,
    TestClient,
    User,
    assert_problem,
    fill,
    forget_cookies,
    head,
    running,
    writes_nothing,
)

CALLERS = ("none", "bad", "viewer", "editor", "owner", "admin", "other")

# fmt: off
#: The status each caller gets, in the order of CALLERS: no token, a bad token (a real
#: token's id with a wrong secret), the board's viewer, editor and owner, an admin who
#: is not a member, and a user who is a member of another board only.
MATRIX: dict[tuple[str, str], tuple[int, int, int, int, int, int, int]] = {
    # --- anyone signed in ---------------------------------  none bad  view edit own  adm  other
    ("GET", "/api/v1/boards"):                                 (401, 401, 200, 200, 200, 200, 200),
    ("POST", "/api/v1/boards"):                                (401, 401, 201, 201, 201, 201, 201),
    ("GET", "/api/v1/search"):                                 (401, 401, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/users"):                                  (401, 401, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/users/me"):                               (401, 401, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/users/{user_id}"):                        (401, 401, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/session"):                                (401, 401, 200, 200, 200, 200, 200),
    ("DELETE", "/api/v1/session"):                             (401, 401, 204, 204, 204, 204, 204),
    # --- anyone: signing in needs a name and password, not a token -------------------------
    ("POST", "/api/v1/session"):                               (200, 200, 200, 200, 200, 200, 200),
    # --- admins only -----------------------------------------------------------------------
    ("GET", "/api/v1/events"):                                 (401, 401, 403, 403, 403, 200, 403),
    ("GET", "/api/v1/projections"):                            (401, 401, 403, 403, 403, 200, 403),
    ("GET", "/api/v1/admin/backup"):                           (401, 401, 403, 403, 403, 200, 403),
    ("POST", "/api/v1/users"):                                 (401, 401, 403, 403, 403, 201, 403),
    # --- the account's own user (the owner's account here) or an admin --------------------
    ("PATCH", "/api/v1/users/{user_id}"):                      (401, 401, 403, 403, 200, 200, 403),
    ("POST", "/api/v1/users/{user_id}/tokens"):                (401, 401, 403, 403, 201, 201, 403),
    ("GET", "/api/v1/users/{user_id}/tokens"):                 (401, 401, 403, 403, 200, 200, 403),
    ("DELETE", "/api/v1/users/{user_id}/tokens/{token_id}"):   (401, 401, 403, 403, 204, 204, 403),
    # --- viewers and up; a non-member is told the board does not exist --------------------
    ("GET", "/api/v1/boards/{board_id}"):                      (401, 401, 200, 200, 200, 200, 404),
    ("GET", "/api/v1/boards/{board_id}/cards/{card_id}"):      (401, 401, 200, 200, 200, 200, 404),
    ("GET", "/api/v1/boards/{board_id}/history"):              (401, 401, 200, 200, 200, 200, 404),
    ("GET", "/api/v1/boards/{board_id}/stream"):               (401, 401, 200, 200, 200, 200, 404),
    ("GET", "/api/v1/boards/{board_id}/events"):               (401, 401, 200, 200, 200, 200, 404),
    ("GET", "/api/v1/boards/{board_id}/members"):              (401, 401, 200, 200, 200, 200, 404),
    # --- editors and up: every card and column command, undo and redo ---------------------
    ("POST", "/api/v1/boards/{board_id}/columns"):             (401, 401, 403, 201, 201, 201, 404),
    ("PATCH", "/api/v1/boards/{board_id}/columns/{column_id}"):
                                                               (401, 401, 403, 200, 200, 200, 404),
    ("POST", "/api/v1/boards/{board_id}/columns/{column_id}/move"):
                                                               (401, 401, 403, 200, 200, 200, 404),
    ("DELETE", "/api/v1/boards/{board_id}/columns/{column_id}"):
                                                               (401, 401, 403, 200, 200, 200, 404),
    ("POST", "/api/v1/boards/{board_id}/cards"):               (401, 401, 403, 201, 201, 201, 404),
    ("PATCH", "/api/v1/boards/{board_id}/cards/{card_id}"):    (401, 401, 403, 200, 200, 200, 404),
    ("POST", "/api/v1/boards/{board_id}/cards/{card_id}/move"):
                                                               (401, 401, 403, 200, 200, 200, 404),
    ("POST", "/api/v1/boards/{board_id}/cards/{card_id}/archive"):
                                                               (401, 401, 403, 200, 200, 200, 404),
    ("POST", "/api/v1/boards/{board_id}/cards/{card_id}/restore"):
                                                               (401, 401, 403, 200, 200, 200, 404),
    ("POST", "/api/v1/boards/{board_id}/undo"):                (401, 401, 403, 200, 200, 200, 404),
    ("POST", "/api/v1/boards/{board_id}/redo"):                (401, 401, 403, 200, 200, 200, 404),
    # --- owners: rename, archive, restore, members ----------------------------------------
    ("PATCH", "/api/v1/boards/{board_id}"):                    (401, 401, 403, 403, 200, 200, 404),
    ("POST", "/api/v1/boards/{board_id}/archive"):             (401, 401, 403, 403, 200, 200, 404),
    ("POST", "/api/v1/boards/{board_id}/restore"):             (401, 401, 403, 403, 200, 200, 404),
    ("POST", "/api/v1/boards/{board_id}/members"):             (401, 401, 403, 403, 200, 200, 404),
    # --- owners, or the member themselves (the viewer is the one removed here) ------------
    ("DELETE", "/api/v1/boards/{board_id}/members/{user_id}"): (401, 401, 200, 403, 200, 200, 404),
}
# fmt: on

#: The problem type of each refusal.
REFUSAL = {401: "unauthorized", 403: "forbidden", 404: "board-not-found"}


def test_the_matrix_covers_every_api_route() -> None:
    assert sorted(MATRIX) == API_ROUTES


CASES = [
    pytest.param(method, path, caller, statuses[i], id=f"{method} {path} {caller}")
    for (method, path), statuses in sorted(MATRIX.items())
    for i, caller in enumerate(CALLERS)
]


@dataclass
class Team:
    owner: User
    viewer: User
    editor: User
    other: User
    #: On no board; the one POST .../members makes an editor.
    newcomer: User

    def authorization(self, caller: str) -> str | None:
        if caller == "none":
            return None
        if caller == "bad":
            # Well-formed, and its id is real: only the secret is wrong.
            return f"Bearer kanban_{self.owner.token_id}_{'x' * 43}"
        if caller == "admin":
            return f"Bearer {TOKEN}"
        user: User = getattr(self, caller)
        return f"Bearer {user.token}"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One running app for the module (overrides the per-test client)."""
    with running(tmp_path_factory, "permissions") as c:
        yield c


@pytest.fixture(scope="module")
def team(client: TestClient) -> Team:
    api = Api(client)
    team = Team(
        owner=api.user("olivia", display_name="Olivia Owner", password=PASSWORD),
        viewer=api.user("vera", display_name="Vera Viewer"),
        editor=api.user("eddie", display_name="Eddie Editor"),
        other=api.user("oscar", display_name="Oscar Other"),
        newcomer=api.user("sam"),
    )
    api.as_user(team.other).board("Oscar's own")
    return team


@pytest.fixture(autouse=True)
def _no_cookies(client: TestClient) -> Iterator[None]:
    yield from forget_cookies(client)


@pytest.fixture
def targets(api: Api, team: Team) -> Targets:
    """A fresh board of the owner's: card 1 archived, vera its viewer, eddie its editor."""
    owner = api.as_user(team.owner)
    board = owner.populated(cards=2)
    owner.ok("POST", f"/api/v1/boards/{board.id}/cards/{board.cards[1]}/archive")
    owner.grant(board.id, team.viewer, "viewer")
    owner.grant(board.id, team.editor, "editor")
    spare = owner.token(team.owner, "spare")["token_id"]
    owner.get(f"/api/v1/boards/{board.id}")  # projected
    return Targets(board, team.owner, spare, member=team.viewer, grantee=team.newcomer)


def _changes_to_undo_and_redo(api: Api, team: Team, board: Board, caller: str) -> None:
    """Give the caller a change to undo and an undone one to redo.

    The viewer makes them as an editor and is then made a viewer again: their undo
    and redo are refused for the role, not for want of something to undo.
    """
    if caller not in ("viewer", "editor", "owner", "admin"):
        return
    acting = api if caller == "admin" else api.as_user(getattr(team, caller))
    owner = api.as_user(team.owner)
    if caller == "viewer":
        owner.grant(board.id, team.viewer, "editor")
    acting.column(board.id, f"{caller} A")
    acting.column(board.id, f"{caller} B")
    acting.ok("POST", f"/api/v1/boards/{board.id}/undo")
    if caller == "viewer":
        owner.grant(board.id, team.viewer, "viewer")


def _prepare(api: Api, team: Team, targets: Targets, method: str, path: str, caller: str) -> None:
    board = targets.board
    if path.endswith(("/undo", "/redo")):
        _changes_to_undo_and_redo(api, team, board, caller)
    elif (method, path) == ("POST", "/api/v1/boards/{board_id}/restore"):
        api.ok("POST", f"/api/v1/boards/{board.id}/archive")
    api.get("/api/v1/boards")  # projected


@contextlib.contextmanager
def _sent(
    anonymous: Anonymous, method: str, url: str, authorization: str | None, body: object
) -> Iterator[httpx.Response]:
    """The response; a live stream is opened, and closed again when the block ends."""
    streaming = url.endswith("/stream")
    response = anonymous.request(method, url, authorization, stream=streaming, json=body)
    try:
        yield response
    finally:
        response.close()


@pytest.mark.parametrize(("method", "path", "caller", "expected"), CASES)
def test_every_route_allows_or_refuses_every_caller(
    client: TestClient,
    anonymous: Anonymous,
    api: Api,
    team: Team,
    targets: Targets,
    method: str,
    path: str,
    caller: str,
    expected: int,
) -> None:
    _prepare(api, team, targets, method, path, caller)
    url, body = fill(method, path, targets)
    authorization = team.authorization(caller)
    before = head(client)
    if expected in REFUSAL:
        with writes_nothing(client), _sent(anonymous, method, url, authorization, body) as r:
            r.read()
        assert_problem(r, expected, REFUSAL[expected])
        if expected == 401:
            assert r.headers["www-authenticate"] == "Bearer"
        return
    with _sent(anonymous, method, url, authorization, body) as response:
        assert response.status_code == expected, response.read()
        if url.endswith("/stream"):
            assert response.headers["content-type"].startswith("text/event-stream")
            assert next(response.iter_lines()) == "retry: 2000"
    if method != "GET" and (method, path) != ("DELETE", "/api/v1/session"):
        # Allowed means done: a change was written (signing out a bearer token is a no-op).
        assert head(client) > before


# --- what each caller sees ----------------------------------------------------------


def test_a_user_lists_only_their_boards_with_their_role(api: Api, team: Team) -> None:
    owner = api.as_user(team.owner)
    mine = owner.board("Mine")
    owner.grant(mine.id, team.viewer, "viewer")

    def listed(who: Api) -> dict[str, str | None]:
        return {b["id"]: b["role"] for b in who.get("/api/v1/boards")["boards"]}

    assert listed(owner)[mine.id] == "owner"
    assert listed(api.as_user(team.viewer))[mine.id] == "viewer"
    assert None not in listed(api.as_user(team.viewer)).values()
    oscars = listed(api.as_user(team.other))
    assert mine.id not in oscars
    assert set(oscars.values()) == {"owner"}  # his own board only
    # An admin sees every board; not being a member, with no role.
    everything = listed(api)
    assert everything[mine.id] is None
    assert set(listed(owner)) | set(oscars) <= set(everything)


def test_a_hidden_board_answers_exactly_as_a_missing_one(
    anonymous: Anonymous, api: Api, team: Team
) -> None:
    hidden = api.as_user(team.owner).board("Secret", ("A",))
    missing = "00000000-0000-0000-0000-000000000000"
    oscar = team.authorization("other")
    for method, suffix in (
        ("GET", ""),
        ("GET", "/history"),
        ("GET", "/members"),
        ("DELETE", f"/columns/{hidden.columns[0]}"),
    ):
        seen = anonymous.request(method, f"/api/v1/boards/{hidden.id}{suffix}", oscar)
        absent = anonymous.request(method, f"/api/v1/boards/{missing}{suffix}", oscar)
        shown = assert_problem(seen, 404, "board-not-found")
        expected = assert_problem(absent, 404, "board-not-found")
        assert shown["detail"].replace(hidden.id, "X") == expected["detail"].replace(missing, "X")
        assert shown | {"detail": ""} == expected | {"detail": ""}


def test_search_finds_only_cards_on_the_callers_boards(api: Api, team: Team) -> None:
    owner = api.as_user(team.owner)
    board = owner.board("Searchable", ("A",))
    owner.card(board.id, board.columns[0], "needle in olivia's haystack")
    owner.grant(board.id, team.viewer, "viewer")

    def found(who: Api) -> set[str]:
        return {i["board_id"] for i in who.get("/api/v1/search", q="needle")["items"]}

    assert board.id in found(owner)
    assert board.id in found(api.as_user(team.viewer))
    assert board.id in found(api)  # the admin searches every board
    assert board.id not in found(api.as_user(team.other))


# --- members ------------------------------------------------------------------------


def test_members_are_listed_owners_first_with_display_names(api: Api, team: Team) -> None:
    owner = api.as_user(team.owner)
    board = owner.board("Crew")
    owner.grant(board.id, team.viewer, "viewer")
    owner.grant(board.id, team.editor, "owner")
    members = api.as_user(team.viewer).get(f"/api/v1/boards/{board.id}/members")["members"]
    assert [m["role"] for m in members] == ["owner", "owner", "viewer"]
    assert members[2] == {
        "user_id": team.viewer.id,
        "name": "vera",
        "display_name": "Vera Viewer",
        "role": "viewer",
    }
    assert {m["user_id"] for m in members[:2]} == {team.owner.id, team.editor.id}


def test_a_role_change_or_removal_takes_effect_on_the_next_request(
    anonymous: Anonymous, api: Api, team: Team
) -> None:
    owner = api.as_user(team.owner)
    board = owner.board("Shifting", ("A",))
    vera = team.authorization("viewer")
    url = f"/api/v1/boards/{board.id}/columns"
    owner.grant(board.id, team.viewer, "viewer")
    assert_problem(anonymous.request("POST", url, vera, json={"title": "x"}), 403, "forbidden")
    owner.grant(board.id, team.viewer, "editor")
    assert anonymous.request("POST", url, vera, json={"title": "x"}).status_code == 201
    owner.ok("DELETE", f"/api/v1/boards/{board.id}/members/{team.viewer.id}")
    gone = anonymous.request("GET", f"/api/v1/boards/{board.id}", vera)
    assert_problem(gone, 404, "board-not-found")


def test_the_last_owner_can_be_neither_removed_nor_demoted(
    client: TestClient, api: Api, team: Team
) -> None:
    owner = api.as_user(team.owner)
    board = owner.board("Owned")
    members = f"/api/v1/boards/{board.id}/members"
    with writes_nothing(client):
        for who in (owner, api):  # not by the owner, and not by an admin either
            gone = who.client.delete(f"{members}/{team.owner.id}", headers=who.headers)
            assert_problem(gone, 409, "last-owner")
            demote = {"user_id": team.owner.id, "role": "editor"}
            assert_problem(
                who.client.post(members, json=demote, headers=who.headers), 409, "last-owner"
            )
    owner.grant(board.id, team.editor, "owner")
    owner.ok("DELETE", f"{members}/{team.owner.id}")  # now someone else owns it
    assert [m["user_id"] for m in api.get(members)["members"]] == [team.editor.id]


def test_member_changes_refuse_unknown_users_and_non_members(
    client: TestClient, api: Api, team: Team
) -> None:
    owner = api.as_user(team.owner)
    board = owner.board("Strict")
    members = f"/api/v1/boards/{board.id}/members"
    with writes_nothing(client):
        unknown = {"user_id": "no-such-user", "role": "viewer"}
        posted = client.post(members, json=unknown, headers=team.owner.auth)
        assert_problem(posted, 422, "user-not-found")
        bad_role = {"user_id": team.viewer.id, "role": "admin"}
        assert_problem(
            client.post(members, json=bad_role, headers=team.owner.auth), 422, "validation"
        )
        not_member = client.delete(f"{members}/{team.viewer.id}", headers=team.owner.auth)
        assert_problem(not_member, 404, "member-not-found")


def test_a_member_may_leave_but_not_remove_others(
    client: TestClient, anonymous: Anonymous, api: Api, team: Team
) -> None:
    owner = api.as_user(team.owner)
    board = owner.board("Leaving")
    owner.grant(board.id, team.viewer, "viewer")
    owner.grant(board.id, team.editor, "editor")
    members = f"/api/v1/boards/{board.id}/members"
    eddie = team.authorization("editor")
    with writes_nothing(client):
        refused = anonymous.request("DELETE", f"{members}/{team.viewer.id}", eddie)
        assert_problem(refused, 403, "forbidden")
    assert anonymous.request("DELETE", f"{members}/{team.editor.id}", eddie).status_code == 200
    assert {m["user_id"] for m in api.get(members)["members"]} == {team.owner.id, team.viewer.id}


def test_a_viewer_may_travel_in_time_and_a_non_member_may_not(
    anonymous: Anonymous, api: Api, team: Team
) -> None:
    owner = api.as_user(team.owner)
    board = owner.board("Then", ("A",))
    owner.grant(board.id, team.viewer, "viewer")
    owner.ok("PATCH", f"/api/v1/boards/{board.id}", json={"title": "Now"})
    url = f"/api/v1/boards/{board.id}"
    vera, oscar = team.authorization("viewer"), team.authorization("other")
    then = anonymous.request("GET", url, vera, params={"version": 1})
    assert then.status_code == 200, then.text
    assert then.json()["title"] == "Then"
    at = {"at": "2100-01-01T00:00:00+00:00"}
    assert anonymous.request("GET", url, vera, params=at).json()["title"] == "Now"
    for params in ({"version": 1}, at):
        assert_problem(anonymous.request("GET", url, oscar, params=params), 404, "board-not-found")
