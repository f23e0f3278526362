"""Translation between domain events and the store's JSON records."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson

from kanban.domain import events as ev
from kanban.domain.commands import Command, CommandContext
from kanban.domain.errors import CorruptEvent
from kanban.domain.model import RecordedEvent
from kanban.store.codec import loads, parse_time
from kanban.store.records import JSONDict, NewEvent, Row, StoredEvent

_ID_NAMESPACE = uuid.UUID("6f1c1d2e-4b7a-4c39-9d43-6b1f0f3c2a10")


def derived_id(command_id: str, kind: str) -> str:
    """The id of what a command creates, derived from the command id.

    A retry under the same command id (an Idempotency-Key) thus creates the
    same ids, so its payload matches and the first result is returned.
    """
    return str(uuid.uuid5(_ID_NAMESPACE, f"{command_id}:{kind}"))


def encode(events: Sequence[ev.Event]) -> list[NewEvent]:
    return [NewEvent(str(uuid.uuid4()), e.type_name, e.schema_version, e.to_data()) for e in events]


#: Recently decoded events by their chain hash. Each projection decodes what it
#: is given, and they are given the same events: the second and third decode
#: are lookups. The hash covers the event's content and place in the log, so a
#: changed event (a tampered backup) is never answered from here. Records are
#: immutable: sharing them between threads is safe.
_DECODED: dict[str, RecordedEvent] = {}
_DECODED_MAX = 20_000


def decode(stored: StoredEvent) -> RecordedEvent:
    key = stored.hash
    hit = _DECODED.get(key) if key else None
    if hit is not None and hit.seq == stored.seq:
        return hit
    record = _decode(stored)
    if key:
        if len(_DECODED) >= _DECODED_MAX:
            _DECODED.clear()
        _DECODED[key] = record
    return record


def _decode(stored: StoredEvent) -> RecordedEvent:
    return _record(
        stored.seq,
        stored.version,
        stored.type,
        stored.schema_version,
        stored.data,
        stored.metadata,
        stored.recorded_at,
    )


def decode_row(row: Row) -> tuple[JSONDict, RecordedEvent]:
    """A stored row's data and its record, without the `StoredEvent` in between (replays)."""
    try:
        data, meta = loads(row[6]), loads(row[7])
    except ValueError as exc:
        raise CorruptEvent(row[0], f"cannot be read: {exc}") from exc
    return data, _record(row[0], row[2], row[4], row[5], data, meta, parse_time(row[8]))


def _record(
    seq: int,
    version: int,
    type_name: str,
    schema_version: int,
    data: JSONDict,
    meta: JSONDict,
    recorded_at: datetime,
) -> RecordedEvent:
    try:
        event = ev.registry.decode(type_name, schema_version, data)
    except (LookupError, TypeError, KeyError) as exc:
        raise CorruptEvent(seq, f"cannot be read: {exc}") from exc
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


def decode_all(stored: Iterable[StoredEvent]) -> list[RecordedEvent]:
    return [decode(s) for s in stored]


def command_hash(command: Command) -> str:
    """A fingerprint of the command's payload, to tell a retry from a reuse."""
    # A fresh secret's hash differs on every try: only whether one was given counts.
    secret = getattr(command, "SECRET_FIELDS", ())
    payload = {
        name: _given(getattr(command, name)) if name in secret else getattr(command, name)
        for name in ev.field_names(type(command))
    }
    raw = orjson.dumps(
        {"type": type(command).__name__, **payload}, default=str, option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(raw).hexdigest()


def _given(value: object) -> object:
    return "<given>" if isinstance(value, str) else value


def metadata(
    ctx: CommandContext, command: Command, undo_of: str | None, redo_of: str | None
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "actor": ctx.actor,
        "command_id": ctx.command_id,
        "command": type(command).__name__,
        "command_hash": command_hash(command),
    }
    optional = {
        "correlation_id": ctx.correlation_id,
        "causation_id": ctx.causation_id,
        "undo_of": undo_of,
        "redo_of": redo_of,
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    return meta
