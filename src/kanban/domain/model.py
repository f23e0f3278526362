"""The board aggregate: state that changes only by applying events.

A `Board` is the fold of its stream. `mutate` changes the board's content for
one event; `apply` also keeps the bookkeeping that undo needs (version, each
actor's undo and redo stacks, and which change last touched each aspect).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kanban.domain import events as ev
from kanban.domain.access import Role
from kanban.domain.errors import CorruptStream

#: How many units per actor and board undo and redo remember.
UNDO_DEPTH = 1000
SNAPSHOT_SCHEMA = 2

CARD_FIELDS = ("title", "description", "labels", "assignees", "due_date")


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """A domain event with its place in the log and who caused it."""

    event: ev.Event
    version: int
    seq: int
    actor: str
    command_id: str
    recorded_at: datetime | None = None
    undo_of: str | None = None
    redo_of: str | None = None


@dataclass(frozen=True, slots=True)
class UnitRef:
    """One command's events in a stream: the unit that undo and redo act on."""

    unit_id: str
    first_version: int
    last_version: int


@dataclass(frozen=True, slots=True)
class ChangeRef:
    """The latest change to one aspect of the board (who, which event, when)."""

    version: int
    actor: str
    type: str


@dataclass(slots=True)
class Card:
    id: str
    column_id: str
    title: str
    description: str = ""
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    due_date: str | None = None
    archived: bool = False


@dataclass(slots=True)
class Column:
    id: str
    title: str
    wip_limit: int | None = None
    #: Ids of the column's non-archived cards, in order.
    cards: list[str] = field(default_factory=list)

    @property
    def over_limit(self) -> bool:
        return self.wip_limit is not None and len(self.cards) > self.wip_limit

    @property
    def full(self) -> bool:
        return self.wip_limit is not None and len(self.cards) >= self.wip_limit


@dataclass(slots=True)
class Stacks:
    done: deque[UnitRef] = field(default_factory=lambda: deque(maxlen=UNDO_DEPTH))
    undone: deque[UnitRef] = field(default_factory=lambda: deque(maxlen=UNDO_DEPTH))


class Board:
    """State of one board, rebuilt by folding its events."""

    def __init__(self, board_id: str, title: str) -> None:
        self.id = board_id
        self.title = title
        self.archived = False
        self.version = 0
        self.seq = 0
        self.column_order: list[str] = []
        self.columns: dict[str, Column] = {}
        self.cards: dict[str, Card] = {}
        #: Ids that once existed on this board and may never be reused.
        self.retired: set[str] = set()
        self.stacks: dict[str, Stacks] = {}
        #: Who may see or change the board: user id -> role.
        self.members: dict[str, Role] = {}
        self.last_change: dict[str, ChangeRef] = {}
        self._last_command: str | None = None
        #: Version of the newest snapshot of this board (0: none known).
        self.snapshot_version = 0
        #: True for a board folded for its content only (see `fold`): never decide on it.
        self.content_only = False

    # --- folding ---------------------------------------------------------

    @classmethod
    def fold(
        cls,
        records: Iterable[RecordedEvent],
        board: Board | None = None,
        content_only: bool = False,
    ) -> Board:
        """Fold events onto `board` (or from the board's creation when None).

        `content_only` skips the bookkeeping that only deciding and undoing
        need (who last changed what, each actor's undo stacks): a read model
        that only shows the board folds several times faster without it.
        """
        for record in records:
            if board is None:
                if not isinstance(record.event, ev.BoardCreated):
                    raise CorruptStream(f"stream starts with {record.event.type_name}")
                board = cls(record.event.board_id, record.event.title)
                board.content_only = content_only
            board.apply(record)
        if board is None:
            raise CorruptStream("stream has no events")
        return board

    def apply(self, record: RecordedEvent) -> None:
        if record.version != self.version + 1:
            raise CorruptStream(f"board {self.id}: version {record.version} follows {self.version}")
        self.mutate(record.event)
        self.version = record.version
        self.seq = record.seq
        if self.content_only:
            return
        ref = ChangeRef(record.version, record.actor, record.event.type_name)
        for aspect in touched(record.event):
            self.last_change[aspect] = ref
        for column_id in filled_columns(record.event):
            self.last_change[f"column:{column_id}:cards"] = ref
        self._track_unit(record)

    def _track_unit(self, record: RecordedEvent) -> None:
        # Creating a board and granting roles are not changes anyone undoes.
        if isinstance(record.event, (ev.BoardCreated, *ev.MEMBERSHIP_EVENTS)):
            return
        stacks = self.stacks.get(record.actor)
        if stacks is None:
            stacks = self.stacks[record.actor] = Stacks()
        if record.command_id == self._last_command:
            target = stacks.undone if record.undo_of else stacks.done
            if target:
                target[-1] = replace(target[-1], last_version=record.version)
            return
        self._last_command = record.command_id
        unit = record.undo_of or record.redo_of or record.command_id
        ref = UnitRef(unit, record.version, record.version)
        if record.undo_of:
            _remove(stacks.done, unit)
            stacks.undone.append(ref)
        elif record.redo_of:
            _remove(stacks.undone, unit)
            stacks.done.append(ref)
        else:
            stacks.done.append(ref)
            stacks.undone.clear()

    def mutate(self, event: ev.Event) -> None:
        """Change the board's content for one event (no rule checks: facts are facts)."""
        handler = _MUTATORS.get(type(event))
        if handler is None:
            raise CorruptStream(f"board cannot apply {event.type_name}")
        try:
            handler(self, event)
        except (KeyError, ValueError, IndexError) as exc:
            raise CorruptStream(
                f"board {self.id}: {event.type_name} does not fit the board ({exc!r})"
            ) from exc

    # --- queries used by decisions ---------------------------------------

    def column(self, column_id: str) -> Column | None:
        return self.columns.get(column_id)

    def card(self, card_id: str) -> Card | None:
        return self.cards.get(card_id)

    def card_position(self, card: Card) -> int:
        return self.columns[card.column_id].cards.index(card.id)

    def column_position(self, column_id: str) -> int:
        return self.column_order.index(column_id)

    def owners(self) -> list[str]:
        return [user for user, role in self.members.items() if role is Role.OWNER]

    def stacks_of(self, actor: str) -> Stacks:
        return self.stacks.get(actor) or Stacks()

    def clone(self) -> Board:
        """A copy of the content (not the undo bookkeeping) for trial runs."""
        other = Board(self.id, self.title)
        other.archived = self.archived
        other.version = self.version
        other.column_order = list(self.column_order)
        other.columns = {k: replace(c, cards=list(c.cards)) for k, c in self.columns.items()}
        other.cards = {k: replace(c) for k, c in self.cards.items()}
        other.retired = set(self.retired)
        other.members = dict(self.members)
        other.last_change = self.last_change
        return other

    # --- views -----------------------------------------------------------

    def view(self, include_archived: bool = False) -> dict[str, Any]:
        """The board as clients see it: columns in order, cards in order."""
        archived_by_column: dict[str, list[Card]] = {}
        if include_archived:
            for card in self.cards.values():
                if card.archived:
                    archived_by_column.setdefault(card.column_id, []).append(card)
        columns = []
        for column_id in self.column_order:
            column = self.columns[column_id]
            cards = [self.cards[c] for c in column.cards] + archived_by_column.get(column_id, [])
            columns.append(
                {
                    "id": column.id,
                    "title": column.title,
                    "wip_limit": column.wip_limit,
                    "over_limit": column.over_limit,
                    "cards": [card_view(c) for c in cards],
                }
            )
        return {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "archived": self.archived,
            "columns": columns,
        }

    # --- snapshots -------------------------------------------------------

    def to_snapshot(self) -> dict[str, Any]:
        return {
            "schema": SNAPSHOT_SCHEMA,
            "id": self.id,
            "title": self.title,
            "archived": self.archived,
            "version": self.version,
            "seq": self.seq,
            "columns": [
                [c.id, c.title, c.wip_limit, c.cards]
                for c in (self.columns[i] for i in self.column_order)
            ],
            "cards": [
                [
                    c.id,
                    c.column_id,
                    c.title,
                    c.description,
                    c.labels,
                    c.assignees,
                    c.due_date,
                    c.archived,
                ]
                for c in self.cards.values()
            ],
            "retired": sorted(self.retired),
            "stacks": {
                actor: [
                    [list(u) for u in (_ref_tuple(r) for r in s.done)],
                    [list(u) for u in (_ref_tuple(r) for r in s.undone)],
                ]
                for actor, s in self.stacks.items()
            },
            "members": {user: str(role) for user, role in self.members.items()},
            "last_change": {k: [r.version, r.actor, r.type] for k, r in self.last_change.items()},
            "last_command": self._last_command,
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> Board:
        if data.get("schema") != SNAPSHOT_SCHEMA:
            raise ValueError("snapshot schema differs from this code")
        board = cls(data["id"], data["title"])
        board.archived = data["archived"]
        board.version = data["version"]
        board.seq = data["seq"]
        for cid, title, wip, cards in data["columns"]:
            board.columns[cid] = Column(cid, title, wip, list(cards))
            board.column_order.append(cid)
        for cid, col, title, desc, labels, assignees, due, archived in data["cards"]:
            board.cards[cid] = Card(
                cid, col, title, desc, tuple(labels), tuple(assignees), due, archived
            )
        board.retired = set(data["retired"])
        for actor, (done, undone) in data["stacks"].items():
            stacks = Stacks()
            stacks.done.extend(UnitRef(*u) for u in done)
            stacks.undone.extend(UnitRef(*u) for u in undone)
            board.stacks[actor] = stacks
        board.members = {user: Role(role) for user, role in data["members"].items()}
        board.last_change = {k: ChangeRef(*v) for k, v in data["last_change"].items()}
        board._last_command = data["last_command"]
        board.snapshot_version = board.version
        return board


def card_view(card: Card) -> dict[str, Any]:
    return {
        "id": card.id,
        "column_id": card.column_id,
        "title": card.title,
        "description": card.description,
        "labels": list(card.labels),
        "assignees": list(card.assignees),
        "due_date": card.due_date,
        "archived": card.archived,
    }


def _ref_tuple(ref: UnitRef) -> tuple[str, int, int]:
    return (ref.unit_id, ref.first_version, ref.last_version)


def _remove(stack: deque[UnitRef], unit_id: str) -> None:
    # Normally the unit is on top; a capped stack may have dropped it.
    for i in range(len(stack) - 1, -1, -1):
        if stack[i].unit_id == unit_id:
            del stack[i]
            return


# --- aspects: what each event touches, for undo's conflict detection ---------


def touched(event: ev.Event) -> tuple[str, ...]:
    """The aspects an event changes, recorded in `Board.last_change`.

    A new card's fields need no entry of their own: an absent entry already
    says "not changed since", which keeps a board's bookkeeping at one entry
    per card plus one per edited field.
    """
    if isinstance(event, ev.CardAdded | ev.CardRemoved):
        return (f"card:{event.card_id}",)
    return aspects(event)


def aspects(event: ev.Event) -> tuple[str, ...]:
    """The aspects an event depends on: a later change to any of them blocks its undo."""
    match event:
        case ev.BoardRenamed():
            return ("board:title",)
        case ev.BoardArchived() | ev.BoardRestored():
            return ("board:archived",)
        case ev.ColumnAdded() | ev.ColumnRemoved():
            c = event.column_id
            return (f"column:{c}", f"column:{c}:title", f"column:{c}:wip", f"column:{c}:position")
        case ev.ColumnRenamed():
            return (f"column:{event.column_id}:title",)
        case ev.ColumnMoved():
            return (f"column:{event.column_id}:position",)
        case ev.WipLimitChanged():
            return (f"column:{event.column_id}:wip",)
        case ev.CardAdded() | ev.CardRemoved():
            return (
                f"card:{event.card_id}",
                *tuple(f"card:{event.card_id}:{f}" for f in CARD_FIELDS),
            )
        case ev.CardEdited():
            return tuple(f"card:{event.card_id}:{c.field}" for c in event.changes)
        case ev.CardMoved() | ev.CardArchived() | ev.CardRestored():
            return (f"card:{event.card_id}",)
    return ()


def filled_columns(event: ev.Event) -> tuple[str, ...]:
    """Columns whose card count an event changes (for undo's WIP-limit check)."""
    match event:
        case ev.CardAdded() | ev.CardRemoved() | ev.CardArchived() | ev.CardRestored():
            return (event.column_id,)
        case ev.CardMoved() if event.from_column_id != event.to_column_id:
            return (event.from_column_id, event.to_column_id)
    return ()


# --- mutators: one per event type ---------------------------------------------


def _board_renamed(b: Board, e: ev.BoardRenamed) -> None:
    b.title = e.title


def _board_archived(b: Board, e: ev.BoardArchived) -> None:
    b.archived = True


def _board_restored(b: Board, e: ev.BoardRestored) -> None:
    b.archived = False


def _board_created(b: Board, e: ev.BoardCreated) -> None:
    b.id, b.title = e.board_id, e.title
    if e.owner is not None:
        b.members[e.owner] = Role.OWNER


def _column_added(b: Board, e: ev.ColumnAdded) -> None:
    if e.column_id in b.columns:
        raise ValueError(f"column {e.column_id} already exists")
    b.columns[e.column_id] = Column(e.column_id, e.title, e.wip_limit)
    b.column_order.insert(e.position, e.column_id)
    b.retired.discard(e.column_id)


def _column_renamed(b: Board, e: ev.ColumnRenamed) -> None:
    b.columns[e.column_id].title = e.title


def _column_moved(b: Board, e: ev.ColumnMoved) -> None:
    b.column_order.remove(e.column_id)
    b.column_order.insert(e.position, e.column_id)


def _column_removed(b: Board, e: ev.ColumnRemoved) -> None:
    if b.columns[e.column_id].cards:
        raise ValueError(f"column {e.column_id} still holds cards")
    del b.columns[e.column_id]
    b.column_order.remove(e.column_id)
    b.retired.add(e.column_id)


def _wip_limit_changed(b: Board, e: ev.WipLimitChanged) -> None:
    b.columns[e.column_id].wip_limit = e.wip_limit


def _card_added(b: Board, e: ev.CardAdded) -> None:
    if e.card_id in b.cards:
        raise ValueError(f"card {e.card_id} already exists")
    b.columns[e.column_id].cards.insert(e.position, e.card_id)
    b.cards[e.card_id] = Card(
        e.card_id, e.column_id, e.title, e.description, e.labels, e.assignees, e.due_date
    )
    b.retired.discard(e.card_id)


def _card_removed(b: Board, e: ev.CardRemoved) -> None:
    card = b.cards.pop(e.card_id)
    if not card.archived:
        b.columns[card.column_id].cards.remove(card.id)
    b.retired.add(card.id)


def _card_edited(b: Board, e: ev.CardEdited) -> None:
    card = b.cards[e.card_id]
    for change in e.changes:
        if change.field not in CARD_FIELDS:
            raise ValueError(f"unknown card field {change.field}")
        setattr(card, change.field, change.value)


def _card_moved(b: Board, e: ev.CardMoved) -> None:
    card = b.cards[e.card_id]
    b.columns[card.column_id].cards.remove(card.id)
    b.columns[e.to_column_id].cards.insert(e.to_position, card.id)
    card.column_id = e.to_column_id


def _card_archived(b: Board, e: ev.CardArchived) -> None:
    card = b.cards[e.card_id]
    b.columns[card.column_id].cards.remove(card.id)
    card.archived = True
    card.column_id = e.home_column_id or card.column_id


def _card_restored(b: Board, e: ev.CardRestored) -> None:
    card = b.cards[e.card_id]
    if not card.archived:
        raise ValueError(f"card {card.id} is not archived")
    b.columns[e.column_id].cards.insert(e.position, card.id)
    card.column_id = e.column_id
    card.archived = False


def _member_set(b: Board, e: ev.MemberAdded | ev.MemberRoleChanged) -> None:
    b.members[e.user_id] = Role(e.role)


def _member_removed(b: Board, e: ev.MemberRemoved) -> None:
    del b.members[e.user_id]


_MUTATORS: dict[type[ev.Event], Any] = {
    ev.BoardCreated: _board_created,
    ev.BoardRenamed: _board_renamed,
    ev.BoardArchived: _board_archived,
    ev.BoardRestored: _board_restored,
    ev.ColumnAdded: _column_added,
    ev.ColumnRenamed: _column_renamed,
    ev.ColumnMoved: _column_moved,
    ev.ColumnRemoved: _column_removed,
    ev.WipLimitChanged: _wip_limit_changed,
    ev.CardAdded: _card_added,
    ev.CardRemoved: _card_removed,
    ev.CardEdited: _card_edited,
    ev.CardMoved: _card_moved,
    ev.CardArchived: _card_archived,
    ev.CardRestored: _card_restored,
    ev.MemberAdded: _member_set,
    ev.MemberRoleChanged: _member_set,
    ev.MemberRemoved: _member_removed,
}
