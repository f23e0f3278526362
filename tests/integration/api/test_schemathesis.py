"""Fuzz every operation in /openapi.json: no 5xx, every response conforms to the schema.

Schemathesis drives the app in-process over ASGI and runs its lifespan itself
(started by `from_asgi`, stopped when the test ends). Random ids only ever reach
the 404 paths, so half the time a case is pointed at a seeded board, column and
card, user and token instead, so that the paths behind them are fuzzed too.

Every case is sent by a caller drawn from the seeded ones: the admin token, the
board's editor and viewer (API tokens), a user on no board, and the editor's web
session (the cookie with its CSRF token). Schemathesis itself checks that each
operation refuses requests without them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from kanban.api.app import create_app
from kanban.api.deps import Runtime
from kanban.domain import commands as cmd
from kanban.domain.commands import CommandContext
from kanban.service import credentials
from kanban.service.credentials import Passwords
from kanban.settings import Settings

from .conftest import AUTH, api_settings

BOARD = "fuzz-board"
COLUMNS = ("todo", "doing", "done")
CARDS = ("card-1", "card-2", "card-3")
#: Seeded users (besides the built-in admin, who owns the board) and their role on it.
USERS = {"u-editor": "editor", "u-viewer": "viewer", "u-outsider": None}
PASSWORD = "fuzzing password"
# Minted and hashed once: every operation's app is seeded with the same credentials.
PASSWORD_HASH = Passwords(time_cost=1, memory_kib=1024).hash(PASSWORD)
FIRST_TOKENS = {user_id: credentials.mint_token() for user_id in USERS}
#: Tokens that are there to be revoked (no caller uses them).
SPARE_TOKENS = {user_id: credentials.mint_token() for user_id in ("admin", *USERS)}
SESSION = credentials.mint_token()  # the editor's web session
CALLERS: dict[str, dict[str, str]] = {
    "admin": AUTH,
    "editor": {"Authorization": f"Bearer {FIRST_TOKENS['u-editor'].plain}"},
    "viewer": {"Authorization": f"Bearer {FIRST_TOKENS['u-viewer'].plain}"},
    "outsider": {"Authorization": f"Bearer {FIRST_TOKENS['u-outsider'].plain}"},
    "editor-session": {
        "Cookie": f"kanban_session={SESSION.plain}",
        "X-CSRF-Token": credentials.csrf_token(SESSION.plain),
    },
}


def _seed(rt: Runtime) -> None:
    """A board with three columns (doing has a WIP limit) and three cards, one archived;
    its editor (with a password and a web session), its viewer, and a user on no board,
    each with a spare token."""
    commands: list[cmd.Command] = [cmd.CreateBoard(BOARD, "Fuzz")]
    commands += [
        cmd.AddColumn(BOARD, c, c.title(), wip_limit=2 if c == "doing" else None) for c in COLUMNS
    ]
    commands += [cmd.AddCard(BOARD, c, "todo", f"Card {c}", "searchable text") for c in CARDS]
    commands.append(cmd.ArchiveCard(BOARD, CARDS[-1]))
    for user_id, role in USERS.items():
        first = FIRST_TOKENS[user_id]
        name = user_id.removeprefix("u-")
        password = PASSWORD_HASH if role == "editor" else None
        commands.append(
            cmd.AddUser(
                user_id, name, name.title(), False, password, first.token_id, first.token_hash
            )
        )
        if role is not None:
            commands.append(cmd.SetMember(BOARD, user_id, role))
    for user_id, spare in SPARE_TOKENS.items():
        commands.append(cmd.IssueToken(user_id, spare.token_id, spare.token_hash, "api", "spare"))
    commands.append(
        cmd.IssueToken(
            "u-editor",
            SESSION.token_id,
            SESSION.token_hash,
            "session",
            "fuzz",
            "9999-12-31T23:59:59.999999Z",
        )
    )
    for i, command in enumerate(commands):
        rt.kanban.bus.dispatch(command, CommandContext("admin", f"seed-{i}", admin=True))
    # Tokens are checked against the read models: the seed must be projected first.
    deadline = time.monotonic() + 10
    while any(status.lag for status in rt.kanban.projector.status()):
        assert time.monotonic() < deadline, "the seed was not projected"
        time.sleep(0.01)


# The document alone (create_app wires routes; only the lifespan touches the data dir).
# Built at import: schemathesis 4's lazy `from_fixture` does not run on pytest 9.
# Schema-valid requests may still be refused by the contract: 412 for a stale If-Match,
# 413 over 64 KiB, and 422 for what only the state decides (an unknown id in a body, an
# Idempotency-Key reused with another body, min_seq beyond the log's head). Invalid
# ones may be over 64 KiB too, and 413 is refused before the body is even read.
# Unknown fields are refused in bodies only: unknown query parameters are ignored.
# 401: a session the fuzzer signed out of (DELETE /session) or a token it revoked.
# 403 (valid and invalid requests alike): a caller who is not an admin, not the account's
# user, or whose role on the board is too low, is refused before the input is judged.
# Only callers other than the admin may get it; the test asserts that.
# 409 also covers a name already taken and the board's last owner.
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"allow-extra-parameters": False},
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", 401, 403, 404, 409, 412, 413, 422]
            },
            "negative_data_rejection": {"expected-statuses": [401, 403, 404, 405, 409, 413, 422]},
        },
    }
)
schema = schemathesis.openapi.from_dict(
    create_app(Settings(data_dir=Path("unused"))).openapi(), config=CONFIG
)


@pytest.fixture(name="settings")
def fuzz_settings(tmp_path: Path) -> Settings:
    """Sign-in throttling off: the fuzzer's wrong passwords would otherwise earn a 429
    (documented, and tested in test_session) for the rest of the operation's cases."""
    return api_settings(tmp_path / "data", signin_attempts=10**9)


@pytest.fixture
def fuzzed(app: FastAPI) -> FastAPI:
    """The app running under schemathesis' own ASGI lifespan, seeded.

    `from_asgi` starts the lifespan (its client enters it); schemathesis keeps it
    running across the test's calls and shuts it down in the test's teardown.
    """
    served = schemathesis.openapi.from_asgi("/openapi.json", app)
    assert served.raw_schema == schema.raw_schema  # what is fuzzed is what is served
    _seed(app.state.runtime)
    return app


def _aim(case: schemathesis.Case, data: st.DataObject) -> None:
    """Point some valid cases at what was seeded; a live stream would never end, so not those.

    Invalid (negative) cases stay as generated: aiming them could repair what made them
    invalid, and then their acceptance would look like a bug.
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    params = case.path_parameters or {}
    body: Any = case.body
    users = st.sampled_from(["admin", *USERS])
    if (
        "board_id" in params
        and not case.path.endswith("/stream")
        and data.draw(st.booleans(), label="seeded board")
    ):
        params["board_id"] = BOARD
        if "column_id" in params:
            params["column_id"] = data.draw(st.sampled_from(COLUMNS), label="column")
        if "card_id" in params:
            params["card_id"] = data.draw(st.sampled_from(CARDS), label="card")
        if isinstance(body, dict) and "column_id" in body:
            body["column_id"] = data.draw(st.sampled_from(COLUMNS), label="body column")
        if isinstance(body, dict) and "user_id" in body:
            body["user_id"] = data.draw(users, label="body user")
    if "user_id" in params and data.draw(st.booleans(), label="seeded user"):
        params["user_id"] = data.draw(users, label="user")
        if "token_id" in params:
            spare = SPARE_TOKENS[params["user_id"]].token_id
            params["token_id"] = data.draw(
                st.sampled_from([spare, *(t.token_id for t in SPARE_TOKENS.values())]),
                label="token",
            )
    if (
        case.path == "/api/v1/session"
        and isinstance(body, dict)
        and data.draw(st.booleans(), label="seeded sign-in")
    ):
        body["name"] = "editor"
        if data.draw(st.booleans(), label="right password"):
            body["password"] = PASSWORD


def _only_the_callers_credentials(case: schemathesis.Case) -> None:
    """Drop the credentials schemathesis generated for the security schemes.

    A random Authorization header or session cookie beside the caller's own would make
    it unclear which one the answer is about (a non-Bearer header is not a bearer token,
    so the caller's cookie would decide), and schemathesis would take a 200 for the
    random credentials being accepted.
    """
    for name in [n for n in case.headers or {} if n.lower() == "authorization"]:
        del case.headers[name]
    if case.cookies:
        case.cookies.pop("kanban_session", None)


@schema.parametrize()
@schema.given(data=st.data())
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,  # one seeded app per operation, on purpose
    ],
)
def test_every_operation_conforms_and_never_fails(
    case: schemathesis.Case, data: st.DataObject, fuzzed: FastAPI
) -> None:
    # Every request of the case goes to this test's app, the checks' own probes too.
    case.operation.app = case.operation.schema.app = fuzzed
    _aim(case, data)
    _only_the_callers_credentials(case)
    caller = data.draw(st.sampled_from(sorted(CALLERS)), label="caller")
    response = case.call_and_validate(headers=CALLERS[caller])
    # An admin may do anything: no 403, whatever was asked.
    assert caller != "admin" or response.status_code != 403, response.text
