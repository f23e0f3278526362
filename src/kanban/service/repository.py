"""Boards folded in memory, kept current with the log.

Loading a board never costs O(history): a board in the cache is brought up
to the stream's tail with only the events it has not seen; a cold board
starts from its newest snapshot.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict

import orjson

from kanban.domain.commands import SYSTEM_STREAM, is_board_stream
from kanban.domain.errors import BoardNotFound, VersionNotFound
from kanban.domain.model import SNAPSHOT_SCHEMA, Board
from kanban.domain.users import Directory
from kanban.service.mapper import EventMapper
from kanban.store.ports import Batch, EventFeed, EventLog
from kanban.store.records import Snapshot


class BoardRepository:
    """The write side's boards: an LRU cache caught up inside the write lock."""

    def __init__(
        self,
        store: EventLog,
        mapper: EventMapper,
        capacity: int = 256,
        snapshot_every: int = 250,
    ) -> None:
        self.store = store
        self.mapper = mapper
        self.capacity = capacity
        self.snapshot_every = snapshot_every
        self._cache: OrderedDict[str, Board] = OrderedDict()
        self._directory: Directory | None = None

    def directory(self, batch: Batch) -> Directory:
        """The users and tokens at the system stream's tail (read inside the write lock)."""
        tail = batch.stream_version(SYSTEM_STREAM)
        directory = self._directory
        if directory is None or directory.version > tail:
            directory = Directory()
        if directory.version < tail:
            events = batch.read_stream(SYSTEM_STREAM, directory.version + 1, tail)
            Directory.fold(self.mapper.decode_all(events), directory)
        self._directory = directory
        return directory

    def get(self, batch: Batch, board_id: str) -> Board:
        """The board at the stream's current tail (read inside the write lock)."""
        tail = batch.stream_version(board_id) if is_board_stream(board_id) else 0
        if tail == 0:
            raise BoardNotFound(f"board {board_id} does not exist")
        board = self._cache.get(board_id)
        if board is None or board.version > tail:
            board = load_board(self.store, self.mapper, board_id, tail, batch)
        elif board.version < tail:
            # Another process appended since we last saw this board.
            events = batch.read_stream(board_id, board.version + 1, tail)
            Board.fold(self.mapper.decode_all(events), board)
        self.put(board)
        return board

    def put(self, board: Board) -> None:
        self._cache[board.id] = board
        self._cache.move_to_end(board.id)
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)

    def evict(self, board_id: str) -> None:
        if board_id == SYSTEM_STREAM:
            self._directory = None
        self._cache.pop(board_id, None)

    def maybe_snapshot(self, batch: Batch, board: Board) -> None:
        """Snapshot when replaying the events since the last one would cost more than it.

        A snapshot costs about as much as the board is big, so a big board
        snapshots less often: the interval is the larger of `snapshot_every`
        and the board's card count, which keeps snapshot work per event flat.
        """
        if not self.snapshot_every:
            return
        interval = max(self.snapshot_every, len(board.cards))
        if board.version - board.snapshot_version >= interval:
            state = zlib.compress(orjson.dumps(board.to_snapshot()), 1)
            batch.save_snapshot(Snapshot(board.id, board.version, SNAPSHOT_SCHEMA, state))
            board.snapshot_version = board.version


def load_board(
    store: EventFeed,
    mapper: EventMapper,
    board_id: str,
    version: int | None = None,
    batch: Batch | None = None,
) -> Board:
    """Fold a board up to `version` (its tail when None), from its newest usable snapshot.

    This is time travel too: every snapshot is kept (they are a cache, safe to
    delete), so any past version costs at most one snapshot interval of events.
    """
    if not is_board_stream(board_id):
        raise BoardNotFound(f"board {board_id} does not exist")
    reader = batch if batch is not None else store
    board: Board | None = None
    snapshot = store.load_snapshot(board_id, version)
    if snapshot is not None and snapshot.schema == SNAPSHOT_SCHEMA:
        board = Board.from_snapshot(orjson.loads(zlib.decompress(snapshot.state)))
    start = board.version + 1 if board else 1
    events = reader.read_stream(board_id, start, version)
    if board is None and not events:
        raise BoardNotFound(f"board {board_id} does not exist")
    board = Board.fold(mapper.decode_all(events), board)
    if version is not None and board.version != version:
        raise VersionNotFound(f"board {board_id} never had version {version}")
    return board
