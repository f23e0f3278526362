"""Replay (issue 9, section 4) and the server's memory after a million events (section 5).

Run alone: .venv/bin/python -m bench.replay [--quick] [--events N] [--json FILE]
Profile one step: .venv/bin/python -m bench.replay --profile rebuild --events 200000
A rebuild's time by stage: .venv/bin/python -m bench.replay --stages [--events N]

One log, built once, measured several ways in the same run:
  * the ceiling: every row read in seq order from events.db with plain
    sqlite3, its data orjson-decoded (what no replay can beat);
  * `kanban serve` (pinned to the server core) started on the log with no read
    models: the time it takes to project the log itself, then a few board
    GETs, then its peak RSS (VmHWM); and once more started on a log whose read
    models are current (the steady state);
  * `Projector.rebuild()` of every read model, in this process;
  * `backup create` (kanban.backup.format.write, fsynced), in this process;
  * `backup restore` (replay, store, rebuild the read models), in this process
    and, from 20,000 events, a second one that projects what it stores.
The suite pins itself to the load core; these three run on every core, as an
operator would run them on an otherwise idle machine.
Every rate is events/s of the whole log, beside the ceiling.

The log: 1,000,000 events over 200 boards (quick: 10,000 over 20), written straight
through the store's batches, thousands of commands per transaction, each one
decided by the domain against the board folded in memory, so restore's replay
accepts every event. The mix per established board (4 columns): about half the
commands move a card, then edits, new cards (up to 80 live per board),
archived and restored cards, board and column renames, WIP limits, column
moves, and undo/redo of the actor's own last change (refused undos are
skipped, as a person would see a conflict). Three actors take turns.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.procs import every_core, terminate
from bench.report import Bench, Result, print_results
from kanban.backup import format as backup_format
from kanban.backup.restore import restore
from kanban.bootstrap import open_log, rebuilder
from kanban.domain import commands as cmd
from kanban.domain import events as ev
from kanban.domain.decide import DECISIONS, create_board
from kanban.domain.errors import KanbanError
from kanban.domain.model import Board, RecordedEvent
from kanban.domain.undo import compensate, redo_target, undo_target
from kanban.projections.projection import Rebuild
from kanban.service.mapper import EventMapper
from kanban.settings import Settings
from kanban.store.codec import ROW_COLUMNS
from kanban.store.ports import Batch
from kanban.store.sqlite import SQLiteEventStore

SECTION_REPLAY = "4 replay"
SECTION_GROWTH = "5 growth"
BOARDS = 200
COLUMNS = ("To do", "Doing", "Review", "Done")
START_CARDS = 40
MAX_LIVE_CARDS = 80
ACTORS = ("alice", "bob", "carol")
COMMANDS_PER_BATCH = 2000
TARGET_EVENTS_PER_S = 100_000
TARGET_RSS_BYTES = 300_000_000  # "under 300 MB"
RSS_TARGET = f"< 300 MB ({TARGET_RSS_BYTES / 2**20:.0f} MiB)"
BOARD_GETS = 5


# --- the log ---------------------------------------------------------------------


def _live(board: Board) -> list[str]:
    return [
        card_id for column_id in board.column_order for card_id in board.columns[column_id].cards
    ]


def _command(rng: random.Random, board: Board, serial: int) -> tuple[cmd.Command, str | None]:
    """The next command for an existing board, and "undo"/"redo" for those."""
    b = board.id
    if len(board.column_order) < len(COLUMNS):
        title = COLUMNS[len(board.column_order)]
        return cmd.AddColumn(b, f"{b}-col{len(board.column_order)}", title), None
    live = _live(board)
    if len(board.cards) < START_CARDS:
        column = rng.choice(board.column_order)
        return cmd.AddCard(b, f"{b}-card{serial}", column, f"Card {serial}", labels=("x",)), None
    r = rng.random()
    if r < 0.08 and len(live) < MAX_LIVE_CARDS:
        column = rng.choice(board.column_order)
        labels = tuple(rng.sample(("bug", "ui", "api", "docs", "ops"), rng.randrange(3)))
        return cmd.AddCard(
            b, f"{b}-card{serial}", column, f"Card {serial}", f"Details of {serial}", labels
        ), None
    if r < 0.23 and live:
        card = rng.choice(live)
        if rng.random() < 0.5:
            return cmd.EditCard(b, card, title=f"Card {serial}"), None
        return cmd.EditCard(b, card, description=f"edit {serial}", labels=("x", "y")), None
    if r < 0.29 and len(live) > START_CARDS // 2:
        return cmd.ArchiveCard(b, rng.choice(live)), None
    if r < 0.31:
        archived = [c.id for c in board.cards.values() if c.archived]
        if archived:
            return cmd.RestoreCard(b, rng.choice(archived[-20:])), None
    if r < 0.32:
        return cmd.RenameBoard(b, f"Board {serial}"), None
    if r < 0.33:
        column = rng.choice(board.column_order)
        if rng.random() < 0.5:
            return cmd.EditColumn(b, column, title=f"Column {serial}"), None
        return cmd.EditColumn(b, column, wip_limit=rng.choice((None, 60, 100))), None
    if r < 0.335:
        return cmd.MoveColumn(b, rng.choice(board.column_order), rng.randrange(len(COLUMNS))), None
    if r < 0.385:
        return cmd.Undo(b), "undo"
    if r < 0.395:
        return cmd.Redo(b), "redo"
    card = rng.choice(live)
    target = rng.choice(board.column_order)
    size = len(board.columns[target].cards) + (board.cards[card].column_id != target)
    return cmd.MoveCard(b, card, target, rng.randrange(size)), None


def _decide(
    mapper: EventMapper,
    batch: Batch,
    board: Board,
    command: cmd.Command,
    kind: str | None,
    actor: str,
) -> tuple[list[ev.Event], str | None, str | None]:
    """(events, undo_of, redo_of), as the command's handler would decide them."""
    if kind is None:
        return DECISIONS[type(command)](board, command), None, None
    unit = undo_target(board, actor) if kind == "undo" else redo_target(board, actor)
    stored = batch.read_stream(board.id, unit.first_version, unit.last_version)
    events = compensate(board, actor, unit, [r.event for r in mapper.decode_all(stored)], kind)
    return events, *((unit.unit_id, None) if kind == "undo" else (None, unit.unit_id))


def build_log(data_dir: Path, events: int, boards: int = BOARDS, seed: int = 9) -> int:
    """Write about `events` events (whole commands) over `boards` boards; return the head."""
    data_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    mapper = EventMapper()
    folded: dict[str, Board] = {}
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(boards)]
    with SQLiteEventStore(data_dir / "events.db") as store:
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
                    actor = ACTORS[rng.randrange(len(ACTORS))] if board else "alice"
                    command: cmd.Command
                    undo_of = redo_of = None
                    if board is None:
                        command = cmd.CreateBoard(board_id, f"Board {serial % boards}")
                        decided = create_board(command, actor)
                    else:
                        command, kind = _command(rng, board, serial)
                        try:
                            decided, undo_of, redo_of = _decide(
                                mapper, batch, board, command, kind, actor
                            )
                        except KanbanError:
                            continue
                    if not decided:
                        continue
                    ctx = cmd.CommandContext(actor, str(uuid.uuid4()))
                    meta = mapper.metadata(ctx, command, undo_of, redo_of)
                    version = board.version if board else 0
                    stored = batch.append(board_id, version, mapper.encode(decided), meta)
                    for event, row in zip(decided, stored, strict=True):
                        record = RecordedEvent(
                            event,
                            row.version,
                            row.seq,
                            actor,
                            ctx.command_id,
                            None,
                            undo_of,
                            redo_of,
                        )
                        if isinstance(event, ev.BoardCreated):
                            board = folded[board_id] = Board.fold([record])
                        else:
                            assert board is not None
                            board.apply(record)
                    written = stored[-1].seq
    return written


def event_mix(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT type, count(*) FROM events GROUP BY type").fetchall()
        undo = conn.execute(
            "SELECT count(*) FROM events WHERE metadata LIKE '%\"undo_of\"%' "
            "OR metadata LIKE '%\"redo_of\"%'"
        ).fetchone()[0]
    conn.close()
    return {**dict(sorted(rows, key=lambda r: -r[1])), "(of which undo/redo)": undo}


# --- the measures ------------------------------------------------------------------


def ceiling(db: Path) -> tuple[float, int]:
    """Seconds to read every row in seq order and orjson-decode its data; the row count."""
    conn = sqlite3.connect(db)
    start = time.perf_counter()
    cur = conn.execute(f"SELECT {ROW_COLUMNS} FROM events ORDER BY seq")
    count = 0
    loads = orjson.loads
    while rows := cur.fetchmany(10_000):
        for row in rows:
            loads(row[6])
        count += len(rows)
    seconds = time.perf_counter() - start
    conn.close()
    return seconds, count


def rebuild(data_dir: Path) -> float:
    projector, close = rebuilder(Settings(data_dir=data_dir))
    try:
        start = time.perf_counter()
        projector.rebuild()
        return time.perf_counter() - start
    finally:
        close()


def rebuild_stages(data_dir: Path) -> dict[str, float]:
    """Seconds of one rebuild spent in each stage, timed around the rebuild's own parts.

    The same `Projector.rebuild` as `rebuild`, with a timer around reading the
    log, decoding each row, and each projection's feed (per event) and writes
    (per page and at the end); "the rest" is the loop itself, transactions,
    checkpoints and the index builds. The timers add their own cost (about
    0.2 µs a call), so the total is a little more than `rebuild`'s.
    """
    spent: dict[str, float] = dict.fromkeys(("read the log", "decode rows"), 0.0)
    clock = time.perf_counter

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        spent.setdefault(name, 0.0)

        def call(*args: Any) -> Any:
            start = clock()
            try:
                return fn(*args)
            finally:
                spent[name] += clock() - start

        return call

    projector, close = rebuilder(Settings(data_dir=data_dir))
    for projection in projector.projections:
        make = projection.rebuilder

        def timed_part(make: Callable[[], Rebuild] = make, name: str = projection.name) -> Rebuild:
            part = make()
            part.feed = timed(f"{name}: feed", part.feed)  # type: ignore[method-assign]
            part.flush = timed(f"{name}: write", part.flush)  # type: ignore[method-assign]
            part.finish = timed(f"{name}: write", part.finish)  # type: ignore[method-assign]
            return part

        projection.rebuilder = timed_part  # type: ignore[method-assign]
    source = projector.source
    source.read_rows = timed("read the log", source.read_rows)  # type: ignore[method-assign]
    # This rebuilder's own mapper, which nothing else shares.
    mapper = projector.mapper
    mapper.decode_row = timed("decode rows", mapper.decode_row)  # type: ignore[method-assign]
    try:
        start = clock()
        projector.rebuild()
        total = clock() - start
    finally:
        close()
    spent["the rest"] = total - sum(spent.values())
    return spent


def backup(data_dir: Path, file: Path) -> float:
    store = open_log(Settings(data_dir=data_dir))
    try:
        start = time.perf_counter()
        with file.open("wb") as f:
            backup_format.write(store, f)
            f.flush()
            os.fsync(f.fileno())
        return time.perf_counter() - start
    finally:
        store.close()


def restore_into(file: Path, target: Path) -> float:
    start = time.perf_counter()
    restore([file], target, force=True)
    return time.perf_counter() - start


# --- the server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def vm_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def serve_and_measure(bench: Bench, data_dir: Path, deadline_s: float) -> dict[str, float]:
    """Start `kanban serve` on data_dir, wait for its read models, GET boards, read VmHWM."""
    port, token = free_port(), uuid.uuid4().hex
    argv = [sys.executable, "-m", "kanban.cli", "serve", "--port", str(port)]
    argv += ["--data-dir", str(data_dir)]
    if shutil.which("taskset") and bench.cores >= 2:
        argv = ["taskset", "-c", str(bench.server_core), *argv]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KANBAN_")}
    env["KANBAN_ADMIN_TOKEN"] = token
    log_path = data_dir.parent / f"{data_dir.name}-serve.log"
    url = f"http://127.0.0.1:{port}"
    out: dict[str, float] = {}
    with log_path.open("wb") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
        )
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30.0) as client:
            ready = None
            limit = time.monotonic() + deadline_s
            next_report = time.monotonic() + 30
            while time.monotonic() < limit and proc.poll() is None:
                try:
                    r = client.get("/readyz", timeout=5.0)
                    if r.status_code == 200:
                        body = r.json()
                        if ready is None:
                            ready = time.perf_counter()
                            out["ready_s"] = ready - started
                        if all(p["lag"] == 0 for p in body["projections"]):
                            out["caught_up_s"] = time.perf_counter() - started
                            out["head_seq"] = body["head_seq"]
                            break
                except httpx.TransportError:
                    pass
                if ready is not None and time.monotonic() > next_report:
                    lag = max(p["lag"] for p in body["projections"])
                    print(f"[replay] kanban serve: lag {lag:,} events", file=sys.stderr)
                    next_report = time.monotonic() + 30
                time.sleep(0.05 if ready is None else 0.2)
            else:
                raise RuntimeError(
                    f"kanban serve did not catch up in {deadline_s:.0f} s:\n{log_path.read_text()}"
                )
            boards = client.get("/api/v1/boards").raise_for_status().json()["boards"]
            sizes = []
            for board in boards[:BOARD_GETS]:
                r = client.get(f"/api/v1/boards/{board['id']}").raise_for_status()
                sizes.append(len(r.content))
            out["boards_listed"] = len(boards)
            out["board_kib"] = sum(sizes) / len(sizes) / 1024 if sizes else 0.0
        out["vmhwm_mib"] = vm_kib(proc.pid, "VmHWM") / 1024
        out["vmrss_mib"] = vm_kib(proc.pid, "VmRSS") / 1024
    finally:
        terminate(proc, 30)
    return out


# --- the section ------------------------------------------------------------------------


def run(bench: Bench) -> list[Result]:
    return _run(bench, bench.scale(1_000_000, 10_000), bench.scale(BOARDS, 20))


def _run(
    bench: Bench, events: int, boards: int = BOARDS, cache: Path | None = None
) -> list[Result]:
    root = bench.workdir / "replay"
    shutil.rmtree(root, ignore_errors=True)
    data, restored, file = root / "data", root / "restored", root / "full.jsonl.gz"
    load = os.getloadavg()
    start = time.perf_counter()
    kept = cache / f"events-{events}-{boards}.db" if cache else None
    reused = kept is not None and kept.exists()
    if kept is not None and reused:
        data.mkdir(parents=True)
        shutil.copyfile(kept, data / "events.db")
        with sqlite3.connect(data / "events.db") as conn:
            (head,) = conn.execute("SELECT max(seq) FROM events").fetchone()
        conn.close()
    else:
        head = build_log(data, events, boards)
        if kept is not None:
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(data / "events.db", kept)
    build_s = time.perf_counter() - start
    gc.collect()
    log_mib = (data / "events.db").stat().st_size / 2**20
    mix = event_mix(data / "events.db")
    print(
        f"[replay] log: {head:,} events over {boards} boards, {log_mib:,.0f} MiB, "
        f"{f'copied from {kept}' if reused else 'built'} "
        f"at {head / build_s:,.0f} events/s",
        file=sys.stderr,
    )

    ceiling_s, rows = ceiling(data / "events.db")
    assert rows == head, (rows, head)
    ceiling_rate = head / ceiling_s
    # Generous: the server projects the log itself, on one core (about 1,300 to 5,000
    # events/s before issue 9's tuning, depending on what else runs).
    deadline = max(120.0, head / 300)

    cold = serve_and_measure(bench, data, deadline)
    with every_core():  # as an operator runs them: restore uses both
        rebuild_s = rebuild(data)
        stages = stages_note(rebuild_stages(data), head)
        backup_s = backup(data, file)
        restore_s = restore_into(file, restored)
    backup_mib = file.stat().st_size / 2**20
    warm = serve_and_measure(bench, restored, 120.0)
    shutil.rmtree(root, ignore_errors=True)

    ceiling_name = "sqlite3 read + orjson decode (ceiling)"
    shape = f"{head:,} events, {boards} boards, log {log_mib:,.0f} MiB"

    def rate(measure: str, seconds: float, target: bool, note: str) -> Result:
        value = head / seconds
        return Result(
            SECTION_REPLAY,
            measure,
            value,
            "events/s",
            baseline=ceiling_rate,
            baseline_name=ceiling_name,
            target=f">= {TARGET_EVENTS_PER_S:,} events/s" if target else "",
            met=value >= TARGET_EVENTS_PER_S if target else None,
            note=note,
        )

    results = [
        Result(
            SECTION_REPLAY,
            "read-and-decode ceiling",
            ceiling_rate,
            "events/s",
            note=f"{shape}; {ceiling_s:.1f} s; every row in seq order, data orjson-decoded; "
            f"load average {load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        ),
        rate(
            "rebuild every read model (Projector.rebuild)",
            rebuild_s,
            True,
            f"{rebuild_s:.1f} s ({rebuild_s / head * 1e6:.1f} µs per event), in process, "
            f"on every core; a second rebuild with timers: {stages}",
        ),
        rate(
            "backup create",
            backup_s,
            False,
            f"{backup_s:.1f} s, in process, on every core (format.write + fsync), "
            f"{backup_mib:.0f} MiB file",
        ),
        rate(
            "backup restore (replay, store, rebuild)",
            restore_s,
            True,
            f"{restore_s:.1f} s, in process, on every core: each page of events checked "
            "and stored here while a second process projects the stored log",
        ),
        rate(
            "kanban serve projecting the log from empty read models",
            cold["caught_up_s"],
            False,
            f"server pinned to core {bench.server_core}, {cold['caught_up_s']:.1f} s from its "
            f"start to lag 0 on every projection (answering /readyz after {cold['ready_s']:.1f} s)",
        ),
        Result(
            SECTION_GROWTH,
            f"server peak RSS after projecting {head:,} events itself",
            cold["vmhwm_mib"],
            "MiB",
            higher_is_better=False,
            target=RSS_TARGET,
            met=cold["vmhwm_mib"] * 2**20 < TARGET_RSS_BYTES,
            note=f"VmHWM after lag 0 and {BOARD_GETS} board GETs "
            f"(~{cold['board_kib']:.0f} KiB each); VmRSS {cold['vmrss_mib']:.0f} MiB",
        ),
        Result(
            SECTION_GROWTH,
            f"server peak RSS on a {head:,}-event log, read models current",
            warm["vmhwm_mib"],
            "MiB",
            higher_is_better=False,
            target=RSS_TARGET,
            met=warm["vmhwm_mib"] * 2**20 < TARGET_RSS_BYTES,
            note=f"the restored data dir; VmHWM after {BOARD_GETS} board GETs; "
            f"VmRSS {warm['vmrss_mib']:.0f} MiB",
        ),
    ]
    print(f"[replay] event mix: {json.dumps(mix)}", file=sys.stderr)
    return results


# --- running it alone ---------------------------------------------------------------------


def _profile(step: str, events: int, boards: int, out: Path | None) -> None:
    """Profile one step with pyinstrument on a log of `events` events."""
    from pyinstrument import Profiler

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data, file, target = root / "data", root / "full.jsonl.gz", root / "restored"
        head = build_log(data, events, boards)
        gc.collect()
        steps: dict[str, Callable[[], float]] = {
            "rebuild": lambda: rebuild(data),
            "backup": lambda: backup(data, file),
            "restore": lambda: restore_into(file, target),
        }
        if step == "restore":
            backup(data, file)
        profiler = Profiler(interval=0.001)
        profiler.start()
        seconds = steps[step]()
        profiler.stop()
        print(f"{step}: {head:,} events in {seconds:.1f} s = {head / seconds:,.0f} events/s")
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        if out:
            out.write_text(profiler.output_html())


def _stages(events: int, boards: int) -> None:
    """Print a rebuild's time by stage on a log of `events` events, beside a plain rebuild."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        head = build_log(data, events, boards)
        gc.collect()
        seconds = rebuild(data)
        print(
            f"rebuild: {head:,} events in {seconds:.2f} s = {head / seconds:,.0f} events/s, "
            f"{seconds / head * 1e6:.1f} µs per event"
        )
        print(stages_note(rebuild_stages(data), head))


def stages_note(spent: dict[str, float], events: int) -> str:
    """`rebuild_stages`'s seconds as µs per event of the log, largest first."""
    total = sum(spent.values())
    parts = sorted(spent.items(), key=lambda item: -item[1])
    shares = ", ".join(f"{name} {seconds / events * 1e6:.1f}" for name, seconds in parts)
    return f"µs per event, timed apart ({total / events * 1e6:.1f} in all): {shares}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--events", type=int, help="log size (default 1,000,000; quick 10,000)")
    parser.add_argument("--boards", type=int, help="boards (default 200; quick 20)")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--keep-log",
        type=Path,
        metavar="DIR",
        help="keep the built log in DIR and reuse it on the next run of the same size",
    )
    parser.add_argument("--profile", choices=("rebuild", "backup", "restore"))
    parser.add_argument("--html", type=Path, help="with --profile: also write pyinstrument HTML")
    parser.add_argument(
        "--stages", action="store_true", help="time a rebuild's stages (default 200,000 events)"
    )
    args = parser.parse_args()
    if args.profile:
        _profile(args.profile, args.events or 200_000, args.boards or BOARDS, args.html)
        return
    if args.stages:
        _stages(args.events or 200_000, args.boards or BOARDS)
        return
    bench = Bench(quick=args.quick)
    try:
        events = args.events or bench.scale(1_000_000, 10_000)
        boards = args.boards or bench.scale(BOARDS, 20)
        results = _run(bench, events, boards, args.keep_log)
    finally:
        shutil.rmtree(bench.workdir, ignore_errors=True)
    print_results(results, args.json)


if __name__ == "__main__":
    main()
