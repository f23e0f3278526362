"""What the benchmark ran on: CPU, cores, RAM, kernel, Python, SQLite, the workdir's disk."""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def ram_gib() -> float:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def virtualization() -> str:
    if shutil.which("systemd-detect-virt"):
        done = subprocess.run(["systemd-detect-virt"], capture_output=True, text=True)
        return done.stdout.strip() or "none"
    return "hypervisor" if " hypervisor" in _read("/proc/cpuinfo") else "unknown"


def filesystem(path: Path) -> dict[str, str]:
    """The mount holding `path`: device, filesystem type, and the block device's traits."""
    path = path.resolve()
    best: tuple[str, str, str] = ("?", "/", "?")
    for line in _read("/proc/self/mounts").splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        device, mount, fstype = parts[0], parts[1].replace("\\040", " "), parts[2]
        if (path == Path(mount) or Path(mount) in path.parents) and len(mount) >= len(best[1]):
            best = (device, mount, fstype)
    device, mount, fstype = best
    info = {"device": device, "mount": mount, "fstype": fstype, "disk": ""}
    name = Path(device).name if device.startswith("/dev/") else ""
    if name:
        # A partition (sda1, nvme0n1p1) belongs to its parent block device.
        block = Path("/sys/class/block") / name
        parent = block.resolve().parent
        base = parent if (parent / "queue").exists() else block.resolve()
        model = _read(str(base / "device" / "model")).strip()
        rotational = _read(str(base / "queue" / "rotational")).strip()
        virtio = "virtio block device" if name.startswith("vd") else ""
        kind = f"rotational={rotational}" if rotational else ""
        info["disk"] = ", ".join(x for x in (virtio, model, kind) if x)
    return info


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def describe(workdir: Path) -> dict[str, Any]:
    from bench import wrk

    redis = shutil.which("redis-server")
    redis_version = ""
    if redis:
        out = subprocess.run([redis, "--version"], capture_output=True, text=True).stdout
        redis_version = next((w[2:] for w in out.split() if w.startswith("v=")), out.strip())
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count() or 1,
        "ram_gib": round(ram_gib(), 1),
        "arch": platform.machine(),
        "kernel": platform.release(),
        "virtualization": virtualization(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
        "workdir": str(workdir),
        "filesystem": filesystem(workdir),
        "packages": {
            p: _version(p) for p in ("fastapi", "uvicorn", "uvloop", "httptools", "pydantic")
        },
        "wrk": wrk.version(),
        "redis": redis_version,
    }


def summary(info: dict[str, Any]) -> str:
    """One paragraph for the table's heading and the docs."""
    fs = info["filesystem"]
    disk = f"{fs['fstype']} on {fs['device']}" + (f" ({fs['disk']})" if fs["disk"] else "")
    pkgs = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    return (
        f"{info['cpu']}, {info['cores']} cores ({info['arch']}, virtualization: "
        f"{info['virtualization']}), {info['ram_gib']:g} GiB RAM, Linux {info['kernel']}; "
        f"{info['python']}, SQLite {info['sqlite']}; {pkgs}; load generator {info['wrk']}, "
        f"redis-server {info['redis'] or 'absent'}; workdir {info['workdir']} on {disk}."
    )


def summary_pinning(bench: Any) -> str:
    """How the processes were placed on the cores (bench: a bench.report.Bench)."""
    from bench.procs import can_pin

    if not can_pin():
        return "not pinned (no taskset, or a single core): server and load share the CPU."
    return (
        f"`kanban serve`, the bare app and redis-server pinned to core {bench.server_core} "
        f"(`taskset -c {bench.server_core}`); wrk, the SSE client and the suite's own process "
        f"on core {bench.load_core} (`taskset -c {bench.load_core}`, sched_setaffinity)."
    )
