"""The history read model: every event with who, when, a summary, and undone flags."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import partial

from kanban.domain import events as ev
from kanban.domain.summary import summarize
from kanban.projections.projection import Projection, Rebuild, Replayed
from kanban.projections.rows import HistoryRow, HistoryTuple
from kanban.projections.writes import HistoryWrites
from kanban.service.mapper import EventMapper
from kanban.store.codec import format_time
from kanban.store.records import StoredEvent


class _Named:
    """A title, as the summaries ask for it (a plain class: made twice per event)."""

    __slots__ = ("title",)

    def __init__(self, title: str) -> None:
        self.title = title


class NameBook:
    """The titles of a board's columns and cards, kept from events, for summaries.

    Titles are looked up one at a time (`lookup`: the stored one, when the book
    did not start empty) and written one at a time (`learnt`): a board's whole
    book is O(cards), read and written per batch it was not.
    """

    def __init__(self, lookup: Callable[[str], str | None] | None = None) -> None:
        self.names: dict[str, str | None] = {}
        self.lookup = lookup
        #: The titles learnt since `learnt` was last written and cleared.
        self.learnt: dict[str, str] = {}
        #: The board version of the last event learnt from (0: none yet).
        self.version = 0

    def column(self, column_id: str) -> _Named | None:
        title = self._title("column:" + column_id)
        return _Named(title) if title is not None else None

    def card(self, card_id: str) -> _Named | None:
        title = self._title("card:" + card_id)
        return _Named(title) if title is not None else None

    def _title(self, key: str) -> str | None:
        try:
            return self.names[key]
        except KeyError:
            title = self.names[key] = self.lookup(key) if self.lookup else None
            return title

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
        if self._title(key) != title:
            self.names[key] = self.learnt[key] = title


class HistoryProjection(Projection):
    name = "history"
    handles = ev.BOARD_EVENTS

    def __init__(self, mapper: EventMapper, capacity: int = 256) -> None:
        self.mapper = mapper
        self.capacity = capacity
        #: Per board, its name book as of the last event projected. Kept between
        #: batches: looking a title up in read.db cost more than the rest of a row.
        self._books: OrderedDict[str, NameBook] = OrderedDict()

    def reset(self) -> None:
        self._books.clear()

    def apply(self, tx: HistoryWrites, events: Sequence[StoredEvent]) -> None:
        books: dict[str, NameBook] = {}
        rows = []
        for stored in events:
            record = self.mapper.decode(stored)
            book = books.get(stored.stream_id)
            if book is None:
                book = books[stored.stream_id] = self._book(tx, stored)
            summary = summarize(record.event, book)
            book.learn(record.event)
            book.version = stored.version
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
            if book.learnt:
                tx.put_names(board_id, book.learnt)
                book.learnt = {}
            self._books[board_id] = book
            self._books.move_to_end(board_id)
        while len(self._books) > self.capacity:
            self._books.popitem(last=False)

    def _book(self, tx: HistoryWrites, first: StoredEvent) -> NameBook:
        """The board's kept book if it learnt from the event just before `first`, else a new one.

        Any other version means the book missed events (projected elsewhere, or
        learnt from a batch that rolled back): it starts again from read.db.
        """
        lookup = partial(tx.name, first.stream_id)
        book = self._books.get(first.stream_id)
        if book is None or book.version != first.version - 1:
            return NameBook(lookup)
        book.lookup = lookup
        return book

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
            book = self.books[board_id] = NameBook()  # from seq 0: every title is learnt here
        summary = summarize(record.event, book)
        book.learn(record.event)
        if book.learnt:
            self.renamed.add(board_id)
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

    def start(self, tx: HistoryWrites) -> None:
        # Appended row by row, history's indexes cost more than its rows: built once, after.
        tx.defer_indexes()

    def flush(self, tx: HistoryWrites) -> bool:
        tx.add_history_rows(self.rows)
        self.rows.clear()
        for (board_id, unit_id), undone in self.units.items():
            tx.set_undone(board_id, unit_id, undone)
        self.units.clear()
        for board_id in self.renamed:
            book = self.books[board_id]
            tx.put_names(board_id, book.learnt)
            book.learnt = {}
        self.renamed.clear()
        return True

    def close(self, tx: HistoryWrites) -> None:
        tx.build_indexes()
