"""A real, throwaway redis-server for tests: no persistence, one free port.

Besides start/stop it can be killed (SIGKILL), restarted empty on the same
port, and frozen (SIGSTOP) so that it accepts connections but never answers.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

EXECUTABLE = "redis-server"


def find_redis_server() -> str | None:
    return shutil.which(EXECUTABLE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    def __init__(self, directory: Path, executable: str | None = None) -> None:
        found = executable or find_redis_server()
        if found is None:
            raise FileNotFoundError(f"{EXECUTABLE} is not on PATH")
        self.executable = found
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.frozen = False
        self._starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self, **kwargs: object) -> redis.Redis:
        """A new client; the caller closes it."""
        return redis.Redis.from_url(self.url, **kwargs)  # type: ignore[arg-type]

    def start(self, timeout: float = 10.0) -> RedisServer:
        if self.process is not None:
            raise RuntimeError("redis-server is already running")
        self._starts += 1
        output = (self.directory / f"redis-{self._starts}.log").open("wb")
        with output:
            self.process = subprocess.Popen(
                [
                    self.executable,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_up(timeout)
        return self

    def _wait_until_up(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                log = (self.directory / f"redis-{self._starts}.log").read_text(errors="replace")
                self.process = None
                raise RuntimeError(f"redis-server exited at start:\n{log}")
            client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
            try:
                if client.ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise
            finally:
                client.close()
            time.sleep(0.02)

    def _end(self, sig: signal.Signals) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(sig)
            if self.frozen and sig != signal.SIGKILL:
                process.send_signal(signal.SIGCONT)
        self.frozen = False
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        """Shut down cleanly (SIGTERM); nothing is saved."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """Die at once (SIGKILL)."""
        self._end(signal.SIGKILL)

    def restart(self) -> RedisServer:
        """Kill and start again on the same port, empty."""
        self.kill()
        return self.start()

    def freeze(self) -> None:
        """SIGSTOP: connections are still accepted, but nothing is answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)
        self.frozen = False

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()
