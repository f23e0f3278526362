"""Fixtures that give a running Kanban on a real SQLite file."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kanban.bootstrap import Kanban, bootstrap
from kanban.domain import commands as cmd
from kanban.settings import Settings


class Client:
    """Dispatches commands as one actor, each under a fresh command id.

    Clients act with admin rights, so that the stories about boards need not
    grant roles first; test_permissions.py covers who may do what.
    """

    def __init__(self, kanban: Kanban, actor: str = "alice", admin: bool = True) -> None:
        self.kanban = kanban
        self.actor = actor
        self.admin = admin

    def ctx(self, command_id: str | None = None, **kw: object) -> cmd.CommandContext:
        kw.setdefault("admin", self.admin)
        return cmd.CommandContext(self.actor, command_id or str(uuid.uuid4()), **kw)  # type: ignore[arg-type]

    def run(self, command: cmd.Command, **kw: object) -> cmd.CommandResult:
        return self.kanban.bus.dispatch(command, self.ctx(**kw))

    def board(self, title: str = "Board", columns: tuple[str, ...] = ("To do", "Done")) -> str:
        board_id = self.run(cmd.CreateBoard(str(uuid.uuid4()), title)).board_id
        for i, column in enumerate(columns):
            self.run(cmd.AddColumn(board_id, f"col{i}", column))
        return board_id


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a fresh data dir under tmp_path."""
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def kanban(settings: Settings) -> Iterator[Kanban]:
    """A started Kanban (event log, board cache, command bus) on a real SQLite file."""
    with bootstrap(settings) as app:
        yield app


@pytest.fixture
def alice(kanban: Kanban) -> Client:
    return Client(kanban, "alice")


@pytest.fixture
def bob(kanban: Kanban) -> Client:
    return Client(kanban, "bob")
