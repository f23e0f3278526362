"""Fixtures that give a running Kanban: on real SQLite files, or with its log in memory.

`kanban` is the service as it runs (both databases SQLite files in a temp data
dir). `memory_kanban` is the same service wired by the same `bootstrap` with
`memory_ports`: a `MemoryEventStore` for the log (no fsyncs, which dominate a
test that writes) and the SQLite read store on a temp file (its commits do not
fsync; an in-memory SQLite database cannot be shared by the per-thread readers
without SQLITE_LOCKED). A module whose tests need no log on disk overrides
`kanban` with it:

    @pytest.fixture
    def kanban(memory_kanban: Kanban) -> Kanban:
        return memory_kanban

For the HTTP API, `create_app(settings, ports=memory_ports(settings))`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kanban.bootstrap import Kanban, Ports, bootstrap
from kanban.domain import commands as cmd
from kanban.projections.sqlite import SQLiteReadStore
from kanban.settings import Settings
from kanban.store.memory import MemoryEventStore

#: argon2id at the cheapest cost the settings allow. At the default cost a hash or a
#: check takes 0.2 s, and the tests sign in and set passwords hundreds of times; what
#: they test is who gets in, and a hash keeps its own cost wherever it travels.
CHEAP_PASSWORDS = {"password_time_cost": 1, "password_memory_kib": 1024}
#: The same, for the environment of a `kanban` process.
CHEAP_PASSWORDS_ENV = {f"KANBAN_{k.upper()}": str(v) for k, v in CHEAP_PASSWORDS.items()}


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


def memory_ports(settings: Settings) -> Ports:
    """The log in memory and the read models in `settings.read_path`, for one `bootstrap`
    (the Kanban it builds closes them)."""
    settings.read_path.parent.mkdir(parents=True, exist_ok=True)
    return Ports(log=MemoryEventStore(), read=SQLiteReadStore(settings.read_path))


@pytest.fixture
def memory_kanban(settings: Settings) -> Iterator[Kanban]:
    """A started Kanban whose log is in memory (see the module docstring)."""
    with bootstrap(settings, memory_ports(settings)) as app:
        yield app


@pytest.fixture
def alice(kanban: Kanban) -> Client:
    return Client(kanban, "alice")


@pytest.fixture
def bob(kanban: Kanban) -> Client:
    return Client(kanban, "bob")
