"""The one table of command routes (api/commands.py) is the whole truth about them.

Every command in the OpenAPI is a row of it and every row is in the OpenAPI;
the shortcut answers rows of it and nothing else; and the role each row
declares is the one the domain enforces, and the one the permission matrix
finds.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts

from kanban.api.app import create_app
from kanban.api.command_route import Call, CommandRoute
from kanban.api.commands import TABLE
from kanban.domain import commands as cmd
from kanban.domain.access import Role, needed_role
from kanban.settings import Settings

from .conftest import REQUESTS, TestClient, shortcut
from .test_permissions import MATRIX

CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
#: Signing in and out stay hand-written routes (routers/session.py): they set and
#: clear a cookie, and signing in is throttled and needs no credentials.
HAND_WRITTEN = {("POST", "/api/v1/session"), ("DELETE", "/api/v1/session")}
ROWS = {(route.method, route.path): route for route in TABLE}
#: The rows the shortcut answers: every one whose answer awaits nothing beyond the writer.
SHORTCUT = {
    ("POST", "/api/v1/boards"),
    ("PATCH", "/api/v1/boards/{board_id}"),
    ("POST", "/api/v1/boards/{board_id}/archive"),
    ("POST", "/api/v1/boards/{board_id}/restore"),
    ("POST", "/api/v1/boards/{board_id}/columns"),
    ("PATCH", "/api/v1/boards/{board_id}/columns/{column_id}"),
    ("POST", "/api/v1/boards/{board_id}/columns/{column_id}/move"),
    ("DELETE", "/api/v1/boards/{board_id}/columns/{column_id}"),
    ("POST", "/api/v1/boards/{board_id}/cards"),
    ("PATCH", "/api/v1/boards/{board_id}/cards/{card_id}"),
    ("POST", "/api/v1/boards/{board_id}/cards/{card_id}/move"),
    ("POST", "/api/v1/boards/{board_id}/cards/{card_id}/archive"),
    ("POST", "/api/v1/boards/{board_id}/cards/{card_id}/restore"),
}


def _app_commands() -> dict[tuple[str, str], APIRoute]:
    app = create_app(Settings(data_dir=Path("unused")))
    return {
        (method, str(context.path)): context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.original_route.methods
        if method in CHANGES
    }


def test_every_command_in_the_openapi_is_a_row_and_every_row_is_there() -> None:
    spec = create_app(Settings(data_dir=Path("unused"))).openapi()
    documented = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method.upper() in CHANGES
    }
    assert documented - HAND_WRITTEN == set(ROWS)
    assert len(ROWS) == len(TABLE), "two rows declare the same route"


def test_every_command_route_runs_its_row() -> None:
    routes = _app_commands()
    assert set(routes) - HAND_WRITTEN == set(ROWS)
    for key, row in ROWS.items():
        route = routes[key]
        assert route.name == row.name
        assert route.status_code == row.status
        assert route.response_model is row.response_model
        assert route.tags == [row.tag]
        assert route.description == inspect.cleandoc(row.build.__doc__ or "")


def test_the_shortcut_answers_rows_of_the_table_and_nothing_else(client: TestClient) -> None:
    taken = shortcut(client).routes
    assert all(any(route is row for row in TABLE) for route in taken)
    assert {(route.method, route.path) for route in taken} == SHORTCUT
    assert {key for key, row in ROWS.items() if row.shortcut} == SHORTCUT


def test_each_board_rows_role_is_the_domains() -> None:
    for row in TABLE:
        if row.needs not in ("signed-in", "editor", "owner", "owner-or-self"):
            continue
        command = _built(row)
        if row.needs == "signed-in":
            # Creating a board needs no role: there is no board yet to have one on.
            assert type(command) is cmd.CreateBoard, row
        else:
            # Any member may remove themselves; removing anyone else takes an owner.
            assert needed_role(command) is Role(row.needs.removesuffix("-or-self")), row


#: What each declared role means to the callers of test_permissions (none, bad, viewer,
#: editor, owner, admin, other): 0 is allowed, else the status of the refusal.
ROLE_OUTCOMES = {
    "signed-in": (401, 401, 0, 0, 0, 0, 0),
    "editor": (401, 401, 403, 0, 0, 0, 404),
    "owner": (401, 401, 403, 403, 0, 0, 404),
    "owner-or-self": (401, 401, 0, 403, 0, 0, 404),  # the viewer is the one removed there
    "admin": (401, 401, 403, 403, 403, 0, 403),
    "self-or-admin": (401, 401, 403, 403, 0, 0, 403),  # the owner's own account there
}


def test_each_rows_role_is_what_the_permission_matrix_finds() -> None:
    for key, row in ROWS.items():
        found = tuple(0 if status < 300 else status for status in MATRIX[key])
        assert found == ROLE_OUTCOMES[row.needs], key


def _built(row: CommandRoute) -> cmd.Command:
    """The command a row builds from the permission matrix's request (any ids will do)."""
    call = Call(rt=None, who=None, ctx=cmd.CommandContext.new("someone"))  # type: ignore[arg-type]
    path = {name: f"{name}-1" for name in row.params}
    if row.body is None:
        built: Any = row.build(call, **path)
    else:
        sample = REQUESTS[row.method, row.path]
        filled = {
            k: "x" if isinstance(v, str) and "{" in v else v for k, v in (sample or {}).items()
        }
        body = row.body.model_validate(filled) if sample is not None else None
        built = row.build(call, body, **path)
    assert isinstance(built, cmd.Command), row
    return built
