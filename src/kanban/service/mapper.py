"""The one mapper between domain events and the event store's records.

Writing, domain events become `NewEvent`s (their data as `Event.to_data`
gives it) and a command's metadata; reading, a `StoredEvent` or a stored row
becomes a `RecordedEvent`. A stored event this code cannot read is a
`CorruptEvent` naming its seq.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson

from kanban.domain import events as ev
from kanban.domain.commands import SYSTEM_STREAM, Command, CommandContext, SystemCommand
from kanban.domain.errors import CorruptEvent, UnreadableEvent
from kanban.domain.model import RecordedEvent
from kanban.store.codec import loads, parse_time
from kanban.store.records import JSONDict, NewEvent, Row, StoredEvent

#: Recently decoded events a mapper keeps (see `EventMapper.decode`).
DECODED_MAX = 20_000


class EventMapper:
    """Turns domain events into store records and back, remembering what it decoded.

    One per process (`bootstrap` builds it), shared by everyone who decodes: the
    projections are given the same events, so that the second and third decode of
    an event are lookups. Records are immutable: sharing them between threads is safe.
    """

    def __init__(self, registry: ev.EventRegistry = ev.registry, keep: int = DECODED_MAX) -> None:
        self.registry = registry
        self.keep = keep
        #: Decoded events by their chain hash: the hash covers the event's content and
        #: place in the log, so a changed event (a tampered backup) is never answered here.
        self._decoded: dict[str, RecordedEvent] = {}

    # --- writing ---------------------------------------------------------------

    def encode(self, events: Sequence[ev.Event]) -> list[NewEvent]:
        return [
            NewEvent(str(uuid.uuid4()), e.type_name, e.schema_version, e.to_data()) for e in events
        ]

    def metadata(
        self, ctx: CommandContext, command: Command, undo_of: str | None, redo_of: str | None
    ) -> dict[str, Any]:
        """Who appended the events, under which command, undoing or redoing which unit.

        Built with its keys sorted, as the log stores them (see `Batch.append`).
        """
        meta: dict[str, Any] = {
            "actor": ctx.actor,
            "causation_id": ctx.causation_id,
            "command": type(command).__name__,
            "command_hash": command_hash(command),
            "command_id": ctx.command_id,
            "correlation_id": ctx.correlation_id,
            "redo_of": redo_of,
            "undo_of": undo_of,
        }
        return {key: value for key, value in meta.items() if value is not None}

    # --- reading ---------------------------------------------------------------

    def decode(self, stored: StoredEvent) -> RecordedEvent:
        key = stored.hash
        hit = self._decoded.get(key) if key else None
        if hit is not None and hit.seq == stored.seq:
            return hit
        record = self._record(
            stored.seq,
            stored.version,
            stored.type,
            stored.schema_version,
            stored.data,
            stored.metadata,
            stored.recorded_at,
        )
        if key:
            if len(self._decoded) >= self.keep:
                self._decoded.clear()
            self._decoded[key] = record
        return record

    def decode_all(self, stored: Iterable[StoredEvent]) -> list[RecordedEvent]:
        return [self.decode(s) for s in stored]

    def decode_row(self, row: Row) -> tuple[JSONDict, RecordedEvent]:
        """A stored row's data and its record, without the `StoredEvent` in between (replays)."""
        try:
            data, meta = loads(row[6]), loads(row[7])
        except ValueError as exc:  # orjson's JSONDecodeError, or not an object
            raise CorruptEvent(row[0], f"cannot be read: {exc}") from exc
        return data, self._record(row[0], row[2], row[4], row[5], data, meta, parse_time(row[8]))

    def check_readable(self, seq: int, type_name: str, schema_version: int) -> None:
        """CorruptEvent unless this code reads events of this type and schema version."""
        try:
            self.registry.class_for(type_name, schema_version)
        except UnreadableEvent as exc:
            raise CorruptEvent(seq, f"cannot be read: {exc.message}") from None

    def _record(
        self,
        seq: int,
        version: int,
        type_name: str,
        schema_version: int,
        data: JSONDict,
        meta: JSONDict,
        recorded_at: datetime,
    ) -> RecordedEvent:
        try:
            event = self.registry.decode(type_name, schema_version, data)
        except UnreadableEvent as exc:
            raise CorruptEvent(seq, f"cannot be read: {exc.message}") from exc
        get = meta.get
        # Positional: every event of a replay passes here, and keywords cost a third more.
        return RecordedEvent(
            event,
            version,
            seq,
            get("actor", ""),
            get("command_id", ""),
            recorded_at,
            get("undo_of"),
            get("redo_of"),
        )


def command_hash(command: Command) -> str:
    """A fingerprint of the command's payload, to tell a retry from a reuse."""
    # A fresh secret's hash differs on every try: only whether one was given counts.
    secret = getattr(command, "SECRET_FIELDS", ())
    payload = {
        name: _given(getattr(command, name)) if name in secret else getattr(command, name)
        for name in ev.field_names(type(command))
    }
    if isinstance(command, SystemCommand):
        # System commands once carried board_id = "$system": fingerprints stored then
        # must still match their retries.
        payload["board_id"] = SYSTEM_STREAM
    raw = orjson.dumps(
        {"type": type(command).__name__, **payload}, default=str, option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(raw).hexdigest()


def _given(value: object) -> object:
    return "<given>" if isinstance(value, str) else value
