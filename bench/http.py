"""Sections 1, 2, 3 and 5 of `python -m bench`: Kanban over HTTP beside the bare stack.

The servers under test (`kanban serve`, bench/bare_app.py, a redis-server) run
pinned to `bench.server_core`; the load generator, wrk (one thread, Lua
scenarios in bench/lua/), the SSE client and this process run on
`bench.load_core`. Boards are built in-process through the command bus before
a server starts on the data dir (bench/build.py): the same events as over the
API, as the admin, without a round trip each.

1. commands: the mix of bench/lua/commands.lua (add card, move card, edit card in
   turn, on 10 boards of 4 columns x 10 cards) at 32 connections: commands/s at
   saturation, then p50/p99 at a fixed rate (half the lower of the two
   saturation figures, paced by wrk's delay()); baseline: the bare app taking
   the same requests (same paths and bodies, validated by Kanban's models, one
   row each into SQLite WAL synchronous=FULL).
2. board query: GET of a board of 10 columns x 50 cards at 32 connections
   against the bare app answering the same bytes from memory; the 304 path
   (If-None-Match); the same GET by 50 viewers in turn, each with a token of
   their own, while another board takes edits, beside it with none (each edit
   is a commit to read.db, which must not cost every viewer a sign-in); a
   board of 5,000 cards at 1 connection (median latency), cached and right
   after a change (when the view must be rendered again).
3. projection lag: the mix of 1 at a fixed rate while an SSE client follows the
   10 boards' streams; lag = arrival (wall clock) - the event's recorded_at
   (the server's wall clock, same machine), embedded and with Redis.
5. growth: command latency and board query latency on a board with 100 events
   against one with 100,000 (`--quick`: 10,000); time travel on the long one.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import orjson

from bench import wrk
from bench.build import BoardSpec, building
from bench.procs import BareApp, KanbanServer, Process, Redis
from bench.report import Bench, Result

CONNECTIONS = 32
#: The fixed rate of the latency runs: this share of the lower saturation figure.
FIXED_SHARE = 0.4
MIX_BOARDS = 10
#: The fixed rate of section 3 when section 1 did not run first (commands/s).
DEFAULT_LAG_RATE = 300.0
#: Section 5's command latency: a light fixed rate on one board at a time.
GROWTH_RATE, GROWTH_CONNECTIONS = 100.0, 4
BOARD_ROUTE = "/api/v1/boards/{board_id}"

S1, S2, S3, S5 = "1 commands", "2 board query", "3 projection lag", "5 growth"

#: Figures one section hands to a later one in the same run (the fixed command rate).
shared: dict[str, float] = {}
_tags = itertools.count(1)


@dataclass
class Timing:
    warmup: int  # seconds of wrk before a measured saturation run (0: none)
    rounds: int  # Kanban and the bare app alternate this many times, each run this long:
    saturation: int
    fixed: int
    single: int  # 1-connection latency runs
    lag: int
    growth_events: int
    samples: int  # sequential change-then-GET samples


_clock = time.perf_counter()


def say(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(f"[http {time.perf_counter() - _clock:6.1f} s] {message}", file=sys.stderr, flush=True)


def timing(bench: Bench) -> Timing:
    if bench.quick:
        return Timing(0, 1, 1, 1, 1, 1, 10_000, 8)
    return Timing(3, 3, 5, 5, 5, 15, 100_000, 100)


def rps(runs: list[wrk.WrkResult]) -> float:
    """Requests/s over several runs: the median run's."""
    return statistics.median(r.rps for r in runs)


def rounds(t: Timing, runs: dict[str, list[wrk.WrkResult]] | None = None) -> str:
    text = f"median of {t.rounds} alternated run{'s' if t.rounds > 1 else ''}"
    if runs and t.rounds > 1:
        text += (
            " ("
            + "; ".join(
                f"{name} " + ", ".join(f"{r.rps:,.0f}" for r in rs) for name, rs in runs.items()
            )
            + ")"
        )
    return text


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(q * 10) - 1]


def tag() -> str:
    return f"{int(time.time()) % 100000}-{next(_tags)}"


def start_all(*procs: Process) -> None:
    """Start the processes in parallel (each waits for its own readiness)."""
    with ThreadPoolExecutor(len(procs)) as pool:
        futures = [pool.submit(p.start) for p in procs]
    try:
        for future in futures:
            future.result()
    except BaseException:
        for p in procs:
            p.stop()
        raise


def ok(response: httpx.Response) -> Any:
    if not response.is_success:
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: "
            f"{response.status_code} {response.text[:500]}"
        )
    return response.json()


def head_seq(client: httpx.Client) -> int:
    seq: int = ok(client.get("/readyz"))["head_seq"]
    return seq


def refresh(client: httpx.Client, specs: list[BoardSpec]) -> None:
    """Read back where each card is (after moves), so the next run's moves are real moves."""
    seq = head_seq(client)
    for spec in specs:
        view = ok(client.get(f"/api/v1/boards/{spec.id}", params={"min_seq": seq}))
        where = {
            card["id"]: spec.columns.index(column["id"]) + 1
            for column in view["columns"]
            for card in column["cards"]
        }
        spec.cards = [(card, where.get(card, col)) for card, col in spec.cards]
        spec.version = view["version"]


def mix_config(token: str, specs: list[BoardSpec]) -> dict[str, Any]:
    return {"token": token, "boards": [s.lua() for s in specs], "tag": tag()}


def server_mean_ms(
    client: httpx.Client, method: str, route: str, status: str = "200"
) -> Callable[[], float]:
    """Start a server-side measurement from /metrics: call the result for the mean ms since."""

    def read() -> tuple[float, float]:
        text = client.get("/metrics").text
        label = f'method="{method}",route="{route}",status="{status}"'
        total = count = 0.0
        for line in text.splitlines():
            if label not in line:
                continue
            if line.startswith("kanban_http_request_duration_seconds_sum{"):
                total = float(line.rsplit(" ", 1)[1])
            elif line.startswith("kanban_http_request_duration_seconds_count{"):
                count = float(line.rsplit(" ", 1)[1])
        return total, count

    before = read()

    def since() -> float:
        total, count = read()
        n = count - before[1]
        return (total - before[0]) / n * 1000 if n else float("nan")

    return since


# --- the servers of sections 1 and 2 -------------------------------------------------


class Stage:
    """One `kanban serve` and one bare app for sections 1 and 2, on boards built in-process."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        root = bench.workdir / "http"
        self.token = "bench-" + secrets.token_urlsafe(16)
        boards_dir = root / "bare-boards"
        boards_dir.mkdir(parents=True, exist_ok=True)
        t = timing(bench)
        #: Fresh boards for every run of the mix (adds grow them), so that runs compare.
        sets = (1 if t.warmup else 0) + 2 * t.rounds
        say(f"building boards for sections 1 and 2 ({sets} x 10 boards of 4 x 10 cards, 10x50, "
            "10x500)")  # fmt: skip
        with building(root / "kanban") as b:
            self.mixes = [
                [b.board(f"Mix {n}.{i}", 4, 10, rich=False) for i in range(MIX_BOARDS)]
                for n in range(sets)
            ]
            self.query = b.board("Query 10x50", 10, 50)
            self.big = b.board("Query 10x500", 10, 500)
            b.settle()
            self.documents: dict[str, bytes] = {}
            for spec in (self.query, self.big):
                found = b.kanban.read.board_view(spec.id, False)
                assert found is not None
                self.documents[spec.id] = found[1]
                (boards_dir / f"{spec.id}.json").write_bytes(found[1])
        core = bench.server_core
        self.kanban = KanbanServer(root / "kanban", self.token, core)
        self.bare = BareApp(root / "bare", self.token, core, boards_dir)
        say("starting kanban serve and the bare app")
        start_all(self.kanban, self.bare)
        self.client = self.kanban.client()

    def close(self) -> None:
        self.client.close()
        self.kanban.stop()
        self.bare.stop()


_stage: Stage | None = None


def stage(bench: Bench) -> Stage:
    global _stage
    if _stage is not None and _stage.bench is not bench:
        close()
    if _stage is None:
        _stage = Stage(bench)
    return _stage


def close() -> None:
    """Stop the servers the sections share (the orchestrator calls this at the end)."""
    global _stage
    if _stage is not None:
        stage_, _stage = _stage, None
        stage_.close()


# --- 1. commands ---------------------------------------------------------------------


def commands(bench: Bench) -> list[Result]:
    t, st = timing(bench), stage(bench)
    boards = iter(st.mixes)

    def pair(seconds: int, rate: float | None = None) -> dict[str, wrk.WrkResult]:
        """Kanban, then the bare app, with the same requests; on boards not used before."""
        config = mix_config(st.token, next(boards))
        out = {}
        for name, url in (("kanban", st.kanban.url), ("bare", st.bare.url)):
            pace = f"{rate:.0f}/s" if rate else "saturation"
            say(f"command mix on {name}, {seconds} s, {pace}")
            out[name] = wrk.run(
                url,
                "commands",
                config,
                bench.workdir,
                connections=CONNECTIONS,
                seconds=seconds,
                core=bench.load_core,
                rate=rate,
            )
        return out

    if t.warmup:
        pair(t.warmup)
    cpu, busy = st.kanban.cpu_seconds(), 0.0
    sat: dict[str, list[wrk.WrkResult]] = {"kanban": [], "bare": []}
    for _ in range(t.rounds):  # alternated, so that drift (other load, the disk) hits both
        for name, result in pair(t.saturation).items():
            sat[name].append(result)
        busy += sat["kanban"][-1].seconds
    cpu_share = (st.kanban.cpu_seconds() - cpu) / busy
    sat_k, sat_b = rps(sat["kanban"]), rps(sat["bare"])
    rate = max(10.0, round(FIXED_SHARE * min(sat_k, sat_b), -1))
    shared["command_rate"] = rate
    fix: dict[str, list[wrk.WrkResult]] = {"kanban": [], "bare": []}
    for _ in range(t.rounds):
        for name, result in pair(t.fixed, rate).items():
            fix[name].append(result)
    at = f"at {rate:.0f}/s (fixed rate, {FIXED_SHARE:.0%} of the lower saturation figure)"
    achieved = (
        f"achieved {rps(fix['kanban']):.0f}/s Kanban, {rps(fix['bare']):.0f}/s bare; "
        f"{CONNECTIONS} connections; {rounds(t)}"
    )
    base = "bare app POST, same bodies"

    def lat(runs: list[wrk.WrkResult], q: str) -> float:
        return statistics.median(r.latency_ms[q] for r in runs)

    return [
        Result(
            S1,
            f"commands/s at saturation, {CONNECTIONS} connections (add/move/edit card mix)",
            sat_k,
            "cmd/s",
            sat_b,
            base,
            target="ratio >= 1.0 (aim 2.0)",
            met=sat_k >= sat_b,
            note=(
                f"{rounds(t, sat)}; p50/p99 at saturation {lat(sat['kanban'], 'p50'):.1f}/"
                f"{lat(sat['kanban'], 'p99'):.1f} ms Kanban, {lat(sat['bare'], 'p50'):.1f}/"
                f"{lat(sat['bare'], 'p99'):.1f} ms bare; Kanban server CPU {cpu_share:.0%} of "
                f"core {bench.server_core}"
            ),
        ),
        Result(S1, f"command latency p50 {at}", lat(fix["kanban"], "p50"), "ms",
               lat(fix["bare"], "p50"), base, False, note=achieved),
        Result(S1, f"command latency p99 {at}", lat(fix["kanban"], "p99"), "ms",
               lat(fix["bare"], "p99"), base, False, note=achieved),
    ]  # fmt: skip


# --- 2. board query ------------------------------------------------------------------


def get(
    bench: Bench,
    url: str,
    token: str,
    path: str,
    *,
    connections: int,
    seconds: int,
    if_none_match: str | None = None,
    tokens: list[str] | None = None,
) -> wrk.WrkResult:
    config: dict[str, Any] = {"token": token, "path": path}
    if if_none_match:
        config["if_none_match"] = if_none_match
    if tokens:
        config["tokens"] = tokens
    return wrk.run(
        url,
        "get",
        config,
        bench.workdir,
        connections=connections,
        seconds=seconds,
        core=bench.load_core,
    )


@dataclass
class AfterChange:
    """Sequential change-then-GET samples (ms)."""

    get: list[float]
    #: PATCH sent -> the read side has it (a history query with min_seq answered).
    visible: list[float]
    #: Mean of the GETs measured inside the server (its /metrics histogram).
    server_mean: float


def changed_then_get(client: httpx.Client, spec: BoardSpec, samples: int) -> AfterChange:
    """Edit a card, wait until the read side has it, then time one GET of the board.

    Each GET finds a new version: the cost a viewer pays right after someone
    changed the board (client-side latency, and the server's own mean).
    """
    path = f"/api/v1/boards/{spec.id}"
    server = server_mean_ms(client, "GET", BOARD_ROUTE)
    gets, visible = [], []
    for i in range(samples):
        card = spec.cards[i % len(spec.cards)][0]
        start = time.perf_counter()
        done = ok(client.patch(f"{path}/cards/{card}", json={"title": f"Changed {tag()}"}))
        ok(client.get(f"{path}/history", params={"limit": 1, "min_seq": done["seq"]}))
        visible.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        response = client.get(path)
        gets.append((time.perf_counter() - start) * 1000)
        ok(response)
        if response.headers["etag"] != f'"{done["version"]}"':
            raise RuntimeError("the GET after a change did not answer the new version")
    return AfterChange(gets, visible, server())


#: Section 2's reads under writes: this many viewers, each request under the next's
#: token, while another board takes this many edits a second.
READERS, READ_WRITES_PER_S = 50, 100.0


def reader_tokens(client: httpx.Client, board_id: str, count: int) -> list[str]:
    """API tokens of `count` new users, each a viewer of `board_id` (the admin adds them)."""
    tokens = []
    for _ in range(count):
        user = ok(client.post("/api/v1/users", json={"name": f"reader-{tag()}"}))
        ok(client.post(f"/api/v1/boards/{board_id}/members",
                       json={"user_id": user["user_id"], "role": "viewer"}))  # fmt: skip
        tokens.append(user["token"])
    return tokens


class Editing:
    """A thread editing one card's title at a fixed rate until stopped; counts the edits."""

    def __init__(self, client: httpx.Client, spec: BoardSpec, rate: float) -> None:
        self.path = f"/api/v1/boards/{spec.id}/cards/{spec.cards[0][0]}"
        self.client, self.rate, self.edits = client, rate, 0
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = time.perf_counter()
        self._thread.start()

    def _run(self) -> None:
        due = time.perf_counter()
        try:
            while not self._stop.is_set():
                ok(self.client.patch(self.path, json={"title": f"Edited {tag()}"}))
                self.edits += 1
                due += 1 / self.rate
                self._stop.wait(max(0.0, due - time.perf_counter()))
        except Exception as exc:  # raised again by stop(), in the section's thread
            self.error = exc

    def stop(self) -> float:
        """Stop; the edits a second it achieved (a failed edit is raised here)."""
        self._stop.set()
        self._thread.join()
        self.client.close()
        if self.error is not None:
            raise RuntimeError(f"an edit beside the reads failed: {self.error}") from self.error
        return self.edits / (time.perf_counter() - self.started)


def board_query(bench: Bench) -> list[Result]:
    t, st = timing(bench), stage(bench)
    query, big = f"/api/v1/boards/{st.query.id}", f"/api/v1/boards/{st.big.id}"
    answered = st.client.get(query)
    ok(answered)
    if answered.content != st.documents[st.query.id]:
        raise RuntimeError("the bare app would not serve the bytes Kanban serves")
    etag = answered.headers["etag"]
    kb = len(answered.content) / 1024
    big_kb = len(st.documents[st.big.id]) / 1024
    urls = {"kanban": st.kanban.url, "bare": st.bare.url}

    def both(
        path: str, connections: int, seconds: int, etags: tuple[str | None, str | None]
    ) -> tuple[wrk.WrkResult, wrk.WrkResult]:
        say(f"GET {path}, {connections} connections, {seconds} s, If-None-Match {etags[0]}")
        k = get(
            bench,
            urls["kanban"],
            st.token,
            path,
            connections=connections,
            seconds=seconds,
            if_none_match=etags[0],
        )
        b = get(
            bench,
            urls["bare"],
            st.token,
            path,
            connections=connections,
            seconds=seconds,
            if_none_match=etags[1],
        )
        return k, b  # fmt: skip

    if t.warmup:
        both(query, CONNECTIONS, 1, (None, None))
    ok(st.client.get(big))  # the first GET of a version reads it; later ones are cached
    runs: dict[str, dict[str, list[wrk.WrkResult]]] = {
        "get": {"kanban": [], "bare": []},
        "304": {"kanban": [], "bare": []},
    }
    for _ in range(t.rounds):
        for kind, etags in (("get", (None, None)), ("304", (etag, '"1"'))):
            k, b = both(query, CONNECTIONS, t.saturation, etags)
            runs[kind]["kanban"].append(k)
            runs[kind]["bare"].append(b)
    # A board read by many while others work elsewhere: each edit is a projector commit
    # to read.db, which must not cost every reader its cached sign-in and role.
    readers = reader_tokens(st.client, st.query.id, READERS)
    quiet: list[wrk.WrkResult] = []
    busy: list[wrk.WrkResult] = []
    achieved: list[float] = []
    for _ in range(t.rounds):
        say(f"GET {query} by {READERS} viewers in turn, {CONNECTIONS} connections, "
            f"{t.saturation} s, quiet, then while another board takes "
            f"{READ_WRITES_PER_S:.0f} edits/s")  # fmt: skip
        quiet.append(get(bench, st.kanban.url, st.token, query, connections=CONNECTIONS,
                         seconds=t.saturation, tokens=readers))  # fmt: skip
        editing = Editing(st.kanban.client(), st.mixes[-1][0], READ_WRITES_PER_S)
        try:
            busy.append(get(bench, st.kanban.url, st.token, query, connections=CONNECTIONS,
                            seconds=t.saturation, tokens=readers))  # fmt: skip
        finally:
            achieved.append(editing.stop())
    one_k, one_b = both(big, 1, t.single, (None, None))
    say(f"change-then-GET of the 5,000-card board, {t.samples} samples")
    after = changed_then_get(st.client, st.big, t.samples)
    after_p50 = statistics.median(after.get)
    # The same change on the 500-card board: how the write side's cost follows board size.
    small_after = changed_then_get(st.client, st.query, max(t.samples // 2, 5))
    visible_big, visible_small = (
        statistics.median(after.visible),
        statistics.median(small_after.visible),
    )
    get_k, get_b = rps(runs["get"]["kanban"]), rps(runs["get"]["bare"])

    def p50s(kind: str) -> str:
        k = statistics.median(r.p50 for r in runs[kind]["kanban"])
        b = statistics.median(r.p50 for r in runs[kind]["bare"])
        return f"{rounds(t, runs[kind])}; p50 {k:.1f} ms Kanban, {b:.1f} ms bare"

    return [
        Result(S2, f"GET board 10 columns x 50 cards ({kb:.0f} KiB), {CONNECTIONS} connections",
               get_k, "req/s", get_b, "bare app GET, same bytes from memory",
               target="ratio >= 0.9", met=get_k >= 0.9 * get_b, note=p50s("get")),
        Result(S2, f"GET board 10x50 by {READERS} viewers (own tokens) while another board "
                   f"takes {READ_WRITES_PER_S:.0f} edits/s",
               rps(busy), "req/s", rps(quiet), "the same GETs, no edits",
               note=f"{rounds(t)}, quiet and busy in turn; edits achieved "
                    f"{', '.join(f'{a:.0f}' for a in achieved)}/s; runs "
                    f"{', '.join(f'{r.rps:,.0f}' for r in busy)} busy, "
                    f"{', '.join(f'{r.rps:,.0f}' for r in quiet)} quiet"),
        Result(S2, "GET board 10x50 with a matching If-None-Match (304)",
               rps(runs["304"]["kanban"]), "req/s", rps(runs["304"]["bare"]), "bare app 304",
               note=p50s("304")),
        Result(S2, f"GET board of 5,000 cards ({big_kb:.0f} KiB), p50 at 1 connection, cached",
               one_k.p50, "ms", one_b.p50, "bare app GET, same bytes", False, "< 50 ms",
               met=one_k.p50 < 50, note=f"p99 {one_k.p99:.1f} ms Kanban, {one_b.p99:.1f} ms bare"),
        Result(S2, "GET board of 5,000 cards right after a change (new version), median",
               after_p50, "ms", one_b.p50, "bare app GET, same bytes", False, "< 50 ms",
               met=after_p50 < 50,
               note=f"{len(after.get)} samples, max {max(after.get):.1f} ms; server time (its "
                    f"/metrics, mean) {after.server_mean:.1f} ms"),
        Result(S2, "a change on the 5,000-card board: PATCH sent -> in the read model, median",
               visible_big, "ms", visible_small, "the same on the 10x50 board", False,
               note=f"{len(after.visible)} and {len(small_after.visible)} samples; max "
                    f"{max(after.visible):.1f} ms and {max(small_after.visible):.1f} ms (a PATCH, "
                    "then a history query with min_seq)"),
    ]  # fmt: skip


# --- 3. projection lag ----------------------------------------------------------------


@dataclass
class SseListener:
    """Follows boards' live streams in a thread; records each message's data and arrival."""

    url: str
    token: str
    boards: list[str]
    #: (arrival on the wall clock, the message's JSON data)
    messages: list[tuple[float, bytes]] = field(default_factory=list)
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._subscribed = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="sse", daemon=True)

    def start(self, timeout: float = 15.0) -> SseListener:
        self._thread.start()
        if not self._subscribed.wait(timeout):
            self.stop()
            raise RuntimeError(f"the SSE client did not subscribe: {self.error!r}")
        return self

    def stop(self) -> None:
        if self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:  # reported by start() / the section
            self.error = exc
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        headers = {"Authorization": f"Bearer {self.token}"}
        limits = httpx.Limits(max_connections=len(self.boards) + 2)
        subscribed = [asyncio.Event() for _ in self.boards]
        async with httpx.AsyncClient(
            base_url=self.url, headers=headers, limits=limits, timeout=None
        ) as http:
            tasks = [
                asyncio.create_task(self._follow(http, board, flag))
                for board, flag in zip(self.boards, subscribed, strict=True)
            ]
            await asyncio.wait_for(asyncio.gather(*(f.wait() for f in subscribed)), 15)
            self._subscribed.set()
            stopping = asyncio.create_task(self._stopping.wait())
            await asyncio.wait([*tasks, stopping], return_when=asyncio.FIRST_COMPLETED)
            for task in [*tasks, stopping]:
                task.cancel()
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            # A stream that ended or failed before the stop is an error (cancellation is not).
            failures = [o for o in outcomes if isinstance(o, Exception)]
            if failures:
                raise failures[0]

    async def _follow(self, http: httpx.AsyncClient, board: str, flag: asyncio.Event) -> None:
        async with http.stream("GET", f"/api/v1/boards/{board}/stream") as response:
            if response.status_code != 200:
                raise RuntimeError(f"stream of {board}: {response.status_code}")
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    self.messages.append((time.time(), line[5:].encode()))
                elif line.startswith("retry:"):
                    flag.set()

    def lags(self, after: int, upto: int) -> tuple[list[float], int]:
        """Lag (ms) of each event with after < seq <= upto, and how many never arrived."""
        seen: dict[int, float] = {}
        for arrival, data in list(self.messages):
            item = orjson.loads(data)
            seq = item.get("seq")
            if isinstance(seq, int) and after < seq <= upto and seq not in seen:
                recorded = datetime.fromisoformat(item["recorded_at"].replace("Z", "+00:00"))
                seen[seq] = (arrival - recorded.timestamp()) * 1000
        return list(seen.values()), (upto - after) - len(seen)

    def max_seq(self) -> int:
        best = 0
        for _, data in self.messages[-50:]:
            match = re.search(rb'"seq":(\d+)', data)
            if match:
                best = max(best, int(match.group(1)))
        return best


@dataclass
class LagFigures:
    p50: float
    p99: float
    max: float
    events: int
    missing: int
    achieved: float
    command_p50: float
    command_p99: float
    server_cpu: float


def lag_mode(bench: Bench, mode: str, rate: float) -> LagFigures:
    t = timing(bench)
    root = bench.workdir / f"lag-{mode}"
    say(f"projection lag, {mode}: building boards, starting the server")
    token = "bench-" + secrets.token_urlsafe(16)
    with building(root / "kanban") as b:
        specs = [b.board(f"Lag {i}", 4, 10, rich=False) for i in range(MIX_BOARDS)]
    redis = Redis(root / "redis", bench.server_core) if mode == "redis" else None
    server: KanbanServer | None = None
    listener: SseListener | None = None
    lags: list[float] = []
    missing = 0
    try:
        if redis is not None:
            redis.start()
        server = KanbanServer(
            root / "kanban", token, bench.server_core, redis.redis_url if redis else None
        )
        server.start()
        client = server.client()
        listener = SseListener(server.url, token, [s.id for s in specs]).start()

        def run(seconds: int) -> wrk.WrkResult:
            return wrk.run(
                server.url,
                "commands",
                mix_config(token, specs),
                bench.workdir,
                connections=CONNECTIONS,
                seconds=seconds,
                core=bench.load_core,
                rate=rate,
            )

        say(f"projection lag, {mode}: mix at {rate:.0f}/s, 1 s warm-up, then {t.lag} s")
        run(1)  # warm-up (boards loaded, connections open), not measured
        refresh(client, specs)
        after = head_seq(client)
        cpu = server.cpu_seconds()
        measured = run(t.lag)
        cpu_share = (server.cpu_seconds() - cpu) / measured.seconds
        upto = head_seq(client)
        deadline = time.monotonic() + 10
        while listener.max_seq() < upto and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)
        lags, missing = listener.lags(after, upto)
        client.close()
    finally:
        if listener is not None:
            listener.stop()
        if server is not None:
            server.stop()
        if redis is not None:
            redis.stop()
    if listener.error is not None and missing:
        raise RuntimeError(f"the SSE client failed, {missing} events unseen: {listener.error!r}")
    return LagFigures(
        p50=pct(lags, 50),
        p99=pct(lags, 99),
        max=max(lags, default=float("nan")),
        events=len(lags),
        missing=missing,
        achieved=measured.rps,
        command_p50=measured.p50,
        command_p99=measured.p99,
        server_cpu=cpu_share,
    )


def lag(bench: Bench) -> list[Result]:
    rate = shared.get("command_rate", DEFAULT_LAG_RATE)
    source = "section 1's fixed rate" if "command_rate" in shared else "default rate"
    emb = lag_mode(bench, "embedded", rate)
    red = lag_mode(bench, "redis", rate)

    def note(f: LagFigures) -> str:
        return (
            f"mix at {rate:.0f} cmd/s ({source}), achieved {f.achieved:.0f}/s; {f.events} events, "
            f"{f.missing} never seen; max {f.max:.1f} ms; command p50/p99 "
            f"{f.command_p50:.1f}/{f.command_p99:.1f} ms; server CPU {f.server_cpu:.0%}"
        )

    first = "embedded, same run"
    return [
        Result(S3, "projection lag p50, embedded", emb.p50, "ms", None, "", False, note=note(emb)),
        Result(S3, "projection lag p99, embedded", emb.p99, "ms", None, "", False, "<= 20 ms",
               emb.p99 <= 20 and emb.missing == 0, note="no bare stack projects a log"),
        Result(S3, "projection lag p50, Redis", red.p50, "ms", emb.p50, first, False,
               note=note(red)),
        Result(S3, "projection lag p99, Redis", red.p99, "ms", emb.p99, first, False, "<= 50 ms",
               red.p99 <= 50 and red.missing == 0),
    ]  # fmt: skip


# --- 5. growth ------------------------------------------------------------------------


def growth(bench: Bench) -> list[Result]:
    t = timing(bench)
    events = t.growth_events
    root = bench.workdir / "growth"
    token = "bench-" + secrets.token_urlsafe(16)
    started = time.perf_counter()
    say(f"growth: building a 100-event and a {events:,}-event board in-process")
    with building(root / "kanban") as b:
        small = b.board("History 100", 4, 10)
        long = b.board(f"History {events:,}", 4, 10)
        b.grow(small, 100)
        b.grow(long, events)
    build_s = time.perf_counter() - started
    small_v, long_v = small.version, long.version
    server = KanbanServer(root / "kanban", token, bench.server_core)
    server.start()
    try:
        client = server.client()

        def commands_on(spec: BoardSpec, seconds: int) -> wrk.WrkResult:
            result = wrk.run(
                server.url,
                "commands",
                mix_config(token, [spec]),
                bench.workdir,
                connections=GROWTH_CONNECTIONS,
                seconds=seconds,
                core=bench.load_core,
                rate=GROWTH_RATE,
            )
            refresh(client, [spec])
            return result

        def get_p50(path: str) -> wrk.WrkResult:
            return get(bench, server.url, token, path, connections=1, seconds=t.single)

        say("growth: commands, board queries, time travel")
        # The first command on each board loads it (snapshot + tail) into the writer's cache.
        for spec in (small, long):
            if t.warmup:
                commands_on(spec, t.warmup)
            else:
                changed_then_get(client, spec, 3)
        runs: dict[str, list[wrk.WrkResult]] = {"cmd-small": [], "cmd-long": [], "q-small": [],
                                                "q-long": []}  # fmt: skip
        for _ in range(t.rounds):  # alternated, so that drift hits both boards
            runs["cmd-small"].append(commands_on(small, t.fixed))
            runs["cmd-long"].append(commands_on(long, t.fixed))
        for _ in range(t.rounds):
            runs["q-small"].append(get_p50(f"/api/v1/boards/{small.id}"))
            runs["q-long"].append(get_p50(f"/api/v1/boards/{long.id}"))
        samples = max(t.samples // 2, 5)
        after_small = changed_then_get(client, small, samples).get
        after_long = changed_then_get(client, long, samples).get
        refresh(client, [long])
        newest = long.version
        tt_first = get_p50(f"/api/v1/boards/{long.id}?version=1")
        tt_newest = get_p50(f"/api/v1/boards/{long.id}?version={newest}")
        client.close()
    finally:
        server.stop()

    def median(name: str, q: str) -> float:
        return statistics.median(r.latency_ms[q] for r in runs[name])

    cmd_small, cmd_long = median("cmd-small", "p50"), median("cmd-long", "p50")
    q_small, q_long = median("q-small", "p50"), median("q-long", "p50")
    history = f"{long_v:,}-event board vs {small_v}-event board"
    base = f"{small_v}-event board"
    a_small, a_long = statistics.median(after_small), statistics.median(after_long)
    rated = f"{GROWTH_RATE:.0f} cmd/s, {GROWTH_CONNECTIONS} connections, mix on the one board"

    def within(long_ms: float, small_ms: float) -> bool:
        return long_ms <= 1.2 * small_ms

    return [
        Result(S5, f"command latency p50, {history}", cmd_long, "ms", cmd_small, base,
               False, "<= 1.2x baseline", within(cmd_long, cmd_small),
               note=f"{rated}; {rounds(t)}; p99 {median('cmd-long', 'p99'):.1f} ms vs "
                    f"{median('cmd-small', 'p99'):.1f} ms; built the boards in-process in "
                    f"{build_s:.0f} s"),
        Result(S5, f"board query p50 at 1 connection (cached view), {history}", q_long, "ms",
               q_small, base, False, "<= 1.2x baseline", within(q_long, q_small),
               note=rounds(t)),
        Result(S5, f"board query right after a change, median, {history}", a_long, "ms", a_small,
               base, False, "<= 1.2x baseline", within(a_long, a_small),
               note=f"{samples} samples each"),
        Result(S5, f"time travel to version 1 of the {long_v:,}-event board (p50, 1 connection)",
               tt_first.p50, "ms", q_long, "GET of the current board", False),
        Result(S5, f"time travel to the newest version ({newest:,}) of that board", tt_newest.p50,
               "ms", q_long, "GET of the current board", False),
    ]  # fmt: skip


#: The orchestrator's names for these sections, in order.
SECTIONS: dict[str, Callable[[Bench], list[Result]]] = {
    "commands": commands,
    "query": board_query,
    "lag": lag,
    "growth": growth,
}
