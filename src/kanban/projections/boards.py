"""The board read models: board list, board views (pre-serialized JSON) and cards."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Sequence

from kanban.domain import events as ev
from kanban.domain.model import Board, card_view
from kanban.projections.projection import Projection, Rebuild, Replayed
from kanban.projections.render import frame
from kanban.projections.rows import BoardRow, CardWrite
from kanban.projections.writes import BoardWrites
from kanban.service.mapper import EventMapper
from kanban.service.repository import load_board
from kanban.store.codec import format_time
from kanban.store.ports import EventFeed
from kanban.store.records import StoredEvent


class BoardsProjection(Projection):
    """Folds each board with the domain's own rules, then writes what changed.

    Folding with `Board.apply` (rather than re-implementing positions in SQL)
    is what makes the read model equal to a fresh fold of the log.
    """

    name = "boards"
    handles = ev.BOARD_EVENTS

    def __init__(
        self,
        source: EventFeed,
        mapper: EventMapper,
        capacity: int = 256,
        rebuild_capacity: int = 2_000,
    ) -> None:
        self.source = source
        self.mapper = mapper
        self.capacity = capacity
        #: Boards a rebuild holds in memory at once.
        self.rebuild_capacity = rebuild_capacity
        self._boards: OrderedDict[str, Board] = OrderedDict()

    def reset(self) -> None:
        self._boards.clear()

    def rebuilder(self) -> Rebuild:
        return BoardsRebuild(self.source, self.mapper, self.rebuild_capacity)

    def apply(self, tx: BoardWrites, events: Sequence[StoredEvent]) -> None:
        touched: dict[str, Board] = {}
        #: Per board, each changed card and the version of its latest change.
        cards: dict[str, dict[str, int]] = {}
        #: Per board, the changed cards whose title or description changed.
        texts: dict[str, set[str]] = {}
        created: dict[str, str] = {}
        updated: dict[str, str] = {}
        for stored in events:
            board = touched.get(stored.stream_id)
            if board is None:
                board = self._board(tx, stored.stream_id)
            if board is not None and stored.version <= board.version:
                continue  # already projected
            record = self.mapper.decode(stored)
            board = Board.fold([record], board, content_only=True)
            touched[board.id] = board
            updated[board.id] = format_time(stored.recorded_at)
            if stored.version == 1:
                created[board.id] = updated[board.id]
            card_id = stored.data.get("card_id")
            if card_id:
                cards.setdefault(board.id, {})[card_id] = stored.version
                if changes_text(record.event):
                    texts.setdefault(board.id, set()).add(card_id)
        # Rows depend only on the log, never on how it was cut into batches,
        # so that a rebuild writes exactly what live projection wrote.
        for board_id, board in touched.items():
            # Only a new board's row takes created_at (an upsert keeps the first).
            created_at = created.get(board_id, updated[board_id])
            write_board(
                tx,
                board,
                created_at,
                updated[board_id],
                cards.get(board_id, {}),
                texts.get(board_id, set()),
            )
            self._remember(board)

    def _board(self, tx: BoardWrites, board_id: str) -> Board | None:
        version = tx.board_version(board_id)
        board = self._boards.get(board_id)
        if board is not None and board.version == version:
            return board
        if version == 0:
            return None
        # Cold (restart, or evicted): the board as the read model last saw it.
        board = load_board(self.source, self.mapper, board_id, version)
        board.content_only = True  # what it folds from here on is for the view only
        return board

    def _remember(self, board: Board) -> None:
        self._boards[board.id] = board
        self._boards.move_to_end(board.id)
        while len(self._boards) > self.capacity:
            self._boards.popitem(last=False)


class BoardsRebuild(Rebuild):
    """The boards from seq 0: folded in memory, each written once, at the end.

    At most `capacity` boards are held; the oldest is then written and let go,
    and folded again from its snapshot should it change later (rows are
    upserts: the last write wins).
    """

    def __init__(self, source: EventFeed, mapper: EventMapper, capacity: int) -> None:
        self.source = source
        self.mapper = mapper
        self.capacity = capacity
        self.boards: dict[str, _Folding] = {}
        self.evicted: list[_Folding] = []

    def feed(self, event: Replayed) -> None:
        record, row = event.record, event.row
        folding = self.boards.get(row[1])
        if folding is None:
            if row[2] == 1:
                board = Board.fold([record], content_only=True)
                folding = _Folding(board, created_at=row[8])
            else:
                # Let go earlier: folded again from its newest snapshot.
                board = load_board(self.source, self.mapper, row[1], row[2])
                board.content_only = True
                folding = _Folding(board, created_at=None)
            self.boards[row[1]] = folding
            if len(self.boards) > self.capacity:
                oldest = next(iter(self.boards))
                self.evicted.append(self.boards.pop(oldest))
        else:
            folding.board.apply(record)
        folding.updated_at = row[8]
        card_id = event.data.get("card_id")
        if card_id:
            folding.cards[card_id] = row[2]

    def flush(self, tx: BoardWrites) -> bool:
        for folding in self.evicted:
            folding.write(tx)
        self.evicted.clear()
        return False  # the boards still in memory are not written yet

    def finish(self, tx: BoardWrites) -> None:
        self.flush(tx)
        for folding in self.boards.values():
            folding.write(tx)
        self.boards.clear()


class _Folding:
    """A board being rebuilt, with what its rows need beyond the board itself."""

    def __init__(self, board: Board, created_at: str | None) -> None:
        self.board = board
        self.created_at = created_at
        self.updated_at = created_at or ""
        #: Each card changed while folded here, and the version of its latest change.
        self.cards: dict[str, int] = {}

    def write(self, tx: BoardWrites) -> None:
        # A board folded again keeps the created_at of its first write (an upsert).
        created_at = self.created_at or self.updated_at
        write_board(tx, self.board, created_at, self.updated_at, self.cards)


_TEXT_FIELDS = frozenset({"title", "description"})


def changes_text(event: ev.Event) -> bool:
    """Whether a card event may change the card's searchable text (unknown events: yes).

    Asked of the decoded event, so that an event stored in an older schema is
    judged by what it means now.
    """
    match event:
        case ev.CardMoved() | ev.CardArchived() | ev.CardRestored():
            return False
        case ev.CardEdited():
            return any(change.field in _TEXT_FIELDS for change in event.changes)
    return True


def write_board(
    tx: BoardWrites,
    board: Board,
    created_at: str,
    updated_at: str,
    cards: dict[str, int],
    texts: Collection[str] | None = None,
) -> None:
    """Write the board's row and frame, and the rows of `cards` (id -> version of its change).

    `texts` are the cards among them whose title or description changed (None: all of
    them); the others are stored already with their text, so search keeps it.
    """
    row = BoardRow(
        board.id, board.title, board.version, board.seq, board.archived, created_at, updated_at
    )
    tx.put_board(row, frame(board))
    kept: list[CardWrite] = []
    for card_id, version in cards.items():
        card = board.card(card_id)
        if card is None:
            tx.delete_card(board.id, card_id)
        else:
            kept.append((card_view(card), version, texts is None or card_id in texts))
    if kept:
        tx.put_cards(board.id, kept)
