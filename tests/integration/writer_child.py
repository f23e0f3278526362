"""A child process that writes commands to a data dir and acknowledges each one.

Usage: python -m tests.integration.writer_child DATA_DIR BOARD_ID PREFIX COUNT THREADS
Prints "ack <card_id> <seq>" after each command's events are durable;
COUNT 0 means: keep going until killed.
"""

from __future__ import annotations

import itertools
import sys
import threading
import uuid
from pathlib import Path

from kanban.bootstrap import bootstrap
from kanban.domain import commands as cmd
from kanban.domain.errors import KanbanError
from kanban.settings import Settings


def main() -> None:
    data_dir, board_id, prefix, count, threads = sys.argv[1:6]
    settings = Settings(data_dir=Path(data_dir))
    numbers = itertools.count() if int(count) == 0 else iter(range(int(count)))
    lock = threading.Lock()
    with bootstrap(settings) as kanban:

        def work() -> None:
            while True:
                with lock:
                    n = next(numbers, None)
                if n is None:
                    return
                card_id = f"{prefix}-{n}"
                ctx = cmd.CommandContext(prefix, str(uuid.uuid4()), admin=True)
                try:
                    result = kanban.bus.dispatch(
                        cmd.AddCard(board_id, card_id, "col0", f"Card {n}", position=0), ctx
                    )
                    kanban.bus.dispatch(
                        cmd.MoveCard(board_id, card_id, "col1", 0),
                        cmd.CommandContext(prefix, str(uuid.uuid4()), admin=True),
                    )
                except KanbanError as exc:
                    print(f"error {card_id} {exc.kind}", flush=True)
                    continue
                with lock:
                    print(f"ack {card_id} {result.seq}", flush=True)

        workers = [threading.Thread(target=work) for _ in range(int(threads))]
        for w in workers:
            w.start()
        for w in workers:
            w.join()


if __name__ == "__main__":
    main()
