"""A stored event as JSON on the wire (HTTP feed, Redis stream entries)."""

from __future__ import annotations

from typing import Any

from kanban.store.codec import format_time, parse_time
from kanban.store.records import StoredEvent


def to_wire(event: StoredEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "stream_id": event.stream_id,
        "version": event.version,
        "event_id": event.event_id,
        "type": event.type,
        "schema_version": event.schema_version,
        "data": event.data,
        "metadata": event.metadata,
        "recorded_at": format_time(event.recorded_at),
        "hash": event.hash,
    }


def from_wire(item: dict[str, Any]) -> StoredEvent:
    try:
        return StoredEvent(
            seq=int(item["seq"]),
            stream_id=str(item["stream_id"]),
            version=int(item["version"]),
            event_id=str(item["event_id"]),
            type=str(item["type"]),
            schema_version=int(item["schema_version"]),
            data=dict(item["data"]),
            metadata=dict(item["metadata"]),
            recorded_at=parse_time(str(item["recorded_at"])),
            hash=str(item["hash"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a stored event: {exc}") from exc
