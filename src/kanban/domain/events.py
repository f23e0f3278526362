"""Domain events: immutable facts, named in the past tense, with a schema version.

Every event carries what is needed to reverse it (a move records where the card
came from, an edit records the previous values), so undo never has to search
old history. Reading an older schema version upcasts it in code; stored events
are never rewritten.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from kanban.domain.errors import UnreadableEvent

JSON = dict[str, Any]
Upcaster = Callable[[JSON], JSON]
EventType = TypeVar("EventType", bound="type[Event]")


@dataclass
class EventRegistry:
    """Maps stored type names to event classes and upcasts older schema versions."""

    classes: dict[str, type[Event]] = field(default_factory=dict)
    upcasters: dict[tuple[str, int], Upcaster] = field(default_factory=dict)

    def register(self, cls: EventType) -> EventType:
        """Know `cls` by its `type_name` (a class decorator on each event type)."""
        self.classes[cls.type_name] = cls
        return cls

    def upcaster(self, type_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register a function turning data of `from_version` into `from_version + 1`."""

        def decorate(fn: Upcaster) -> Upcaster:
            self.upcasters[(type_name, from_version)] = fn
            return fn

        return decorate

    def class_for(self, type_name: str, schema_version: int) -> type[Event]:
        """The class that reads `type_name` stored in `schema_version` (UnreadableEvent if none)."""
        cls = self.classes.get(type_name)
        if cls is None:
            raise UnreadableEvent(f"unknown event type {type_name!r}")
        if schema_version > cls.schema_version:
            raise UnreadableEvent(
                f"{type_name} schema version {schema_version} is newer than this code "
                f"({cls.schema_version})"
            )
        for version in range(schema_version, cls.schema_version):
            if (type_name, version) not in self.upcasters:
                raise UnreadableEvent(f"no upcaster for {type_name} v{version}")
        return cls

    def decode(self, type_name: str, schema_version: int, data: JSON) -> Event:
        """The event stored as `data`; UnreadableEvent when this code cannot read it."""
        cls = self.classes.get(type_name)
        if cls is None or schema_version != cls.schema_version:  # unknown, older or newer
            cls = self.class_for(type_name, schema_version)
            while schema_version < cls.schema_version:
                data = self.upcasters[(type_name, schema_version)](data)
                schema_version += 1
        return cls.from_data(data)


#: Every event type of Kanban, each registered by its class's decorator.
registry = EventRegistry()


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every domain event."""

    type_name: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    def to_data(self) -> JSON:
        """The event's fields as plain JSON-ready data, keys in sorted order at every level.

        Sorted as the log stores them, so that what an append hands back is this very
        data, not the stored text read again.
        """
        # Every command encodes its events: scalars (most fields) skip _plain's checks.
        data = {}
        cls = type(self)
        for name in (_SHAPES.get(cls) or _shape(cls)).sorted_names:
            value = getattr(self, name)
            data[name] = value if type(value) in _SCALARS else _plain(value)
        return data

    @classmethod
    def from_data(cls, data: JSON) -> Event:
        """Rebuild the event from `to_data` output of the current schema version.

        Keys it does not know (data of a newer minor change) are left out; a field
        it needs and does not find is an UnreadableEvent.
        """
        # Replays decode every event of the log: the common case (exactly the
        # fields) is one lookup and one call, the keys looked at only when refused.
        shape = _SHAPES.get(cls) or _shape(cls)
        try:
            if shape.flat:
                return cls(**data)
            return cls(**{k: _freeze(v) if type(v) is list else v for k, v in data.items()})
        except TypeError:
            if data.keys() == shape.names:
                raise  # not the data's keys: a bug, never taken for unreadable data
        missing = shape.required - data.keys()
        if missing:
            raise UnreadableEvent(f"{cls.type_name} lacks {', '.join(sorted(missing))}")
        # Only known keys now: a TypeError from here on is a bug, and propagates.
        return cls(**{k: _freeze(v) for k, v in data.items() if k in shape.names})


@dataclass(frozen=True, slots=True)
class _Shape:
    """What reading and writing a dataclass's data needs to know of its fields."""

    names: frozenset[str]
    sorted_names: tuple[str, ...]
    #: The fields without a default.
    required: frozenset[str]
    #: No field can hold a list (nothing to freeze into a tuple).
    flat: bool


_SHAPES: dict[type, _Shape] = {}


def _shape(cls: type) -> _Shape:
    """A dataclass's shape, asked of `dataclasses.fields` once per class."""
    shape = _SHAPES.get(cls)
    if shape is None:
        fields = dataclasses.fields(cls)
        shape = _SHAPES[cls] = _Shape(
            frozenset(f.name for f in fields),
            tuple(sorted(f.name for f in fields)),
            frozenset(
                f.name
                for f in fields
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            ),
            not any(any(word in str(f.type) for word in ("tuple", "list", "Any")) for f in fields),
        )
    return shape


def field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names, in sorted order."""
    return (_SHAPES.get(cls) or _shape(cls)).sorted_names


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in field_names(type(value))}
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


# --- board -------------------------------------------------------------------


@registry.register
@dataclass(frozen=True, slots=True)
class BoardCreated(Event):
    """A new board; its creator is its first owner (None on boards older than roles)."""

    type_name: ClassVar[str] = "BoardCreated"
    schema_version: ClassVar[int] = 2
    board_id: str
    title: str
    owner: str | None = None


@registry.register
@dataclass(frozen=True, slots=True)
class BoardRenamed(Event):
    type_name: ClassVar[str] = "BoardRenamed"
    title: str
    previous_title: str


@registry.register
@dataclass(frozen=True, slots=True)
class BoardArchived(Event):
    type_name: ClassVar[str] = "BoardArchived"


@registry.register
@dataclass(frozen=True, slots=True)
class BoardRestored(Event):
    type_name: ClassVar[str] = "BoardRestored"


# --- columns -----------------------------------------------------------------


@registry.register
@dataclass(frozen=True, slots=True)
class ColumnAdded(Event):
    type_name: ClassVar[str] = "ColumnAdded"
    column_id: str
    title: str
    position: int
    wip_limit: int | None = None


@registry.register
@dataclass(frozen=True, slots=True)
class ColumnRenamed(Event):
    type_name: ClassVar[str] = "ColumnRenamed"
    column_id: str
    title: str
    previous_title: str


@registry.register
@dataclass(frozen=True, slots=True)
class ColumnMoved(Event):
    type_name: ClassVar[str] = "ColumnMoved"
    column_id: str
    position: int
    previous_position: int


@registry.register
@dataclass(frozen=True, slots=True)
class ColumnRemoved(Event):
    """A column left the board; it records enough to bring it back as it was."""

    type_name: ClassVar[str] = "ColumnRemoved"
    column_id: str
    title: str
    position: int
    wip_limit: int | None = None


@registry.register
@dataclass(frozen=True, slots=True)
class WipLimitChanged(Event):
    """A column's WIP limit was set (a number) or cleared (None)."""

    type_name: ClassVar[str] = "WipLimitChanged"
    column_id: str
    wip_limit: int | None
    previous_wip_limit: int | None


# --- cards -------------------------------------------------------------------


@registry.register
@dataclass(frozen=True, slots=True)
class CardAdded(Event):
    type_name: ClassVar[str] = "CardAdded"
    card_id: str
    column_id: str
    position: int
    title: str
    description: str = ""
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    due_date: str | None = None


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One card field's new value and the value it replaced."""

    field: str
    value: Any
    previous: Any


@registry.register
@dataclass(frozen=True, slots=True)
class CardEdited(Event):
    type_name: ClassVar[str] = "CardEdited"
    card_id: str
    changes: tuple[FieldChange, ...]

    @classmethod
    def from_data(cls, data: JSON) -> Event:
        changes = data.get("changes")
        if "card_id" not in data or type(changes) is not list:
            raise UnreadableEvent("CardEdited lacks card_id or its list of changes")
        for change in changes:
            if type(change) is not dict or not change.keys() >= _CHANGE_KEYS:
                raise UnreadableEvent(f"CardEdited has a change that is not one: {change!r}")
        return cls(
            card_id=data["card_id"],
            changes=tuple(
                FieldChange(c["field"], _freeze(c["value"]), _freeze(c["previous"]))
                for c in changes
            ),
        )


_CHANGE_KEYS = frozenset({"field", "value", "previous"})


@registry.register
@dataclass(frozen=True, slots=True)
class CardMoved(Event):
    type_name: ClassVar[str] = "CardMoved"
    card_id: str
    from_column_id: str
    from_position: int
    to_column_id: str
    to_position: int


@registry.register
@dataclass(frozen=True, slots=True)
class CardArchived(Event):
    """A card left its column's order; it records where it stood."""

    type_name: ClassVar[str] = "CardArchived"
    card_id: str
    column_id: str
    position: int
    #: The column the archived card belongs to when it is not the one it left
    #: (set only by undoing a restore into another column).
    home_column_id: str | None = None


@registry.register
@dataclass(frozen=True, slots=True)
class CardRestored(Event):
    type_name: ClassVar[str] = "CardRestored"
    card_id: str
    column_id: str
    position: int
    #: The column the card was archived from, when it is restored elsewhere.
    previous_column_id: str | None = None


@registry.register
@dataclass(frozen=True, slots=True)
class CardRemoved(Event):
    """Undo of a card's creation: the card leaves the board, its history stays.

    It carries the card as it was so that a redo brings back the same card.
    """

    type_name: ClassVar[str] = "CardRemoved"
    card_id: str
    column_id: str
    position: int
    title: str
    description: str = ""
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    due_date: str | None = None


# --- board membership (in the board's stream; never undone) ----------------


@registry.register
@dataclass(frozen=True, slots=True)
class MemberAdded(Event):
    """A user was given a role on the board; `name` is their name at the time."""

    type_name: ClassVar[str] = "MemberAdded"
    user_id: str
    name: str
    role: str


@registry.register
@dataclass(frozen=True, slots=True)
class MemberRoleChanged(Event):
    type_name: ClassVar[str] = "MemberRoleChanged"
    user_id: str
    name: str
    role: str
    previous_role: str


@registry.register
@dataclass(frozen=True, slots=True)
class MemberRemoved(Event):
    type_name: ClassVar[str] = "MemberRemoved"
    user_id: str
    name: str
    role: str


# --- users and tokens (in the system stream) ----------------------------------


@registry.register
@dataclass(frozen=True, slots=True)
class UserAdded(Event):
    """A user account; only a password's hash is ever recorded."""

    type_name: ClassVar[str] = "UserAdded"
    user_id: str
    name: str
    display_name: str
    admin: bool = False
    password_hash: str | None = None


@registry.register
@dataclass(frozen=True, slots=True)
class UserUpdated(Event):
    """A user's display name or admin flag changed (None: left as it was)."""

    type_name: ClassVar[str] = "UserUpdated"
    user_id: str
    display_name: str | None = None
    admin: bool | None = None


@registry.register
@dataclass(frozen=True, slots=True)
class PasswordChanged(Event):
    """A user's password was set or changed (None: removed); only its hash is recorded."""

    type_name: ClassVar[str] = "PasswordChanged"
    user_id: str
    password_hash: str | None


@registry.register
@dataclass(frozen=True, slots=True)
class TokenIssued(Event):
    """An API token or a web session; only a hash of its secret is recorded."""

    type_name: ClassVar[str] = "TokenIssued"
    user_id: str
    token_id: str
    token_hash: str
    kind: str = "api"
    label: str = ""
    #: ISO 8601 UTC; None: the token does not expire.
    expires_at: str | None = None


@registry.register
@dataclass(frozen=True, slots=True)
class TokenRevoked(Event):
    type_name: ClassVar[str] = "TokenRevoked"
    user_id: str
    token_id: str


# --- upcasting ----------------------------------------------------------------


@registry.upcaster("BoardCreated", 1)
def _board_created_v1(data: JSON) -> JSON:
    # Boards created before roles existed have no owner: only admins manage them.
    return {**data, "owner": None}


#: Events of the system stream (users and tokens); every other event is a board's.
SYSTEM_EVENTS = frozenset(
    c.type_name for c in (UserAdded, UserUpdated, PasswordChanged, TokenIssued, TokenRevoked)
)
BOARD_EVENTS = frozenset(registry.classes) - SYSTEM_EVENTS
#: Board events about who may do what: no undo unit, no aspect, not undoable.
MEMBERSHIP_EVENTS = (MemberAdded, MemberRoleChanged, MemberRemoved)
