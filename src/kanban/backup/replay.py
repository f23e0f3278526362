"""Walking backups: the hash chain, the order, and the history itself, record by record.

Used by `verify` (nothing written) and by `restore` (rows stored as they
pass). A chain of files is a full backup followed by incrementals, each
continuing where the previous one ended.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kanban.backup.format import Header, Reader
from kanban.domain.commands import SYSTEM_STREAM
from kanban.domain.errors import BackupInvalid, CorruptEvent, KanbanError
from kanban.domain.model import Board, RecordedEvent
from kanban.domain.users import Directory
from kanban.service.mapper import EventMapper
from kanban.store.chain import Chain, ChainWalker
from kanban.store.records import JSONDict, Row


@dataclass
class Replay:
    paths: Sequence[Path]
    key: bytes | None = None
    headers: list[Header] = field(default_factory=list)
    boards: dict[str, Board] = field(default_factory=dict)
    directory: Directory = field(default_factory=Directory)
    #: False when the chain starts with an incremental: no history to fold.
    folding: bool = True
    #: False once a restore leaves board events to the process that projects them
    #: (`kanban.backup.follow`): from the next row on, each is only checked here to
    #: be of a type this code reads, and the system stream alone is folded.
    fold_boards: bool = True
    walker: ChainWalker | None = None
    #: What the replay decodes with (a restore shares it with its projections).
    mapper: EventMapper = field(default_factory=EventMapper)

    @property
    def total(self) -> int:
        """Events the files hold (known once their headers are read)."""
        return sum(h.event_count for h in self.headers)

    def rows(self) -> Iterator[Row]:
        for row, _ in self.walk():
            yield row

    def walk(self) -> Iterator[tuple[Row, tuple[JSONDict, RecordedEvent] | None]]:
        """Each checked row, with its data and record as decoded for the check.

        None instead when the chain starts with an incremental (nothing is folded),
        and for board events when `fold_boards` is off.
        """
        chain = Chain(self.key)
        for path in self.paths:
            reader = Reader(Path(path))
            count = 0
            for row in reader.rows():
                if count == 0:
                    self._begin(reader, chain)
                count += 1
                yield row, self._check(reader, row)
            if count == 0:
                self._begin(reader, chain)
            self._end(reader, count)

    def _begin(self, reader: Reader, chain: Chain) -> None:
        header = reader.header
        assert header is not None
        if header.chain != chain.name:
            raise BackupInvalid(
                f"{reader.path}: the backup's hash chain is {header.chain}, but this Kanban "
                f"is set up for {chain.name} (check KANBAN_LOG_KEY)"
            )
        if self.walker is None:
            self.folding = header.since_seq == 0
            self.walker = ChainWalker(
                chain,
                after_seq=header.since_seq,
                prev_hash=bytes.fromhex(header.prev_hash),
                known_streams=self.folding,
            )
        else:
            previous = self.headers[-1]
            if header.epoch != previous.epoch:
                raise BackupInvalid(f"{reader.path}: belongs to another log (epoch differs)")
            if (
                header.since_seq != self.walker.last_seq
                or header.prev_hash != self.walker.last_hash
            ):
                raise BackupInvalid(
                    f"{reader.path}: a link is missing: it continues from seq "
                    f"{header.since_seq}, but the files before it end at seq "
                    f"{self.walker.last_seq}"
                )
        self.headers.append(header)

    def _check(self, reader: Reader, row: Row) -> tuple[JSONDict, RecordedEvent] | None:
        assert self.walker is not None
        reason = self.walker.check(row)
        if reason is not None:
            raise BackupInvalid(f"{reader.path}: record {reader.record} (seq {row[0]}): {reason}")
        if not self.folding:
            return None
        if not self.fold_boards and row[1] != SYSTEM_STREAM:
            try:
                self.mapper.check_readable(row[0], row[4], row[5])
            except CorruptEvent as exc:
                raise BackupInvalid(f"{self.where(row[0])} {exc.reason}") from None
            return None
        try:
            # Straight from the row: a StoredEvent in between would parse it twice as much.
            data, record = self.mapper.decode_row(row)
            if row[1] == SYSTEM_STREAM:
                self.directory.apply(record)
            else:
                # Content only: what an event must fit (its card, its column) is
                # checked there; who-changed-what and undo stacks check nothing.
                board = Board.fold([record], self.boards.get(row[1]), content_only=True)
                self.boards[row[1]] = board
        except CorruptEvent as exc:
            raise BackupInvalid(f"{self.where(row[0])} {exc.reason}") from None
        except (KanbanError, ValueError) as exc:
            message = exc.message if isinstance(exc, KanbanError) else str(exc)
            raise BackupInvalid(
                f"{self.where(row[0])} does not apply to its board: {message}"
            ) from None
        return data, record

    def where(self, seq: int) -> str:
        """'<file>: record <n> (seq <seq>)', for an event of the files begun so far.

        A file's records follow its header's `since_seq` one by one (the chain
        check holds them gapless), so the record is the seq's distance from it.
        """
        for path, header in reversed(list(zip(self.paths, self.headers, strict=False))):
            if header.since_seq < seq:
                return f"{Path(path)}: record {seq - header.since_seq} (seq {seq})"
        return f"seq {seq}"

    def _end(self, reader: Reader, count: int) -> None:
        header, trailer = reader.header, reader.trailer
        assert header is not None
        assert trailer is not None
        assert self.walker is not None
        if trailer.get("event_count") != count or count != header.event_count:
            raise BackupInvalid(
                f"{reader.path}: holds {count} events, but its header says "
                f"{header.event_count} and its trailer {trailer.get('event_count')}"
            )
        if trailer.get("last_hash") != self.walker.last_hash or (
            count and self.walker.last_seq != header.last_seq
        ):
            raise BackupInvalid(f"{reader.path}: its trailer does not match its last event")
