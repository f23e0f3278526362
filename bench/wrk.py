"""Driving wrk (Debian's package): one thread, pinned to the load core, Lua scenarios.

A scenario is bench/lua/<name>.lua. The script wrk runs is written into the
bench's workdir: a `CONFIG = {...}` table (tokens, ids, the rate), then
bench/lua/common.lua (pacing with delay(), headers, a done() printing JSON),
then the scenario.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.procs import on_core

LUA = Path(__file__).resolve().parent / "lua"
_scripts = itertools.count()


class WrkMissing(RuntimeError):
    pass


def ensure_wrk() -> str:
    """The wrk executable; installed with apt-get when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise WrkMissing(
            "wrk is not installed: run `apt-get install -y wrk` as root "
            "(or run the benchmark as root, which installs it)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True)
        done = subprocess.run(install, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise WrkMissing(f"apt-get install wrk failed:\n{done.stderr[-2000:]}")
    found = shutil.which("wrk")
    if not found:
        raise WrkMissing("wrk is still not on PATH after apt-get install wrk")
    return found


def version() -> str:
    try:
        out = subprocess.run([ensure_wrk(), "--version"], capture_output=True, text=True).stdout
    except (WrkMissing, OSError):
        return "unavailable"
    return out.split(" Copyright")[0].strip() or "wrk"


def lua_literal(value: Any) -> str:
    """A Python value (dict, list, str, number, bool, None) as a Lua expression."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid Lua escapes for this text
    if isinstance(value, dict):
        items = ", ".join(f"[{json.dumps(str(k))}] = {lua_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua_literal(v) for v in value) + "}"
    raise TypeError(f"no Lua literal for {value!r}")


@dataclass
class WrkResult:
    """What one wrk run measured (latencies in ms)."""

    requests: int
    seconds: float
    errors: dict[str, int]
    latency_ms: dict[str, float]
    connections: int
    rate: float | None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def p50(self) -> float:
        return self.latency_ms["p50"]

    @property
    def p99(self) -> float:
        return self.latency_ms["p99"]

    def describe_errors(self) -> str:
        bad = {k: v for k, v in self.errors.items() if v}
        return ", ".join(f"{k} {v}" for k, v in bad.items()) if bad else "none"


def run(
    url: str,
    scenario: str,
    config: dict[str, Any],
    workdir: Path,
    *,
    connections: int,
    seconds: float,
    core: int | None,
    rate: float | None = None,
    timeout: float = 10.0,
    max_error_share: float = 0.0,
) -> WrkResult:
    """Run wrk with bench/lua/<scenario>.lua against url; raise if the errors exceed the share.

    `rate`: requests/s in total, paced by delay() (see common.lua); None: as fast as
    the connections go (saturation).
    """
    executable = ensure_wrk()
    script = workdir / f"wrk-{scenario}-{next(_scripts)}.lua"
    script.write_text(
        f"CONFIG = {lua_literal({**config, 'rate': rate or 0})}\n"
        + (LUA / "common.lua").read_text()
        + (LUA / f"{scenario}.lua").read_text()
    )
    argv = [executable, "-t1", f"-c{connections}", f"-d{max(seconds, 1):.0f}s"]
    argv += [f"--timeout={timeout:.0f}s", "-s", str(script), url]
    done = subprocess.run(
        on_core(core, argv), capture_output=True, text=True, timeout=seconds + timeout + 30
    )
    line = next((s for s in done.stdout.splitlines() if s.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk failed ({done.returncode}) on {url} {scenario}:\n{done.stdout}\n{done.stderr}"
        )
    data = json.loads(line.removeprefix("BENCH_JSON "))
    result = WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["errors"],
        latency_ms={k: v / 1000 for k, v in data["latency_us"].items()},
        connections=connections,
        rate=rate,
    )
    if result.error_count > max_error_share * max(result.requests, 1):
        raise RuntimeError(
            f"wrk {scenario} on {url}: {result.describe_errors()} errors in "
            f"{result.requests} requests (non-2xx answers count as status errors)"
        )
    return result
