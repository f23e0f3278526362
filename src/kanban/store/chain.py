"""The hash chain that makes any edit, insertion or deletion in the log evident.

Each event's hash covers the previous event's hash and the event exactly as
stored::

    hash(n) = H(hash(n-1) || field(seq) || field(stream_id) || field(version)
                || field(event_id) || field(type) || field(schema_version)
                || field(data) || field(metadata) || field(recorded_at))

    field(x) = len(b).to_bytes(8, "big") || b   where b = str(x).encode("utf-8")

- hash(0), the genesis "previous hash", is 32 zero bytes.
- Integers (seq, version, schema_version) are written in ASCII decimal.
- data and metadata are the stored JSON texts (keys sorted, see `codec.dumps`),
  recorded_at the stored 'YYYY-MM-DDTHH:MM:SS.ffffffZ' text.
- H is SHA-256 for an unkeyed log ("sha256") and HMAC-SHA256 with the log key
  for a keyed one ("hmac-sha256"); hashes are stored as lowercase hex.

The length prefixes make the encoding unambiguous: no two different rows encode
to the same bytes, whatever characters the fields contain.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from kanban.store.codec import dumps, format_time
from kanban.store.records import NewEvent, Row

GENESIS = bytes(32)
KEY_CHECK_MESSAGE = b"kanban-log-key-check"

UnhashedRow = tuple[int, str, int, str, str, int, str, str, str]
"""A `Row` without its hash: the fields the hash covers, in order."""


def encode(row: UnhashedRow) -> bytes:
    """The canonical bytes of a row's fields (see the module docstring)."""
    out = bytearray()
    for field in row:
        data = str(field).encode("utf-8")
        out += len(data).to_bytes(8, "big")
        out += data
    return bytes(out)


class Chain:
    """Computes links of the chain, plain or keyed."""

    __slots__ = ("_key", "name")

    def __init__(self, key: bytes | None = None) -> None:
        if key is not None and not key:
            raise ValueError("the log key must not be empty")
        self._key = key
        self.name = "sha256" if key is None else "hmac-sha256"

    def link(self, prev: bytes, row: UnhashedRow) -> bytes:
        message = prev + encode(row)
        if self._key is None:
            return hashlib.sha256(message).digest()
        return hmac.digest(self._key, message, "sha256")

    def key_check(self) -> str | None:
        """Stored with a keyed log so a wrong key is caught at open, not at verify."""
        if self._key is None:
            return None
        return hmac.digest(self._key, KEY_CHECK_MESSAGE, "sha256").hex()


class ChainWalker:
    """Checks rows one by one in seq order; remembers only what the next row needs.

    Memory is one entry per stream (its last version), not per event.
    """

    def __init__(
        self,
        chain: Chain,
        *,
        after_seq: int = 0,
        prev_hash: bytes = GENESIS,
        known_streams: bool = True,
    ) -> None:
        """Start after `after_seq`, whose hash is `prev_hash` (the genesis by default).

        `known_streams=False` walks a part of a log (an incremental backup on
        its own): a stream first met there may continue from any version.
        """
        self._chain = chain
        self._prev_hash = prev_hash
        self._last_time = ""
        self._versions: dict[str, int] = {}
        self._known_streams = known_streams
        self.last_seq = after_seq
        self.checked = 0

    @property
    def last_hash(self) -> str:
        return self._prev_hash.hex()

    def check(self, row: Row) -> str | None:
        """None when the row is sound, else why it is not."""
        seq, stream_id, version = row[0], row[1], row[2]
        if seq <= self.last_seq:
            return f"seq {seq} does not increase: it follows seq {self.last_seq}"
        if seq != self.last_seq + 1:
            return (
                f"seq gap: {seq} follows {self.last_seq}; "
                f"events {self.last_seq + 1}..{seq - 1} are missing"
            )
        last_version = self._versions.get(stream_id, 0)
        if not self._known_streams and stream_id not in self._versions:
            last_version = version - 1
        if version != last_version + 1:
            if last_version == 0:
                return f"stream {stream_id!r} starts at version {version}, not 1 (seq {seq})"
            return (
                f"version gap in stream {stream_id!r}: {version} follows {last_version} (seq {seq})"
            )
        if row[8] < self._last_time:
            return f"recorded_at goes backwards at {_where(row)}: {row[8]} < {self._last_time}"
        try:
            stored = bytes.fromhex(row[9])
        except (ValueError, TypeError):
            return f"hash at {_where(row)} is not hex: the event was altered"
        expected = self._chain.link(self._prev_hash, row[:9])
        if not hmac.compare_digest(expected, stored):
            return f"hash mismatch at {_where(row)}: the event was altered"
        self._prev_hash = stored
        self._last_time = row[8]
        self._versions[stream_id] = version
        self.last_seq = seq
        self.checked += 1
        return None


def _where(row: Row) -> str:
    """Where a bad row is, for the message (made only for one: every event passes `check`)."""
    return f"seq {row[0]} (stream {row[1]!r}, version {row[2]})"


def chain_rows(
    chain: Chain,
    clock: Callable[[], datetime],
    tail: tuple[int, bytes, str],
    stream_id: str,
    version: int,
    events: Sequence[NewEvent],
    metadata: Mapping[str, Any],
) -> list[Row]:
    """Rows for `events` appended after `tail` (seq, hash, recorded_at) to a
    stream now at `version`.

    They share one recorded_at, never earlier than the tail's: the log's time
    does not go backwards in seq order even when the clock does.
    """
    seq, prev, last_time = tail
    recorded_at = max(format_time(clock()), last_time)
    meta_text = dumps(metadata)
    rows: list[Row] = []
    for event in events:
        seq += 1
        version += 1
        fields = (
            seq,
            stream_id,
            version,
            event.event_id,
            event.type,
            event.schema_version,
            dumps(event.data),
            meta_text,
            recorded_at,
        )
        prev = chain.link(prev, fields)
        rows.append((*fields, prev.hex()))
    return rows
