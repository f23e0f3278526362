"""Event log benchmark: appends/s and command latency, beside the bare stack.

Run: .venv/bin/python bench/log_bench.py [--quick] [--json FILE]

Measures, in one run on the same disk:
  * commands/s through the command bus, one writer (one command per transaction)
  * commands/s with 16 concurrent writers (group commit)
  * the bare baseline: plain sqlite3 with the same durability (WAL,
    synchronous=FULL), one row per transaction, 1 and 16 writer threads
  * command latency on a board with 100,000 events against a new board,
    warm (board cached) and cold (cache dropped: snapshot + tail)
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from kanban.bootstrap import Kanban, bootstrap
from kanban.domain import commands as cmd
from kanban.settings import Settings

WRITERS = 16


def ctx() -> cmd.CommandContext:
    return cmd.CommandContext("bench", str(uuid.uuid4()))


def timed_rate(n: int, work: Callable[[int], None], threads: int = 1) -> float:
    """Run work(i) for i in range(n) over `threads` threads; return operations/s."""
    per_thread = n // threads
    barrier = threading.Barrier(threads + 1)

    def run(t: int) -> None:
        barrier.wait()
        for i in range(t * per_thread, (t + 1) * per_thread):
            work(i)

    pool = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for p in pool:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    for p in pool:
        p.join()
    return per_thread * threads / (time.perf_counter() - start)


def bare_sqlite(path: Path, n: int, threads: int) -> float:
    """The bare stack: one INSERT per transaction, WAL + synchronous=FULL."""
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)")
    setup.commit()
    setup.close()
    local = threading.local()

    def insert(i: int) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = sqlite3.connect(path, isolation_level=None, timeout=60)
            conn.execute("PRAGMA synchronous=FULL")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (body) VALUES (?)", (f'{{"title": "card {i}"}}',))
        conn.execute("COMMIT")

    return timed_rate(n, insert, threads)


def add_cards(kanban: Kanban, board_id: str, n: int, threads: int) -> float:
    def add(i: int) -> None:
        kanban.bus.dispatch(cmd.AddCard(board_id, f"c{uuid.uuid4()}", "todo", f"Card {i}"), ctx())

    return timed_rate(n, add, threads)


def new_board(kanban: Kanban) -> str:
    board_id = str(uuid.uuid4())
    kanban.bus.dispatch(cmd.CreateBoard(board_id, "Bench"), ctx())
    for column_id in ("todo", "done"):
        kanban.bus.dispatch(cmd.AddColumn(board_id, column_id, column_id), ctx())
    kanban.bus.dispatch(cmd.AddCard(board_id, "card", "todo", "Moving card"), ctx())
    return board_id


def grow(kanban: Kanban, board_id: str, events: int) -> None:
    """Give the board `events` more events, submitted in large group-commit batches."""
    done = 0
    while done < events:
        chunk = min(5000, events - done)
        futures = [
            kanban.bus.submit(cmd.RenameBoard(board_id, f"Title {done + i}"), ctx())
            for i in range(chunk)
        ]
        for f in futures:
            f.result()
        done += chunk


def latency_ms(kanban: Kanban, board_id: str, n: int, cold: bool) -> list[float]:
    samples = []
    for i in range(n):
        if cold:
            kanban.boards.evict(board_id)
        target = ("done", "todo")[i % 2]
        start = time.perf_counter()
        kanban.bus.dispatch(cmd.MoveCard(board_id, "card", target, 0), ctx())
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def pct(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, a sanity check")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--dir", type=Path, help="where to put the databases (default: a temp dir)")
    args = parser.parse_args()
    n_single, n_multi, history, n_lat = (
        (300, 1600, 10_000, 100) if args.quick else (2000, 16000, 100_000, 400)
    )
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        results["bare_1_writer"] = bare_sqlite(root / "bare1.db", n_single, 1)
        results["bare_16_writers"] = bare_sqlite(root / "bare16.db", n_multi, WRITERS)
        with bootstrap(Settings(data_dir=root / "kanban")) as kanban:
            board = new_board(kanban)
            results["kanban_1_writer"] = add_cards(kanban, board, n_single, 1)
            board = new_board(kanban)
            results["kanban_16_writers"] = add_cards(kanban, board, n_multi, WRITERS)

            fresh, big = new_board(kanban), new_board(kanban)
            start = time.perf_counter()
            grow(kanban, big, history)
            results["grow_events_per_s"] = history / (time.perf_counter() - start)
            for name, board_id in (("new", fresh), ("big", big)):
                for cold in (False, True):
                    samples = latency_ms(kanban, board_id, n_lat, cold)
                    key = f"latency_{name}_{'cold' if cold else 'warm'}"
                    results[f"{key}_p50_ms"] = pct(samples, 50)
                    results[f"{key}_p99_ms"] = pct(samples, 99)

    rows = [
        (
            "appends/s, 1 writer, 1 command per transaction",
            results["kanban_1_writer"],
            results["bare_1_writer"],
        ),
        (
            "appends/s, 16 concurrent writers",
            results["kanban_16_writers"],
            results["bare_16_writers"],
        ),
    ]
    print(f"# Kanban event log benchmark ({'quick' if args.quick else 'full'})")
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print(f"{'measure':52} {'kanban':>10} {'bare sqlite':>12} {'ratio':>7}")
    for label, ours, bare in rows:
        print(f"{label:52} {ours:10.0f} {bare:12.0f} {ours / bare:7.2f}")
    print(f"\ncommand latency (MoveCard), board with {history:,} events vs a new board:")
    print(f"{'':12} {'new p50':>8} {'new p99':>8} {'big p50':>8} {'big p99':>8} {'ratio p50':>9}")
    for cache in ("warm", "cold"):
        new50, new99 = (
            results[f"latency_new_{cache}_p50_ms"],
            results[f"latency_new_{cache}_p99_ms"],
        )
        big50, big99 = (
            results[f"latency_big_{cache}_p50_ms"],
            results[f"latency_big_{cache}_p99_ms"],
        )
        print(
            f"{cache + ' (ms)':12} {new50:8.2f} {new99:8.2f} {big50:8.2f} {big99:8.2f} "
            f"{big50 / new50:9.2f}"
        )
    print(f"\ngrowing the board: {results['grow_events_per_s']:.0f} events/s (group commit)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(main())
