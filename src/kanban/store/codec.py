"""How an event is written down: JSON text, timestamp text, the row tuple.

Both stores keep exactly these texts and hash them, so an event hashes the same
wherever it lives and a log replayed into memory can be checked against disk.
What is domain-agnostic about an event ends here: its data is a JSON object.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from kanban.store.records import JSONDict, NewEvent, Row, StoredEvent

ROW_COLUMNS = (
    "seq, stream_id, version, event_id, type, schema_version, data, metadata, recorded_at, hash"
)

_JSON_OPTIONS = orjson.OPT_SORT_KEYS


def _json_default(value: object) -> object:
    # orjson only knows dict; other mappings (MappingProxyType, frozen dicts)
    # are still plain JSON objects.
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


def dumps(value: Mapping[str, Any]) -> str:
    """Canonical JSON text: keys sorted, no whitespace, UTF-8."""
    return orjson.dumps(value, default=_json_default, option=_JSON_OPTIONS).decode()


def loads(text: str) -> JSONDict:
    value = orjson.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


# Remembered: a projector formats each event's time once per projection, and
# the events of one commit share it.
@functools.lru_cache(maxsize=1024)
def format_time(moment: datetime) -> str:
    """UTC 'YYYY-MM-DDTHH:MM:SS.ffffffZ'; fixed width, so text order is time order."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} is naive; the event log needs timezone-aware datetimes")
    u = moment.astimezone(UTC)
    # strftime does not zero-pad years below 1000 on every platform.
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T"
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}Z"
    )


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def to_stored(row: Row) -> StoredEvent:
    """Decode a stored row; every call returns fresh dicts the caller may mutate."""
    return StoredEvent(
        seq=row[0],
        stream_id=row[1],
        version=row[2],
        event_id=row[3],
        type=row[4],
        schema_version=row[5],
        data=loads(row[6]),
        metadata=loads(row[7]),
        recorded_at=parse_time(row[8]),
        hash=row[9],
    )


def appended(
    rows: Sequence[Row], events: Sequence[NewEvent], metadata: Mapping[str, Any]
) -> list[StoredEvent]:
    """The events of `rows` as just written, with the data and metadata given for them.

    The mappings given are handed back as they are when they read back the same from
    their texts (the mapper's, whose keys come sorted), rather than the texts parsed
    again; the metadata is one object for all of them.
    """
    meta = as_stored(metadata, rows[0][7])
    recorded_at = parse_time(rows[0][8])  # one append, one time
    return [
        StoredEvent(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            as_stored(event.data, row[6]),
            meta,
            recorded_at,
            row[9],
        )
        for row, event in zip(rows, events, strict=True)
    ]


def as_stored(value: Mapping[str, Any], text: str) -> JSONDict:
    """`value` as its stored `text` reads back: itself when it already is that (a dict
    of JSON's own types, keys sorted at every level), else the text read again."""
    if type(value) is dict and _canonical(value):
        return value
    return loads(text)


_SCALARS = frozenset({str, int, bool, type(None)})


def _canonical(obj: dict[Any, Any]) -> bool:
    last = ""
    for key, item in obj.items():
        if type(key) is not str or key < last:
            return False
        last = key
        if type(item) not in _SCALARS and not _canonical_item(item):
            return False
    return True


def _canonical_item(item: object) -> bool:
    kind = type(item)
    if kind in _SCALARS:
        return True
    # Exact types, as `_SCALARS`; isinstance only tells the type checker.
    if kind is float and isinstance(item, float):
        return math.isfinite(item)  # JSON has no NaN: orjson writes null
    if kind is dict and isinstance(item, dict):
        return _canonical(item)
    if kind is list and isinstance(item, list):
        return all(_canonical_item(v) for v in item)
    return False
