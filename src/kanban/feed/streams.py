"""How the log travels through Redis Streams: key names, entry ids, entry bodies.

Each epoch of the log has its own stream, so nothing of an old history line
(before a point-in-time restore) is ever read as part of a new one. An
entry's id is its event's seq (`<seq>-0`): Redis refuses a second XADD of the
same id, so a re-publish after a crash cannot duplicate an event.
"""

from __future__ import annotations

import orjson

from kanban.feed.wire import from_wire, to_wire
from kanban.store.records import StoredEvent

PREFIX = "kanban"
#: Redis key holding the epoch the writer currently publishes.
EPOCH_KEY = f"{PREFIX}:epoch"
FIELD = b"event"


def stream_key(epoch: str) -> str:
    return f"{PREFIX}:{epoch}:events"


def watermarks_key(epoch: str) -> str:
    """Hash of group -> watermark (every event up to it applied), written by projector workers."""
    return f"{PREFIX}:{epoch}:watermarks"


def projected_channel(epoch: str) -> str:
    """Pub/sub channel on which workers announce '<group> <watermark>'."""
    return f"{PREFIX}:{epoch}:projected"


def entry_id(seq: int) -> str:
    return f"{seq}-0"


def seq_of(entry_id: bytes | str) -> int:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("-", 1)[0])


def encode(event: StoredEvent) -> dict[bytes, bytes]:
    return {FIELD: orjson.dumps(to_wire(event))}


def decode(fields: dict[bytes, bytes]) -> StoredEvent:
    return from_wire(orjson.loads(fields[FIELD]))
