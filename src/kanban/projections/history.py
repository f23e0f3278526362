"""The history read model: every event with who, when, a summary, and undone flags."""

from __future__ import annotations

from collections.abc import Sequence

from kanban.domain import events as ev
from kanban.domain.summary import summarize
from kanban.projections.base import HistoryRow, HistoryTuple, Projection, ReadTransaction
from kanban.projections.bulk import Rebuild, Replayed
from kanban.service.codec import decode
from kanban.store.base import StoredEvent
from kanban.store.codec import format_time


class _Named:
    """A title, as the summaries ask for it (a plain class: made twice per event)."""

    __slots__ = ("title",)

    def __init__(self, title: str) -> None:
        self.title = title


class NameBook:
    """The titles of a board's columns and cards, kept from events, for summaries."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        #: Whether anything was learnt (most events rename nothing: nothing to write).
        self.changed = False

    def column(self, column_id: str) -> _Named | None:
        title = self.names.get("column:" + column_id)
        return _Named(title) if title is not None else None

    def card(self, card_id: str) -> _Named | None:
        title = self.names.get("card:" + card_id)
        return _Named(title) if title is not None else None

    def learn(self, event: ev.Event) -> None:
        match event:
            case ev.ColumnAdded() | ev.ColumnRenamed():
                self._name(f"column:{event.column_id}", event.title)
            case ev.CardAdded():
                self._name(f"card:{event.card_id}", event.title)
            case ev.CardEdited():
                for change in event.changes:
                    if change.field == "title":
                        self._name(f"card:{event.card_id}", change.value)

    def _name(self, key: str, title: str) -> None:
        if self.names.get(key) != title:
            self.names[key] = title
            self.changed = True


class HistoryProjection(Projection):
    name = "history"
    handles = ev.BOARD_EVENTS

    def apply(self, tx: ReadTransaction, events: Sequence[StoredEvent]) -> None:
        books: dict[str, NameBook] = {}
        rows = []
        for stored in events:
            record = decode(stored)
            book = books.get(stored.stream_id)
            if book is None:
                book = books[stored.stream_id] = NameBook(tx.names(stored.stream_id))
            summary = summarize(record.event, book)
            book.learn(record.event)
            if record.undo_of:
                tx.set_undone(stored.stream_id, record.undo_of, True)
            elif record.redo_of:
                tx.set_undone(stored.stream_id, record.redo_of, False)
            rows.append(
                HistoryRow(
                    stored.seq,
                    stored.stream_id,
                    stored.version,
                    stored.type,
                    stored.data,
                    record.actor,
                    format_time(stored.recorded_at),
                    summary,
                    record.undo_of or record.redo_of or record.command_id,
                    record.undo_of,
                    record.redo_of,
                    stored.data.get("card_id"),
                )
            )
        tx.add_history(rows)
        for board_id, book in books.items():
            if book.changed:
                tx.put_names(board_id, book.names)

    def rebuilder(self) -> Rebuild:
        return HistoryRebuild()


class HistoryRebuild(Rebuild):
    """History from seq 0: the rows as `apply` writes them, appended a page at a time."""

    def __init__(self) -> None:
        self.books: dict[str, NameBook] = {}
        self.rows: list[HistoryTuple] = []
        #: (board, unit) -> undone, for the units undone or redone since the last flush.
        self.units: dict[tuple[str, str], bool] = {}
        #: Boards whose name book learnt a title since the last flush.
        self.renamed: set[str] = set()

    def feed(self, event: Replayed) -> None:
        record, row = event.record, event.row
        board_id = row[1]
        book = self.books.get(board_id)
        if book is None:
            book = self.books[board_id] = NameBook({})
        summary = summarize(record.event, book)
        book.learn(record.event)
        if book.changed:
            self.renamed.add(board_id)
            book.changed = False
        if record.undo_of:
            self.units[board_id, record.undo_of] = True
        elif record.redo_of:
            self.units[board_id, record.redo_of] = False
        self.rows.append(
            (
                row[0],
                board_id,
                row[2],
                row[4],
                # The stored text is what `apply` stores: orjson's canonical dump of the data.
                row[6].encode(),
                record.actor,
                row[8],
                summary,
                record.undo_of or record.redo_of or record.command_id,
                record.undo_of,
                record.redo_of,
                event.data.get("card_id"),
            )
        )

    def flush(self, tx: ReadTransaction) -> bool:
        tx.add_history_rows(self.rows)
        self.rows.clear()
        for (board_id, unit_id), undone in self.units.items():
            tx.set_undone(board_id, unit_id, undone)
        self.units.clear()
        for board_id in self.renamed:
            tx.put_names(board_id, self.books[board_id].names)
        self.renamed.clear()
        return True
