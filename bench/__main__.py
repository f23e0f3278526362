"""Kanban's benchmark suite: every figure beside its baseline from the same run.

Run: .venv/bin/python -m bench [--quick] [--json FILE] [--only SECTION...] [--write-docs]

Sections, in order (a name or its number for --only):
  1 commands  commands over HTTP at 32 connections, beside the bare app   (bench/http.py)
  2 query     board query, 304, a 5,000-card board, beside the bare app   (bench/http.py)
  3 lag       projection lag under load, embedded and Redis               (bench/http.py)
  4 replay    rebuild, backup, restore of 1,000,000 events; peak RSS      (bench/replay.py)
  5 growth    100 vs 100,000 events in a board's history; time travel     (bench/http.py)
  6 peer      the eventsourcing library, same workload in process         (bench/peer.py)

The servers under test are pinned to core 0, the load generator (wrk) and
this process to core 1. `--quick` is a sanity check (under a minute, small
counts, 1-second runs); the full mode takes several minutes. The table shows
each figure, its baseline, the ratio (> 1 is always better for Kanban), the
target and whether it is met; --json writes the same as JSON; --write-docs
regenerates the results in docs/benchmarks.md between its marker comments.
Exit status 1 when a section failed (a missing module is skipped, not failed).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import math
import os
import re
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import machine
from bench.procs import pin_self
from bench.report import Bench, Result

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
DASH = "\u2013"  # an en dash: "no figure"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


@dataclass(frozen=True)
class Section:
    number: int
    name: str
    module: str
    function: str
    title: str


SECTIONS = [
    Section(1, "commands", "bench.http", "commands", "commands over HTTP"),
    Section(2, "query", "bench.http", "board_query", "board query"),
    Section(3, "lag", "bench.http", "lag", "projection lag"),
    Section(4, "replay", "bench.replay", "run", "replay, backup, restore; peak RSS"),
    Section(5, "growth", "bench.http", "growth", "growth and time travel"),
    Section(6, "peer", "bench.peer", "run", "the eventsourcing library"),
]


@dataclass
class Outcome:
    section: Section
    status: str  # "ok", "skipped" (module missing), "failed"
    seconds: float
    results: list[Result]
    error: str = ""


def pick(only: list[str] | None) -> list[Section]:
    if not only:
        return SECTIONS
    wanted = {w.strip().lower() for item in only for w in item.split(",") if w.strip()}
    unknown = wanted - {s.name for s in SECTIONS} - {str(s.number) for s in SECTIONS}
    if unknown:
        names = ", ".join(f"{s.number} {s.name}" for s in SECTIONS)
        raise SystemExit(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {names}")
    return [s for s in SECTIONS if s.name in wanted or str(s.number) in wanted]


#: The sections that share bench.http's servers (closed before any other runs).
SHARED_STAGE = {1, 2}


def settle(section: Section) -> None:
    """Leave nothing of an earlier section to slow this one down.

    The servers sections 1 and 2 share are stopped once they are done with, the
    page cache's dirty pages (a million-event log, its backups) are written back
    before a section's own fsyncs start competing with them, and this process's
    garbage is collected (section 6, run last, measured a third less in full
    runs than alone).
    """
    if section.number not in SHARED_STAGE:
        http = sys.modules.get("bench.http")
        closer = getattr(http, "close", None)
        if closer is not None:
            closer()
    os.sync()
    gc.collect()


def run_section(section: Section, bench: Bench, console: Console) -> Outcome:
    console.print(f"[bold]section {section.number} ({section.name}): {section.title}[/]")
    settle(section)
    start = time.perf_counter()
    try:
        module = importlib.import_module(section.module)
    except ImportError as exc:
        message = f"{section.module} is not available ({exc}); section {section.number} skipped"
        console.print(f"[yellow]  {message}[/]")
        return Outcome(section, "skipped", 0.0, [], message)
    function: Callable[[Bench], list[Result]] | None = getattr(module, section.function, None)
    if function is None:
        message = f"{section.module} has no {section.function}(); section {section.number} skipped"
        console.print(f"[yellow]  {message}[/]")
        return Outcome(section, "skipped", 0.0, [], message)
    try:
        results = function(bench)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit too: a section must not end the suite
        message = "".join(traceback.format_exception(exc)).strip()
        console.print(f"[red]  section {section.number} failed:[/]\n{message}")
        return Outcome(section, "failed", time.perf_counter() - start, [], message)
    seconds = time.perf_counter() - start
    console.print(f"  done in {seconds:.1f} s, {len(results)} figures")
    return Outcome(section, "ok", seconds, results)


# --- presenting ------------------------------------------------------------------------


def number(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    size = abs(value)
    text = f"{value:,.0f}" if size >= 100 else f"{value:.1f}" if size >= 10 else f"{value:.2f}"
    return f"{text} {unit}".strip()


def met_text(result: Result) -> str:
    return DASH if result.met is None else ("yes" if result.met else "NO")


def section_key(result: Result) -> tuple[int, str]:
    match = re.match(r"\s*(\d+)", result.section)
    return (int(match.group(1)) if match else 99, result.section)


def ordered(outcomes: list[Outcome]) -> list[Result]:
    results = [r for o in outcomes for r in o.results]
    return sorted(results, key=section_key)  # stable: each section's own order stays


def table(results: list[Result], title: str) -> Table:
    t = Table(title=title, title_justify="left", show_lines=False)
    for name, justify in (
        ("section", "left"),
        ("measure", "left"),
        ("Kanban", "right"),
        ("baseline", "right"),
        ("baseline is", "left"),
        ("ratio", "right"),
        ("target", "left"),
        ("met", "center"),
    ):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in results:
        style = {True: "green", False: "bold red"}.get(r.met, "") if r.met is not None else ""
        t.add_row(
            r.section,
            r.measure,
            number(r.kanban, r.unit),
            number(r.baseline, r.unit) if r.baseline is not None else DASH,
            r.baseline_name or DASH,
            number(r.ratio),
            r.target or DASH,
            f"[{style}]{met_text(r)}[/]" if style else met_text(r),
        )
    return t


def describe_load(bench: Bench) -> str:
    pinned = machine.summary_pinning(bench)
    return f"Load generator: wrk (Debian's package), 1 thread, Lua scenarios (bench/lua/); {pinned}"


def markdown(
    outcomes: list[Outcome], info: dict[str, Any], bench: Bench, started: datetime, seconds: float
) -> str:
    results = ordered(outcomes)
    mode = "quick" if bench.quick else "full"
    lines = [
        f"Generated by `python -m bench{' --quick' if bench.quick else ''} --write-docs` "
        f"({mode} mode) on {started:%Y-%m-%d %H:%M} UTC, {seconds / 60:.1f} minutes.",
        "",
        f"**Machine:** {machine.summary(info)}",
        "",
        f"**Load generator:** {describe_load(bench)} Load average when the run started: "
        f"{info.get('loadavg', '?')}.",
        "",
        "The ratio is Kanban / baseline for throughput and baseline / Kanban for latency, "
        "memory and time, so above 1 is always better for Kanban.",
        "",
        "| section | measure | Kanban | baseline | baseline is | ratio | target | met |",
        "| --- | --- | ---: | ---: | --- | ---: | --- | :---: |",
    ]
    for r in results:
        met = met_text(r)
        lines.append(
            f"| {r.section} | {r.measure} | {number(r.kanban, r.unit)} | "
            f"{number(r.baseline, r.unit) if r.baseline is not None else DASH} | "
            f"{r.baseline_name or DASH} | {number(r.ratio)} | {r.target or DASH} | "
            f"{'**NO**' if met == 'NO' else met} |"
        )
    notes = [(r, r.note) for r in results if r.note]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {r.section}, {r.measure}: {note}" for r, note in notes]
    others = [o for o in outcomes if o.status != "ok"]
    if others:
        lines += ["", "Not in this run:", ""]
        for o in others:
            first = o.error.strip().splitlines()[-1] if o.error.strip() else o.status
            lines.append(f"- section {o.section.number} ({o.section.name}): {o.status}: {first}")
    return "\n".join(lines)


def write_docs(text: str, path: Path = DOCS) -> None:
    doc = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        doc = head + block + tail
    else:
        doc = doc.rstrip("\n") + "\n\n## Results\n\n" + block + "\n"
    path.write_text(doc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:12]),
    )
    parser.add_argument("--quick", action="store_true", help="a sanity check, under a minute")
    parser.add_argument("--json", type=Path, help="write the results as JSON to FILE")
    parser.add_argument(
        "--only", nargs="+", metavar="SECTION", help="run only these sections (name or number)"
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help=f"regenerate the results in {DOCS.relative_to(ROOT)} between {BEGIN} and {END}",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch dir")
    args = parser.parse_args(argv)
    sections = pick(args.only)
    # Not on a terminal (a log, CI): wide enough that the table's rows stay on one line.
    console = Console(width=None if sys.stdout.isatty() else 230)
    bench = Bench(quick=args.quick)
    if bench.cores < 2:
        console.print("[yellow]one core: server and load generator cannot be pinned apart[/]")
    else:
        pin_self(bench.load_core)
    info = machine.describe(bench.workdir)
    info["loadavg"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    console.print(f"[bold]Kanban benchmark[/] ({'quick' if bench.quick else 'full'} mode)")
    console.print(machine.summary(info))
    console.print(f"Load generator: {describe_load(bench)}")
    if os.getloadavg()[0] > 0.5 * bench.cores:
        console.print(
            f"[yellow]load average {info['loadavg']}: something else is running; "
            "figures will be noisy[/]"
        )
    started = datetime.now(UTC)
    start = time.perf_counter()
    outcomes: list[Outcome] = []
    try:
        for section in sections:
            outcomes.append(run_section(section, bench, console))
    finally:
        http = sys.modules.get("bench.http")
        closer = getattr(http, "close", None)
        if closer is not None:
            closer()
        if not args.keep:
            shutil.rmtree(bench.workdir, ignore_errors=True)
    seconds = time.perf_counter() - start
    results = ordered(outcomes)
    console.print()
    console.print(
        table(results, f"Kanban benchmark, {'quick' if bench.quick else 'full'} mode, "
              f"{seconds:.0f} s")
    )  # fmt: skip
    for r in results:
        if r.note:
            console.print(f"[dim]{r.section} · {r.measure}: {r.note}[/]", highlight=False)
    for o in outcomes:
        if o.status != "ok":
            console.print(f"[yellow]section {o.section.number} ({o.section.name}): {o.status}[/]")
    missed = [r for r in results if r.met is False]
    if missed:
        console.print(f"[bold red]{len(missed)} target(s) missed[/]")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "mode": "quick" if bench.quick else "full",
            "started": started.isoformat(),
            "seconds": round(seconds, 1),
            "machine": info,
            "pinning": {"server_core": bench.server_core, "load_core": bench.load_core},
            "sections": {
                o.section.name: {
                    "number": o.section.number,
                    "status": o.status,
                    "seconds": round(o.seconds, 1),
                    "error": o.error,
                }
                for o in outcomes
            },
            "results": [r.to_json() for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str))
        console.print(f"JSON written to {args.json}")
    if args.write_docs:
        write_docs(markdown(outcomes, info, bench, started, seconds))
        console.print(f"results written to {DOCS.relative_to(ROOT)}")
    return 1 if any(o.status == "failed" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
