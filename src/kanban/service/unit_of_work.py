"""One command's transaction: a savepoint inside the writer's batch."""

from __future__ import annotations

from collections.abc import Sequence

from kanban.domain import events as ev
from kanban.domain.access import Role, authorize
from kanban.domain.commands import SYSTEM_STREAM, Command, CommandContext, CommandResult
from kanban.domain.errors import AlreadyExists, ConcurrencyError, IdempotencyConflict
from kanban.domain.model import Board, RecordedEvent, UnitRef
from kanban.domain.users import Directory
from kanban.service.mapper import EventMapper, command_hash
from kanban.service.repository import BoardRepository
from kanban.store.ports import Batch


class UnitOfWork:
    """What a handler may touch: the boards, and a way to record their events."""

    def __init__(
        self, batch: Batch, boards: BoardRepository, ctx: CommandContext, command: Command
    ) -> None:
        self.batch = batch
        self.boards = boards
        self.mapper: EventMapper = boards.mapper
        self.ctx = ctx
        self.command = command
        #: A board whose cached state may be ahead of what will commit.
        self.dirty: str | None = None

    @property
    def actor(self) -> str:
        return self.ctx.actor

    def board(self, board_id: str, needed: Role) -> Board:
        """The board, if the actor's role allows `needed` on it."""
        board = self.boards.get(self.batch, board_id)
        authorize(board_id, board.members, self.ctx.actor, self.ctx.admin, needed)
        expected = self.ctx.expected_version
        if expected is not None and board.version != expected:
            raise ConcurrencyError(
                f"board {board_id} is at version {board.version}, not {expected}; "
                "reload it and try again"
            )
        return board

    def directory(self) -> Directory:
        return self.boards.directory(self.batch)

    def unit_events(self, board_id: str, unit: UnitRef) -> list[ev.Event]:
        stored = self.batch.read_stream(board_id, unit.first_version, unit.last_version)
        return [r.event for r in self.mapper.decode_all(stored)]

    def start(self, board_id: str, events: Sequence[ev.Event]) -> CommandResult:
        """Record the first events of a new board."""
        if self.batch.stream_version(board_id) != 0:
            raise AlreadyExists(f"board {board_id} already exists")
        board = Board(board_id, "")
        return self.record(board, events)

    def record(
        self,
        board: Board,
        events: Sequence[ev.Event],
        undo_of: str | None = None,
        redo_of: str | None = None,
    ) -> CommandResult:
        """Append the events, then apply them to the board (a no-op appends nothing)."""
        if not events:
            return CommandResult(board.id, board.version, board.seq)
        records = self._append(board.id, board.version, events, undo_of, redo_of)
        for record in records:
            event = record.event
            if isinstance(event, ev.BoardCreated):
                board = Board.fold([record])
            else:
                board.apply(record)
        self.boards.put(board)
        self.boards.maybe_snapshot(self.batch, board)
        unit = undo_of or redo_of
        created = {} if unit else created_ids(events)
        return CommandResult(
            board.id,
            board.version,
            board.seq,
            created,
            appended=len(events),
            unit_id=unit,
            first_seq=records[0].seq,
        )

    def record_system(self, directory: Directory, events: Sequence[ev.Event]) -> CommandResult:
        """Append events to the system stream, then apply them to the directory."""
        if not events:
            return CommandResult(SYSTEM_STREAM, directory.version, directory.seq)
        records = self._append(SYSTEM_STREAM, directory.version, events, None, None)
        Directory.fold(records, directory)
        return CommandResult(
            SYSTEM_STREAM,
            directory.version,
            directory.seq,
            appended=len(events),
            first_seq=records[0].seq,
        )

    def _append(
        self,
        stream_id: str,
        version: int,
        events: Sequence[ev.Event],
        undo_of: str | None,
        redo_of: str | None,
    ) -> list[RecordedEvent]:
        meta = self.mapper.metadata(self.ctx, self.command, undo_of, redo_of)
        stored = self.batch.append(stream_id, version, self.mapper.encode(events), meta)
        self.dirty = stream_id
        return [
            RecordedEvent(
                event,
                row.version,
                row.seq,
                self.ctx.actor,
                self.ctx.command_id,
                row.recorded_at,
                undo_of,
                redo_of,
            )
            for event, row in zip(events, stored, strict=True)
        ]

    def replayed(self) -> CommandResult | None:
        """The stored result when this command id was already handled, else None."""
        if self.ctx.fresh:
            return None
        prior = self.batch.events_for_command(self.ctx.command_id)
        if not prior:
            return None
        first, last = prior[0].metadata, prior[-1]
        if (
            first.get("command_hash") != command_hash(self.command)
            or first.get("actor") != self.ctx.actor
        ):
            raise IdempotencyConflict(
                f"command id {self.ctx.command_id} was already used for a different request"
            )
        unit = first.get("undo_of") or first.get("redo_of")
        events = [r.event for r in self.mapper.decode_all(prior)]
        return CommandResult(
            last.stream_id,
            last.version,
            last.seq,
            {} if unit else created_ids(events),
            replayed=True,
            unit_id=unit,
            first_seq=prior[0].seq,
        )


def created_ids(events: Sequence[ev.Event]) -> dict[str, str]:
    created: dict[str, str] = {}
    for event in events:
        match event:
            case ev.BoardCreated():
                created["board_id"] = event.board_id
            case ev.ColumnAdded():
                created["column_id"] = event.column_id
            case ev.CardAdded():
                created["card_id"] = event.card_id
    return created
