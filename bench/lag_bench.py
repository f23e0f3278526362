"""Projection lag benchmark: commit to visible in the read model, embedded and Redis mode.

Run: .venv/bin/python bench/lag_bench.py [--quick] [--seconds S] [--rate R] [--json FILE]

For each mode it starts a real `kanban serve` in a subprocess (embedded, then
`--redis-url` with a redis-server of its own on a free port), pinned to core 0
with the redis-server when `taskset` exists, while this process (the load) runs
on core 1. The load generator is httpx async: `--clients` clients, each with
its own board, edit a card title (PATCH, one event per command) at a fixed
total rate for `--seconds`, one command in flight per client; each client is
also subscribed to its board's live stream (Server-Sent Events).

For every command, measured on this process's clock:
  * command latency: request sent -> its 2xx (which carries the event's `seq`);
  * projection lag: that 2xx -> the SSE message `id: <seq>` of the same event.
    The live stream reads the read model, so its arrival means "visible in the
    read model". A message can arrive before the 2xx; it counts as 0 and the
    share of such commands is reported;
  * send -> visible: request sent -> SSE message (an upper bound of commit ->
    visible that includes the command's own latency).
Samples of the first second (warm-up) are left out.

There is no bare-stack baseline for lag: nothing simpler projects the log into
a read model, so the embedded mode is the reference the Redis mode stands by.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

CARDS_PER_BOARD = 5
SERVER_CORE, LOAD_CORE = 0, 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc; NaN elsewhere)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def pinning() -> bool:
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2


def on_core(core: int, argv: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *argv] if pinning() else argv


# --- the processes ---------------------------------------------------------------


class Redis:
    """A throwaway redis-server (no persistence) on a free port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        executable = shutil.which("redis-server")
        if executable is None:
            raise SystemExit("redis-server is not on PATH (apt-get install redis-server)")
        self.directory.mkdir(parents=True, exist_ok=True)
        argv = [executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        with (self.directory / "redis.log").open("wb") as log:
            self.proc = subprocess.Popen(
                on_core(SERVER_CORE, argv), stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


class Server:
    """`kanban serve` in a subprocess, output to a file (a pipe nobody reads would stall it)."""

    def __init__(self, data_dir: Path, token: str, redis_url: str | None) -> None:
        self.data_dir = data_dir
        self.token = token
        self.redis_url = redis_url
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        argv = [sys.executable, "-m", "kanban.cli", "serve", "--port", str(self.port)]
        argv += ["--data-dir", str(self.data_dir)]
        if self.redis_url:
            argv += ["--redis-url", self.redis_url]
        env = {k: v for k, v in os.environ.items() if not k.startswith("KANBAN_")}
        env["KANBAN_ADMIN_TOKEN"] = self.token
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                on_core(SERVER_CORE, argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=self.url, timeout=1.0) as client:
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if client.get("/readyz").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        self.stop()
        raise SystemExit(f"kanban serve did not become ready:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


# --- the load --------------------------------------------------------------------


@dataclass
class Sample:
    sent: float
    answered: float
    seq: int


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    arrivals: dict[int, float] = field(default_factory=dict)
    errors: int = 0
    #: CPU seconds the service (kanban serve, and redis-server) used during the load.
    server_cpu: float = 0.0
    redis_cpu: float = 0.0
    #: CPU seconds this process (the load generator) used meanwhile.
    load_cpu: float = 0.0
    #: The Redis mode's gauges, scraped once a second: the largest seen per name.
    gauges: dict[str, float] = field(default_factory=dict)


def ok(response: httpx.Response) -> Any:
    if not response.is_success:
        raise SystemExit(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()


async def new_board(http: httpx.AsyncClient, n: int) -> tuple[str, list[str], int]:
    """A board with one column and a few cards; its id, the card ids, the last seq."""
    board = ok(await http.post("/api/v1/boards", json={"title": f"Lag {n}"}))["board_id"]
    column = ok(await http.post(f"/api/v1/boards/{board}/columns", json={"title": "To do"}))
    cards, seq = [], 0
    for i in range(CARDS_PER_BOARD):
        body = {"column_id": column["column_id"], "title": f"Card {i}"}
        card = ok(await http.post(f"/api/v1/boards/{board}/cards", json=body))
        cards.append(card["card_id"])
        seq = card["seq"]
    return board, cards, seq


async def watch(http: httpx.AsyncClient, board: str, run: Run, subscribed: asyncio.Event) -> None:
    """Record when each event's SSE message arrives: `id: <seq>` comes first in a message."""
    async with http.stream("GET", f"/api/v1/boards/{board}/stream", timeout=None) as response:
        if response.status_code != 200:
            raise SystemExit(f"stream of {board}: {response.status_code}")
        async for line in response.aiter_lines():
            if line.startswith("id:"):
                run.arrivals[int(line[3:])] = time.perf_counter()
            elif line.startswith("retry:"):
                subscribed.set()


async def drive(
    http: httpx.AsyncClient,
    board: str,
    cards: list[str],
    interval: float,
    start: float,
    end: float,
    run: Run,
) -> None:
    """One client: a command every `interval` seconds, one in flight, no bursts to catch up."""
    due, n = start, 0
    while True:
        now = time.perf_counter()
        if now >= end:
            return
        if due > now:
            await asyncio.sleep(due - now)
        card = cards[n % len(cards)]
        sent = time.perf_counter()
        response = await http.patch(
            f"/api/v1/boards/{board}/cards/{card}", json={"title": f"Title {n}"}
        )
        answered = time.perf_counter()
        if response.is_success:
            run.samples.append(Sample(sent, answered, response.json()["seq"]))
        else:
            run.errors += 1
        n += 1
        due = max(due + interval, answered - interval)


async def scrape(http: httpx.AsyncClient, run: Run, end: float) -> None:
    """Sample the distributed gauges once a second; keep each one's maximum."""
    wanted = ("kanban_group_lag_events", "kanban_group_lag_seconds", "kanban_relay_lag_events")
    while time.perf_counter() < end:
        await asyncio.sleep(1.0)
        text = (await http.get("/metrics")).text
        for line in text.splitlines():
            name = line.split("{", 1)[0].split(" ", 1)[0]
            if name in wanted:
                value = float(line.rsplit(" ", 1)[1])
                run.gauges[name] = max(run.gauges.get(name, 0.0), value)


async def load(
    url: str, token: str, args: argparse.Namespace, server_pid: int, redis_pid: int | None
) -> Run:
    run = Run()
    distributed = redis_pid is not None
    limits = httpx.Limits(max_connections=2 * args.clients + 4, max_keepalive_connections=None)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=30.0
    ) as http:
        boards = [await new_board(http, n) for n in range(args.clients)]
        last = max(seq for _, _, seq in boards)
        ok(await http.get(f"/api/v1/boards/{boards[-1][0]}", params={"min_seq": last}))
        flags = [asyncio.Event() for _ in boards]
        watchers = [
            asyncio.create_task(watch(http, board, run, flag))
            for (board, _, _), flag in zip(boards, flags, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(f.wait() for f in flags)), 10)
        interval = args.clients / args.rate
        start = time.perf_counter() + 0.1
        end = start + args.warmup + args.seconds
        tasks = [
            drive(http, board, cards, interval, start + i * interval / args.clients, end, run)
            for i, (board, cards, _) in enumerate(boards)
        ]
        if distributed:
            tasks.append(scrape(http, run, end))
        cpu_before = cpu_seconds([server_pid]), cpu_seconds([redis_pid] if redis_pid else [])
        load_before = time.process_time()
        await asyncio.gather(*tasks)
        run.load_cpu = time.process_time() - load_before
        run.server_cpu = cpu_seconds([server_pid]) - cpu_before[0]
        run.redis_cpu = cpu_seconds([redis_pid] if redis_pid else []) - cpu_before[1]
        # Let the last events arrive.
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline and any(
            s.seq not in run.arrivals for s in run.samples
        ):
            await asyncio.sleep(0.05)
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
    run.samples = [s for s in run.samples if s.sent >= start + args.warmup]
    return run


# --- figures ---------------------------------------------------------------------


def pct(values: Sequence[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summarize(run: Run, seconds: float, warmup: float) -> dict[str, float]:
    seen = [s for s in run.samples if s.seq in run.arrivals]
    lag = [max(run.arrivals[s.seq] - s.answered, 0.0) * 1000 for s in seen]
    send_visible = [(run.arrivals[s.seq] - s.sent) * 1000 for s in seen]
    latency = [(s.answered - s.sent) * 1000 for s in run.samples]
    early = sum(1 for s in seen if run.arrivals[s.seq] <= s.answered)
    result = {
        "commands": float(len(run.samples)),
        "commands_per_s": len(run.samples) / seconds,
        "errors": float(run.errors),
        "never_visible": float(len(run.samples) - len(seen)),
        "command_p50_ms": pct(latency, 50),
        "command_p99_ms": pct(latency, 99),
        "lag_p50_ms": pct(lag, 50),
        "lag_p99_ms": pct(lag, 99),
        "lag_max_ms": max(lag, default=float("nan")),
        "send_to_visible_p50_ms": pct(send_visible, 50),
        "send_to_visible_p99_ms": pct(send_visible, 99),
        "visible_before_response": early / len(seen) if seen else float("nan"),
        "server_cpu_share": run.server_cpu / (seconds + warmup),
        "redis_cpu_share": run.redis_cpu / (seconds + warmup),
        "load_cpu_share": run.load_cpu / (seconds + warmup),
    }
    result.update({f"max_{name}": value for name, value in run.gauges.items()})
    return result


def measure(mode: str, root: Path, args: argparse.Namespace) -> dict[str, float]:
    token = "bench-" + secrets.token_urlsafe(16)
    redis = Redis(root / f"{mode}-redis").start() if mode == "redis" else None
    server = Server(root / mode, token, redis.url if redis else None)
    try:
        server.start()
        assert server.proc is not None
        redis_pid = redis.proc.pid if redis is not None and redis.proc is not None else None
        run = asyncio.run(load(server.url, token, args, server.proc.pid, redis_pid))
    finally:
        server.stop()
        if redis is not None:
            redis.stop()
    return summarize(run, args.seconds, args.warmup)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s per mode, a sanity check")
    parser.add_argument("--seconds", type=float, help="measured seconds per mode (default 20)")
    parser.add_argument("--rate", type=float, default=300.0, help="commands/s, all clients")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (boards)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--modes", default="embedded,redis", help="which modes, comma-separated (default both)"
    )
    parser.add_argument("--dir", type=Path, help="where to put the data (default: a temp dir)")
    args = parser.parse_args()
    args.seconds = args.seconds or (5.0 if args.quick else 20.0)
    args.warmup = 1.0
    pinned = pinning()
    if pinned:
        os.sched_setaffinity(0, {LOAD_CORE})
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for mode in args.modes.split(","):
            results[mode] = measure(mode, Path(tmp), args)

    print(f"# Kanban projection lag benchmark ({'quick' if args.quick else 'full'})")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}; "
        + (
            f"server (and redis-server) pinned to core {SERVER_CORE}, load on core {LOAD_CORE}"
            if pinned
            else "not pinned (no taskset or one core)"
        )
    )
    print(
        f"load: httpx async, {args.clients} clients at {args.rate:.0f} commands/s in total "
        f"(PATCH card title, one event each), {args.seconds:.0f} s measured per mode "
        f"after {args.warmup:.0f} s warm-up"
    )
    print("lag = the command's 2xx -> its SSE message (visible in the read model)")
    print("baseline: none - no bare stack projects a log, so embedded is the reference\n")
    rows = [
        ("commands/s achieved", "commands_per_s", "{:.0f}"),
        ("command latency p50 (ms)", "command_p50_ms", "{:.2f}"),
        ("command latency p99 (ms)", "command_p99_ms", "{:.2f}"),
        ("projection lag p50 (ms)", "lag_p50_ms", "{:.2f}"),
        ("projection lag p99 (ms)", "lag_p99_ms", "{:.2f}"),
        ("projection lag max (ms)", "lag_max_ms", "{:.2f}"),
        ("send -> visible p50 (ms)", "send_to_visible_p50_ms", "{:.2f}"),
        ("send -> visible p99 (ms)", "send_to_visible_p99_ms", "{:.2f}"),
        ("visible before the 2xx", "visible_before_response", "{:.1%}"),
        ("kanban serve CPU (of a core)", "server_cpu_share", "{:.0%}"),
        ("redis-server CPU (of a core)", "redis_cpu_share", "{:.0%}"),
        ("load generator CPU (of a core)", "load_cpu_share", "{:.0%}"),
        ("errors / never visible", None, ""),
    ]
    modes = list(results)
    print(f"{'measure':30} " + " ".join(f"{m:>10}" for m in modes))
    for label, key, fmt in rows:
        if key is None:
            cells = [f"{r['errors']:.0f} / {r['never_visible']:.0f}" for r in results.values()]
        else:
            cells = [fmt.format(results[m][key]) for m in modes]
        print(f"{label:30} " + " ".join(f"{c:>10}" for c in cells))
    gauges = {k: v for k, v in results.get("redis", {}).items() if k.startswith("max_")}
    if gauges:
        print(
            "\nRedis mode, /metrics scraped once a second during the load (largest seen): "
            + ", ".join(f"{k.removeprefix('max_')} {v:g}" for k, v in sorted(gauges.items()))
        )
    if args.json:
        meta = {"clients": args.clients, "rate": args.rate, "seconds": args.seconds}
        args.json.write_text(json.dumps({"settings": meta, **results}, indent=2))


if __name__ == "__main__":
    main()
