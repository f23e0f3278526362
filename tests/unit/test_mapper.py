"""The mapper: domain events to store records and back, and what it refuses to read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

import pytest

from kanban.domain import commands as cmd
from kanban.domain import events as ev
from kanban.domain.errors import CorruptEvent
from kanban.service.mapper import EventMapper, command_hash
from kanban.store.codec import appended, dumps, format_time
from kanban.store.records import NewEvent, StoredEvent

AT = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)


def stored(type_name: str, data: dict[str, object], seq: int = 7, version: int = 1) -> StoredEvent:
    meta = {"actor": "alice", "command_id": "c-1"}
    return StoredEvent(seq, "b", version, f"e-{seq}", type_name, 1, data, meta, AT, f"{seq:064x}")


def test_an_event_round_trips_through_its_record() -> None:
    mapper = EventMapper()
    event = ev.CardEdited("c", (ev.FieldChange("labels", ("a", "b"), ()),))
    [new] = mapper.encode([event])
    record = mapper.decode(stored(new.type, dict(new.data)))
    assert record.event == event
    assert (record.seq, record.actor, record.command_id) == (7, "alice", "c-1")


def test_encoded_data_and_metadata_come_with_their_keys_sorted() -> None:
    mapper = EventMapper()
    [new] = mapper.encode([ev.CardEdited("c", (ev.FieldChange("title", "T", "S"),))])
    assert list(new.data) == sorted(new.data)
    assert list(new.data["changes"][0]) == ["field", "previous", "value"]
    ctx = cmd.CommandContext("alice", "c-1", correlation_id="r")
    meta = mapper.metadata(ctx, cmd.RenameBoard("b", "T"), "u", None)
    assert list(meta) == sorted(meta)
    assert "redo_of" not in meta


def test_an_append_hands_back_the_mappings_it_was_given_when_they_read_back_the_same() -> None:
    mapper = EventMapper()
    [new] = mapper.encode([ev.CardAdded("c", "col", 0, "T", labels=("x",))])
    meta = mapper.metadata(cmd.CommandContext.new("alice"), cmd.RenameBoard("b", "T"), None, None)
    row = (1, "b", 1, new.event_id, new.type, 1, dumps(new.data), dumps(meta), format_time(AT), "0")
    [event] = appended([row], [new], meta)
    assert event.data is new.data
    assert event.metadata is meta
    # Anything else (here unsorted keys, a tuple) is what its stored text reads back as.
    odd = NewEvent("e", "T", 1, {"b": (1,), "a": 1})
    [event] = appended([(*row[:6], dumps(odd.data), *row[7:])], [odd], meta)
    assert list(event.data) == ["a", "b"]
    assert event.data["b"] == [1]


def test_unknown_keys_are_dropped_and_a_missing_field_is_a_corrupt_event() -> None:
    mapper = EventMapper()
    data = {"title": "T", "previous_title": "S", "colour": "red"}
    assert mapper.decode(stored("BoardRenamed", data)).event == ev.BoardRenamed("T", "S")
    with pytest.raises(CorruptEvent, match=r"seq 8 cannot be read: BoardRenamed lacks title"):
        mapper.decode(stored("BoardRenamed", {"previous_title": "S"}, seq=8))
    with pytest.raises(CorruptEvent, match="seq 9 cannot be read: CardEdited"):
        mapper.decode(stored("CardEdited", {"card_id": "c", "changes": [{"field": "x"}]}, seq=9))
    with pytest.raises(CorruptEvent, match="unknown event type 'Nope'"):
        mapper.decode(stored("Nope", {}, seq=10))


def test_a_type_error_from_a_bug_is_not_taken_for_a_corrupt_event() -> None:
    registry = ev.EventRegistry()

    @registry.register
    @dataclass(frozen=True, slots=True)
    class Buggy(ev.Event):
        type_name: ClassVar[str] = "Buggy"
        x: int

        def __post_init__(self) -> None:
            raise TypeError("a bug")

    mapper = EventMapper(registry)
    with pytest.raises(TypeError, match="a bug"):
        mapper.decode(stored("Buggy", {"x": 1}, seq=1))
    with pytest.raises(TypeError, match="a bug"):  # with a key it does not know, too
        mapper.decode(stored("Buggy", {"x": 1, "y": 2}, seq=2))


def test_each_mapper_keeps_its_own_decoded_events() -> None:
    first, second = EventMapper(), EventMapper()
    event = stored("BoardArchived", {})
    assert first.decode(event) is first.decode(event)
    assert second.decode(event) is not first.decode(event)


def test_system_commands_fingerprint_as_when_they_carried_the_system_stream() -> None:
    # The fingerprint of RevokeToken("u", "t") stored before system commands lost
    # their board_id: a retry of it must still be recognised.
    assert command_hash(cmd.RevokeToken("u", "t")) == (
        "0a0405e63c8e4d991c9a073ac42dbea82deccfba3c59e4cd1fd38d500e8245f4"
    )
