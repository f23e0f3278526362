"""The backup file: gzip-compressed JSON lines of the log's rows, exactly as stored.

    line 1     header   {"format": "kanban-backup", "format_version": 1, "kind": ...,
                         "epoch", "chain", "since_seq", "prev_hash", "first_seq",
                         "last_seq", "event_count", "created_at", "app_version"}
    lines 2..  rows     [seq, stream_id, version, event_id, type, schema_version,
                         data_text, metadata_text, recorded_at, hash]
    last line  trailer  {"end": true, "event_count": n, "last_hash": h}

The rows carry the log's own hash chain (each hash covers the previous one),
so truncation, reordering and tampering are caught by walking it; the trailer
catches a file cut at a line boundary. An incremental backup (`since_seq`)
continues the chain from `prev_hash`, the hash stored at that seq.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from kanban import __version__
from kanban.domain.errors import BackupInvalid
from kanban.store.chain import GENESIS
from kanban.store.ports import LogRows
from kanban.store.records import ProgressCallback, Row

FORMAT = "kanban-backup"
FORMAT_VERSION = 1
PAGE = 2000
_HEX = "0123456789abcdef"


@dataclass(frozen=True)
class Header:
    format: str
    format_version: int
    kind: str  # "full" or "incremental"
    epoch: str
    chain: str
    since_seq: int
    prev_hash: str
    first_seq: int
    last_seq: int
    event_count: int
    created_at: str
    app_version: str

    @classmethod
    def parse(cls, raw: Any) -> Header:
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError("not a Kanban backup (no kanban-backup header)")
        if raw.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"backup format version {raw.get('format_version')} is not one this "
                f"Kanban reads ({FORMAT_VERSION})"
            )
        try:
            fields = {name: raw[name] for name in cls.__dataclass_fields__}
        except KeyError as exc:
            raise ValueError(f"the header lacks {exc}") from None
        for name, field in cls.__dataclass_fields__.items():
            kind = int if field.type == "int" else str
            value = fields[name]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"the header's {name} is not of type {field.type}")
            if isinstance(value, int) and value < 0:
                raise ValueError(f"the header's {name} is negative")
        if len(fields["prev_hash"]) != 64 or not set(fields["prev_hash"]) <= set(_HEX):
            raise ValueError("the header's prev_hash is not a hash (64 hex digits)")
        return cls(**fields)


def header_for(store: LogRows, since: int, head: int) -> Header:
    if since < 0 or since > head:
        raise BackupInvalid(f"--since {since} is outside the log (head {head})")
    prev = GENESIS.hex()
    if since:
        rows = store.read_rows(since - 1, 1)
        prev = rows[0][9]
    return Header(
        FORMAT,
        FORMAT_VERSION,
        "incremental" if since else "full",
        store.epoch(),
        store.chain_name,
        since,
        prev,
        since + 1,
        head,
        head - since,
        datetime.now(UTC).isoformat(timespec="seconds"),
        __version__,
    )


def chunks(
    store: LogRows,
    since: int = 0,
    progress: ProgressCallback | None = None,
    head: int | None = None,
) -> Iterator[bytes]:
    """The backup as compressed bytes, produced page by page while writers go on.

    The head is fixed first (`head`, else the log's head now); the log is
    append-only, so reading up to it in short transactions gives a consistent
    copy without pausing anyone.
    """
    head = store.head_seq() if head is None else head
    header = header_for(store, since, head)
    gz = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip container
    yield gz.compress(orjson.dumps(asdict(header)) + b"\n")
    after, last_hash = since, header.prev_hash
    while after < head:
        rows = store.read_rows(after, min(PAGE, head - after))
        if not rows:
            break
        yield gz.compress(b"".join(orjson.dumps(list(row)) + b"\n" for row in rows))
        after, last_hash = rows[-1][0], rows[-1][9]
        if progress:
            progress(after - since, head - since)
    trailer = {"end": True, "event_count": after - since, "last_hash": last_hash}
    yield gz.compress(orjson.dumps(trailer) + b"\n") + gz.flush()


def write(
    store: LogRows,
    out: BinaryIO,
    since: int = 0,
    progress: ProgressCallback | None = None,
) -> int:
    """Write the backup to `out`; return the seq of its last event (the next `since`)."""
    head = store.head_seq()
    for chunk in chunks(store, since, progress, head):
        out.write(chunk)
    return head


@dataclass
class Reader:
    """Reads one backup file, raising BackupInvalid that names the first bad record."""

    path: Path
    header: Header | None = None
    #: Records read so far (the header is record 0).
    record: int = 0
    trailer: dict[str, Any] | None = None

    def rows(self) -> Iterator[Row]:
        try:
            with gzip.open(self.path, "rb") as f:
                yield from self._rows(f)
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            raise BackupInvalid(f"{self.path}: cannot be read: {exc.strerror}") from None
        except (OSError, EOFError, zlib.error) as exc:
            # A damaged or cut compressed stream (CRC, truncation, garbage).
            raise BackupInvalid(
                f"{self.path}: the file is damaged after record {self.record}: {exc}"
            ) from None

    def _rows(self, f: Any) -> Iterator[Row]:
        line = f.readline()
        try:
            self.header = Header.parse(orjson.loads(line))
        except (orjson.JSONDecodeError, ValueError) as exc:
            raise BackupInvalid(f"{self.path}: record 0 (header): {exc}") from None
        for line in f:
            self.record += 1
            if self.trailer is not None:
                raise BackupInvalid(f"{self.path}: record {self.record} follows the trailer")
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise BackupInvalid(
                    f"{self.path}: record {self.record} is not valid JSON"
                ) from None
            if isinstance(value, dict) and value.get("end") is True:
                self.trailer = value
                continue
            yield _row(value, self.path, self.record)
        if self.trailer is None:
            raise BackupInvalid(f"{self.path}: truncated after record {self.record} (no trailer)")


#: The exact type of each field of a row (orjson gives exact int and str; bool is refused).
_ROW_TYPES = [int, str, int, str, str, int, str, str, str, str]


def _row(value: Any, path: Path, record: int) -> Row:
    # One comparison of the types' list: every event of a restore passes here.
    if type(value) is not list or list(map(type, value)) != _ROW_TYPES:
        raise BackupInvalid(f"{path}: record {record} is not an event row")
    return tuple(value)
