"""Builds a large, realistic log fast: real domain events written straight through the store.

The commands are decided by the domain against boards folded in memory, so a
restore's replay through the domain accepts every event; they are appended
thousands per transaction, skipping the command bus and its per-command fsync.
Used by the backup tests (a log big enough to kill a restore half-way) and by
`bench/backup_bench.py` (a million events).

Run: python -m tests.integration.backup_log DATA_DIR EVENTS [BOARDS]
"""

from __future__ import annotations

import random
import sys
import uuid
from pathlib import Path

from kanban.domain import commands as cmd
from kanban.domain import events as ev
from kanban.domain.decide import DECISIONS, create_board
from kanban.domain.errors import KanbanError
from kanban.domain.model import Board, RecordedEvent
from kanban.service.mapper import EventMapper
from kanban.store.ports import EventStore
from kanban.store.sqlite import SQLiteEventStore

COLUMNS = ("To do", "Doing", "Review", "Done")
CARDS_PER_BOARD = 40
ACTORS = ("alice", "bob", "carol")
COMMANDS_PER_BATCH = 2000


def _command(rng: random.Random, board: Board, serial: int) -> cmd.Command:
    b = board.id
    if len(board.column_order) < len(COLUMNS):
        title = COLUMNS[len(board.column_order)]
        return cmd.AddColumn(b, f"{b}-col{len(board.column_order)}", title)
    if len(board.cards) < CARDS_PER_BOARD:
        column = board.column_order[0]
        return cmd.AddCard(b, f"{b}-card{serial}", column, f"Card {serial}", labels=("x",))
    card = rng.choice(list(board.cards))
    if rng.random() < 0.15:
        return cmd.EditCard(b, card, title=f"Card {serial}", description=f"edit {serial}")
    target = rng.choice(board.column_order)
    size = len(board.columns[target].cards) + (board.cards[card].column_id != target)
    return cmd.MoveCard(b, card, target, rng.randrange(size))


def build_log(store: EventStore, events: int, boards: int = 200, seed: int = 1) -> int:
    """Append about `events` events (whole commands) over `boards` boards; return the head."""
    rng = random.Random(seed)
    mapper = EventMapper()
    folded: dict[str, Board] = {}
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(boards)]
    written, serial = store.head_seq(), 0
    target = written + events
    while written < target:
        with store.batch() as batch:
            for _ in range(COMMANDS_PER_BATCH):
                if written >= target:
                    break
                serial += 1
                board_id = ids[serial % boards]
                board = folded.get(board_id)
                command: cmd.Command
                if board is None:
                    command = cmd.CreateBoard(board_id, f"Board {serial % boards}")
                    decided = create_board(command, "alice")
                else:
                    command = _command(rng, board, serial)
                    try:
                        decided = DECISIONS[type(command)](board, command)
                    except KanbanError:
                        continue
                if not decided:
                    continue
                ctx = cmd.CommandContext(rng.choice(ACTORS), str(uuid.uuid4()))
                meta = mapper.metadata(ctx, command, None, None)
                version = board.version if board else 0
                stored = batch.append(board_id, version, mapper.encode(decided), meta)
                for event, row in zip(decided, stored, strict=True):
                    record = RecordedEvent(event, row.version, row.seq, ctx.actor, ctx.command_id)
                    if isinstance(event, ev.BoardCreated):
                        board = folded[board_id] = Board.fold([record])
                    else:
                        assert board is not None
                        board.apply(record)
                written = stored[-1].seq
    return written


def main() -> None:
    data_dir, count = Path(sys.argv[1]), int(sys.argv[2])
    boards = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    data_dir.mkdir(parents=True, exist_ok=True)
    with SQLiteEventStore(data_dir / "events.db") as store:
        print(build_log(store, count, boards))


if __name__ == "__main__":
    main()
