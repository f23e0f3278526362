"""Events: immutable, named and versioned; older schema versions upcast on read."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import pytest

from kanban.domain import events as ev


@dataclass(frozen=True, slots=True)
class LabelRenamed(ev.Event):
    """A test event at schema version 3: v1 had 'name', v2 added 'color'."""

    type_name: ClassVar[str] = "LabelRenamed"
    schema_version: ClassVar[int] = 3
    label: str
    color: str


@pytest.fixture
def registry() -> ev.EventRegistry:
    """A registry knowing LabelRenamed with upcasters from v1 and v2."""
    reg = ev.EventRegistry()
    reg.register(LabelRenamed)

    @reg.upcaster("LabelRenamed", 1)
    def v1_to_v2(data: ev.JSON) -> ev.JSON:
        return {"name": data["name"], "color": "grey"}

    @reg.upcaster("LabelRenamed", 2)
    def v2_to_v3(data: ev.JSON) -> ev.JSON:
        return {"label": data["name"], "color": data["color"]}

    return reg


@pytest.mark.parametrize(
    ("version", "data", "expected"),
    [
        (1, {"name": "bug"}, LabelRenamed("bug", "grey")),
        (2, {"name": "bug", "color": "red"}, LabelRenamed("bug", "red")),
        (3, {"label": "bug", "color": "red"}, LabelRenamed("bug", "red")),
    ],
)
def test_older_schema_versions_are_upcast_on_read(
    registry: ev.EventRegistry, version: int, data: ev.JSON, expected: LabelRenamed
) -> None:
    assert registry.decode("LabelRenamed", version, data) == expected


@pytest.mark.parametrize(
    ("type_name", "version", "message"),
    [
        ("LabelRenamed", 4, "newer than this code"),
        ("NoSuchEvent", 1, "unknown event type"),
    ],
)
def test_unreadable_events_are_refused(
    registry: ev.EventRegistry, type_name: str, version: int, message: str
) -> None:
    with pytest.raises(LookupError, match=message):
        registry.decode(type_name, version, {})


def test_events_are_frozen() -> None:
    event = ev.CardMoved("c", "a", 0, "b", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.to_position = 2  # type: ignore[misc]


def test_every_event_type_is_registered_and_named_in_the_past_tense() -> None:
    names = set(ev.registry.classes)
    assert len(names) == 23
    assert all(name.endswith(("ed", "Changed")) for name in names)
