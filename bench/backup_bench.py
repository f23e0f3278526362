"""Backup and restore benchmark: events/s and peak memory of each `kanban backup` step.

Run: .venv/bin/python bench/backup_bench.py [--quick] [--json FILE] [--dir DIR]

Builds a log of real domain events (1,000,000 over 200 boards; `--quick`:
50,000) straight through the store (`tests/integration/backup_log.py`), then
runs each step as the real command line, a child process of its own, and reads
that child's peak RSS from wait4(2):
  * `kanban backup create`  (the export, while nothing else runs)
  * `kanban backup verify`  (parse, hash chain, replay through the domain)
  * `kanban backup restore` (the same walk, storing the rows, then rebuilding
    the read models)
  * `kanban projections rebuild` on the restored dir (the rebuild's share)
  * the bare stack: SQLite's online backup API copying the log file page by
    page, which is what a restore without replay would cost (in this process)
  * `kanban --help`: the resident size of a command that does nothing
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOARDS = 200


def run(*args: str) -> tuple[float, float, str]:
    """Run `python -m ARGS` as a child; return (seconds, its peak RSS in MiB, its stdout).

    A forked child starts with its parent's resident size as its high-water
    mark, so this process stays small: it only starts children and waits.
    """
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", *args], stdout=out, stderr=err, env=env)
        # wait4, not child.wait(): it reports this child's own resource usage.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({child.returncode}): {err.read()}")
        return seconds, usage.ru_maxrss / 1024, out.read()  # ru_maxrss is in KiB on Linux


def bare_copy(source: Path, target: Path) -> float:
    """SQLite's online backup of the log file: a page copy, no parsing, no checks."""
    start = time.perf_counter()
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    with src, dst:
        src.backup(dst, pages=4096)
    src.close()
    dst.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 events, a sanity check")
    parser.add_argument("--events", type=int, help="how many events (default 1,000,000)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--dir", type=Path, help="where to put the data (default: a temp dir)")
    args = parser.parse_args()
    events = args.events or (50_000 if args.quick else 1_000_000)
    results: dict[str, float] = {"events": events, "boards": BOARDS}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        data, restored, file = root / "data", root / "restored", root / "full.jsonl.gz"
        seconds, _, out = run("tests.integration.backup_log", str(data), str(events), str(BOARDS))
        events = results["events"] = int(out)
        results["build_events_per_s"] = events / seconds
        results["log_mib"] = (data / "events.db").stat().st_size / 2**20

        steps = {
            "idle": ("--help",),
            "backup": ("backup", "create", str(file), "--data-dir", str(data)),
            "verify": ("backup", "verify", str(file)),
            "restore": ("backup", "restore", str(file), "--data-dir", str(restored)),
            "rebuild": ("projections", "rebuild", "--data-dir", str(restored)),
        }
        for name, argv in steps.items():
            seconds, peak, _ = run("kanban.cli", *argv)
            results[f"{name}_s"] = seconds
            results[f"{name}_peak_rss_mib"] = peak
            if name != "idle":
                results[f"{name}_events_per_s"] = events / seconds
            if name == "backup":
                results["backup_mib"] = file.stat().st_size / 2**20
        seconds = bare_copy(data / "events.db", root / "copy.db")
        results["bare_copy_s"] = seconds
        results["bare_copy_events_per_s"] = events / seconds
    results["bench_process_peak_rss_mib"] = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )

    print(f"# Kanban backup and restore benchmark ({'quick' if args.quick else 'full'})")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )
    print(
        f"log: {events:,} events over {BOARDS} boards, {results['log_mib']:.0f} MiB "
        f"(built at {results['build_events_per_s']:,.0f} events/s); "
        f"backup file {results['backup_mib']:.0f} MiB"
    )
    print(f"{'step':40} {'seconds':>9} {'events/s':>10} {'peak RSS MiB':>13}")
    labels = {
        "backup": "kanban backup create",
        "verify": "kanban backup verify",
        "restore": "kanban backup restore (incl. rebuild)",
        "rebuild": "kanban projections rebuild (same log)",
        "idle": "kanban --help (resident baseline)",
    }
    for name, label in labels.items():
        rate = f"{results[f'{name}_events_per_s']:,.0f}" if name != "idle" else "-"
        print(
            f"{label:40} {results[f'{name}_s']:9.1f} {rate:>10} "
            f"{results[f'{name}_peak_rss_mib']:13.0f}"
        )
    print(
        f"{'bare: sqlite3 online backup (page copy)':40} {results['bare_copy_s']:9.1f} "
        f"{results['bare_copy_events_per_s']:10,.0f} {'-':>13}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(main())
