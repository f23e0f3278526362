"""What the event store keeps and hands back: records of JSON data, never domain objects.

The store is domain-agnostic: it keeps typed JSON records in streams and knows
nothing of boards. Turning domain events into these records and back is the
job of the mapper (`kanban.service.mapper`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

JSONDict = dict[str, Any]

Row = tuple[int, str, int, str, str, int, str, str, str, str]
"""seq, stream_id, version, event_id, type, schema_version, data, metadata,
recorded_at, hash: an event exactly as stored (data and metadata as JSON text)."""


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended: its id, type, schema version and data."""

    event_id: str
    type: str
    schema_version: int
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the log holds it.

    `seq` is the global, gapless, strictly increasing position in the log;
    `version` is the position within its stream (1, 2, 3 ... per board).
    """

    seq: int
    stream_id: str
    version: int
    event_id: str
    type: str
    schema_version: int
    data: JSONDict
    metadata: JSONDict
    recorded_at: datetime
    hash: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A cached fold of a stream up to `version`, in a format named by `schema`."""

    stream_id: str
    version: int
    schema: int
    state: bytes


@dataclass(frozen=True, slots=True)
class StreamInfo:
    stream_id: str
    version: int


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Outcome of walking the hash chain: `ok`, how many events, the first bad one."""

    ok: bool
    checked: int
    head_seq: int
    first_bad_seq: int | None = None
    reason: str | None = None


ProgressCallback = Callable[[int, int], None]
"""Called with (events done, events in total) during long walks."""
