"""Boards built in-process, through the command bus, before a server starts on the data dir.

Building over HTTP costs a round trip per command; through the bus the commands
are group-committed thousands at a time. The events are the same either way
(decided by the domain, as the admin), and when the `with` block ends the read
models have caught up, so `kanban serve` starts on a current read side.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kanban.bootstrap import Kanban, bootstrap
from kanban.domain import commands as cmd
from kanban.settings import Settings

CHUNK = 4000
WORDS = ("design review deploy fix test write docs plan sync refactor measure ship").split()  # noqa: SIM905
LABELS = ("bench", "backend", "frontend", "bug", "feature")
PEOPLE = ("alice", "bob", "carol", "dave")


def admin() -> cmd.CommandContext:
    return cmd.CommandContext("admin", str(uuid.uuid4()), admin=True)


@dataclass
class BoardSpec:
    """A built board: its id, its column ids, and each card's id and column index (1-based)."""

    id: str
    title: str
    columns: list[str]
    cards: list[tuple[str, int]] = field(default_factory=list)
    version: int = 0
    seq: int = 0

    def lua(self, max_cards: int = 40) -> dict[str, object]:
        """The board as bench/lua/commands.lua takes it."""
        return {
            "id": self.id,
            "columns": self.columns,
            "cards": [list(c) for c in self.cards[:max_cards]],
        }


class Builder:
    """Submits commands to the bus, waiting for them in chunks."""

    def __init__(self, kanban: Kanban) -> None:
        self.kanban = kanban
        self.pending: list[tuple[Future[cmd.CommandResult], BoardSpec]] = []

    def submit(self, spec: BoardSpec, command: cmd.Command) -> None:
        self.pending.append((self.kanban.commands.submit(command, admin()), spec))
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        for future, spec in self.pending:
            result = future.result()
            if result.version >= spec.version:
                spec.version, spec.seq = result.version, result.seq
        self.pending.clear()

    def board(
        self, title: str, columns: int, cards_per_column: int, *, rich: bool = True
    ) -> BoardSpec:
        """A board of `columns` columns with `cards_per_column` cards each, like real ones."""
        spec = BoardSpec(str(uuid.uuid4()), title, [f"col-{i}" for i in range(columns)])
        self.submit(spec, cmd.CreateBoard(spec.id, title))
        for i, column in enumerate(spec.columns):
            self.submit(spec, cmd.AddColumn(spec.id, column, f"Column {i}"))
        n = 0
        for row in range(cards_per_column):
            for c, column in enumerate(spec.columns):
                n += 1
                card = f"card-{n}"
                spec.cards.append((card, c + 1))
                self.submit(spec, self._add(spec.id, card, column, n, rich, row))
        return spec

    @staticmethod
    def _add(board: str, card: str, column: str, n: int, rich: bool, row: int) -> cmd.AddCard:
        words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(4))
        if not rich:
            return cmd.AddCard(board, card, column, f"Card {n}: {words}")
        description = (
            f"## {words.title()}\n\nSteps for card {n}:\n\n- {WORDS[n % 12]} the thing\n"
            f"- check it with **{PEOPLE[n % 4]}**\n"
        )
        return cmd.AddCard(
            board,
            card,
            column,
            f"Card {n}: {words}",
            description,
            (LABELS[n % 5], LABELS[(n + 2) % 5]),
            (PEOPLE[n % 4],),
            f"2027-{(row % 12) + 1:02d}-{(n % 28) + 1:02d}" if n % 3 == 0 else None,
        )

    def settle(self, timeout: float = 120.0) -> None:
        """Wait until every submitted command is durable and projected into the read models."""
        self.flush()
        deadline = time.monotonic() + timeout
        while any(s.lag for s in self.kanban.projector.status()):
            if time.monotonic() > deadline:
                raise TimeoutError("the read models did not catch up with the log")
            time.sleep(0.02)

    def grow(self, spec: BoardSpec, events: int) -> None:
        """Edit card titles (one event each) until the board has `events` events."""
        self.flush()
        i = 0
        while spec.version < events:
            for _ in range(min(events - spec.version, CHUNK)):
                card = spec.cards[i % len(spec.cards)][0]
                self.submit(spec, cmd.EditCard(spec.id, card, title=f"Revision {i} of {card}"))
                i += 1
            self.flush()


@contextmanager
def building(data_dir: Path, **settings: object) -> Iterator[Builder]:
    """A Kanban on `data_dir` to build boards in; closed (read models current) at the end."""
    with bootstrap(Settings(data_dir=data_dir, **settings)) as kanban:  # type: ignore[arg-type]
        builder = Builder(kanban)
        yield builder
        builder.flush()
