"""The projection protocol: a named read model fed the events it declares.

A projection turns a batch of stored events into writes of its own
(`kanban.projections.writes`); the runner gives it the events after its
checkpoint and stores the new checkpoint in the same transaction as the
writes, so a crash never applies an event twice or skips one. For a rebuild
from seq 0 it offers a `Rebuild` part (`rebuilder`), fed each event once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, NamedTuple

from kanban.domain.model import RecordedEvent
from kanban.projections.writes import ReadTransaction
from kanban.store.codec import to_stored
from kanban.store.records import JSONDict, Row, StoredEvent


class Projection(ABC):
    """A named read model fed by the events it declares.

    `apply` is given the whole transaction; each projection declares the
    narrower writes it uses (`BoardWrites`, ...) as the type of its `tx`.
    """

    name: ClassVar[str]
    handles: ClassVar[frozenset[str]]

    @abstractmethod
    def apply(self, tx: ReadTransaction, events: Sequence[StoredEvent]) -> None:
        """Project events (all of a type it handles, in seq order, none seen before)."""

    def reset(self) -> None:  # noqa: B027 - an optional hook; most projections keep no memory
        """Forget in-memory state (called before a rebuild and after a failed batch)."""

    def rebuilder(self) -> Rebuild:
        """This projection's part in a rebuild from seq 0 (by default `apply`, a page at a time)."""
        return Batched(self)


class Replayed(NamedTuple):
    """One event as a rebuild sees it: the stored texts beside the decoded record."""

    row: Row
    data: JSONDict
    record: RecordedEvent


class Rebuild(ABC):
    """One projection's share of a rebuild: fed each event it handles, once, in seq order."""

    def start(self, tx: ReadTransaction) -> None:  # noqa: B027 - most need no preparation
        """Prepare the (cleared) read model for large appends."""

    @abstractmethod
    def feed(self, event: Replayed) -> None: ...

    @abstractmethod
    def flush(self, tx: ReadTransaction) -> bool:
        """Write what the page produced; True if the rows now hold every event fed."""

    def finish(self, tx: ReadTransaction) -> None:  # noqa: B027 - most are done at their last flush
        """The last writes, after the last page."""

    def close(self, tx: ReadTransaction) -> None:  # noqa: B027 - most leave nothing undone
        """Undo what `start` put off, after the last page or a failure."""


class Batched(Rebuild):
    """Any projection's rebuild: its own `apply`, once per page."""

    def __init__(self, projection: Projection) -> None:
        self.projection = projection
        self.pending: list[Row] = []

    def feed(self, event: Replayed) -> None:
        self.pending.append(event.row)

    def flush(self, tx: ReadTransaction) -> bool:
        if self.pending:
            self.projection.apply(tx, [to_stored(row) for row in self.pending])
            self.pending.clear()
        return True
