"""The processes under test: `kanban serve`, the bare app, a redis-server.

Each runs pinned to a core (`taskset -c N`, when there is taskset and more
than one core) on a free port, with its output in a file (a pipe nobody reads
fills up and stalls the server), and is waited for until it answers.
Memory and CPU are read from /proc.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


class StartFailed(RuntimeError):
    """A process under test did not come up; the message carries its output."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def can_pin() -> bool:
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2


def on_core(core: int | None, argv: list[str]) -> list[str]:
    """argv run on one core (taskset execs the program: the pid stays the program's)."""
    if core is None or not can_pin():
        return argv
    return ["taskset", "-c", str(core), *argv]


def pin_self(core: int) -> bool:
    """Pin this process (the load side: wrk children, SSE clients, setup) to `core`."""
    if not can_pin():
        return False
    os.sched_setaffinity(0, {core})
    return True


@contextmanager
def every_core() -> Iterator[None]:
    """Lift `pin_self` for a while: an in-process step that uses more than one core
    (restore's second process inherits this process's affinity) measured as an
    operator would run it, on an otherwise idle machine."""
    if not hasattr(os, "sched_getaffinity"):
        yield
        return
    pinned = os.sched_getaffinity(0)
    os.sched_setaffinity(0, range(os.cpu_count() or 1))
    try:
        yield
    finally:
        os.sched_setaffinity(0, pinned)


def proc_status(pid: int) -> dict[str, int]:
    """The kB figures of /proc/PID/status (VmRSS, VmHWM, ...); {} when it is gone."""
    out: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        name, _, value = line.partition(":")
        parts = value.split()
        if len(parts) == 2 and parts[1] == "kB":
            out[name] = int(parts[0])
    return out


def rss_mib(pid: int) -> float:
    """Resident set size now, MiB."""
    return proc_status(pid).get("VmRSS", 0) / 1024


def hwm_mib(pid: int) -> float:
    """Peak resident set size so far (VmHWM), MiB."""
    return proc_status(pid).get("VmHWM", 0) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (NaN when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def terminate(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> int | None:
    """SIGTERM, wait up to `timeout` s, SIGKILL if it will not go; its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without KANBAN_* settings (they would leak into the server), plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KANBAN_")}
    paths = [str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class Process:
    """A child process pinned to a core, its output in `log_path`."""

    name = "process"

    def __init__(self, log_path: Path, core: int | None) -> None:
        self.log_path = log_path
        self.core = core
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} is not running"
        return self.proc.pid

    def argv(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return clean_env()

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self, timeout: float = 30.0) -> Process:
        assert self.proc is None, f"{self.name} already running"
        for _attempt in range(3):  # another process may take the free port first
            self.port = free_port()
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("ab") as log:
                self.proc = subprocess.Popen(
                    on_core(self.core, self.argv()),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env(),
                    cwd=self.log_path.parent,
                )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                if self.ready():
                    return self
                time.sleep(0.05)
            if self.proc.poll() is None:
                self.kill()
                break
            self.proc = None
            if "address already in use" not in self.output().lower():
                break
        self.proc = None
        raise StartFailed(f"{self.name} did not start:\n{self.output()[-4000:]}")

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, wait, SIGKILL if it will not go; its exit code."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        return terminate(proc, timeout)

    def kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)

    def rss_mib(self) -> float:
        return rss_mib(self.pid)

    def hwm_mib(self) -> float:
        return hwm_mib(self.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def __enter__(self) -> Process:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _http_ok(url: str, path: str) -> bool:
    try:
        return httpx.get(url + path, timeout=1.0).status_code == 200
    except httpx.TransportError:
        return False


class KanbanServer(Process):
    """`kanban serve` on a data dir (fresh unless prepared), admin token from the environment.

    Without its access log (`--no-access-log`), as the bare app has none: a line per
    request written to a file costs either the same, and is not what is compared.
    """

    name = "kanban serve"

    def __init__(
        self,
        data_dir: Path,
        token: str,
        core: int | None,
        redis_url: str | None = None,
        **settings: str,
    ) -> None:
        super().__init__(data_dir.parent / f"{data_dir.name}-server.log", core)
        self.data_dir = data_dir
        self.token = token
        self.redis_url = redis_url
        self.settings = settings

    def argv(self) -> list[str]:
        argv = [sys.executable, "-m", "kanban.cli", "serve", "--port", str(self.port)]
        argv += ["--data-dir", str(self.data_dir), "--no-access-log"]
        if self.redis_url:
            argv += ["--redis-url", self.redis_url]
        return argv

    def env(self) -> dict[str, str]:
        extra = {f"KANBAN_{k.upper()}": v for k, v in self.settings.items()}
        return clean_env(KANBAN_ADMIN_TOKEN=self.token, **extra)

    def ready(self) -> bool:
        # /readyz: commands are taken and the read side has caught up with the log.
        return _http_ok(self.url, "/readyz")

    def client(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=timeout
        )


class BareApp(Process):
    """bench/bare_app.py: the bare stack (FastAPI, uvicorn, uvloop, httptools, 1 worker)."""

    name = "bare app"

    def __init__(self, directory: Path, token: str, core: int | None, boards: Path) -> None:
        super().__init__(directory / "bare-app.log", core)
        self.directory = directory
        self.token = token
        self.boards = boards

    def argv(self) -> list[str]:
        argv = [sys.executable, "-m", "bench.bare_app", "--port", str(self.port)]
        return [*argv, "--db", str(self.directory / "bare.db"), "--boards", str(self.boards)]

    def env(self) -> dict[str, str]:
        return clean_env(BARE_TOKEN=self.token)

    def ready(self) -> bool:
        return _http_ok(self.url, "/healthz")


class Redis(Process):
    """A throwaway redis-server: no persistence, loopback only, a free port."""

    name = "redis-server"

    def __init__(self, directory: Path, core: int | None) -> None:
        super().__init__(directory / "redis.log", core)
        self.directory = directory

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def argv(self) -> list[str]:
        executable = shutil.which("redis-server")
        if executable is None:
            raise StartFailed("redis-server is not on PATH (apt-get install redis-server)")
        self.directory.mkdir(parents=True, exist_ok=True)
        argv = [executable, "--port", str(self.port), "--bind", "127.0.0.1"]
        return [*argv, "--save", "", "--appendonly", "no", "--dir", str(self.directory)]

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False
