"""Fuzz every operation in /openapi.json: no 5xx, every response conforms to the schema.

Schemathesis drives the app in-process over ASGI and runs its lifespan itself
(started by `from_asgi`, stopped when the test ends). Random ids only ever reach
the 404 paths, so half the time a case is pointed at a seeded board, column and
card instead, so that the command and query paths behind them are fuzzed too.
"""

from __future__ import annotations

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
from kanban.settings import Settings

from .conftest import AUTH

BOARD = "fuzz-board"
COLUMNS = ("todo", "doing", "done")
CARDS = ("card-1", "card-2", "card-3")


def _seed(rt: Runtime) -> None:
    """A board with three columns (doing has a WIP limit) and three cards, one archived."""
    commands: list[cmd.Command] = [cmd.CreateBoard(BOARD, "Fuzz")]
    commands += [
        cmd.AddColumn(BOARD, c, c.title(), wip_limit=2 if c == "doing" else None) for c in COLUMNS
    ]
    commands += [cmd.AddCard(BOARD, c, "todo", f"Card {c}", "searchable text") for c in CARDS]
    commands.append(cmd.ArchiveCard(BOARD, CARDS[-1]))
    for i, command in enumerate(commands):
        rt.kanban.bus.dispatch(command, CommandContext("admin", f"seed-{i}"))


# The document alone (create_app wires routes; only the lifespan touches the data dir).
# Built at import: schemathesis 4's lazy `from_fixture` does not run on pytest 9.
# Schema-valid requests may still be refused by the contract: 412 for a stale If-Match,
# 413 over 64 KiB, and 422 for what only the state decides (an unknown id in a body, an
# Idempotency-Key reused with another body, min_seq beyond the log's head). Invalid
# ones may be over 64 KiB too, and 413 is refused before the body is even read.
# Unknown fields are refused in bodies only: unknown query parameters are ignored.
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"allow-extra-parameters": False},
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", 401, 404, 409, 412, 413, 422]
            },
            "negative_data_rejection": {"expected-statuses": [401, 404, 405, 409, 413, 422]},
        },
    }
)
schema = schemathesis.openapi.from_dict(
    create_app(Settings(data_dir=Path("unused"))).openapi(), config=CONFIG
)


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
    """Point some valid cases at the seeded board; a live stream would never end, so not those.

    Invalid (negative) cases stay as generated: aiming them could repair what made them
    invalid, and then their acceptance would look like a bug.
    """
    params = case.path_parameters or {}
    if "board_id" not in params or case.path.endswith("/stream"):
        return
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if not data.draw(st.booleans(), label="seeded board"):
        return
    params["board_id"] = BOARD
    if "column_id" in params:
        params["column_id"] = data.draw(st.sampled_from(COLUMNS), label="column")
    if "card_id" in params:
        params["card_id"] = data.draw(st.sampled_from(CARDS), label="card")
    body: Any = case.body
    if isinstance(body, dict) and "column_id" in body:
        body["column_id"] = data.draw(st.sampled_from(COLUMNS), label="body column")


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
    case.call_and_validate(headers=AUTH)
