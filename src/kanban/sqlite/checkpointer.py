"""WAL checkpoints from a thread of their own, and the WAL's limits (ADR 0011)."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import suppress
from pathlib import Path

#: The WAL file is cut back to this size once checkpointed (SQLite's journal_size_limit).
WAL_SIZE_LIMIT = 64 * 1024 * 1024
#: The log's WAL is started over once it holds this much (see Checkpointer.restart). Far
#: below WAL_SIZE_LIMIT on purpose: a commit into the WAL's already written bytes costs its
#: fsync the data alone, while one that grows the file also costs a journal commit of
#: the file's size (one command at a time, a fifth fewer a second while the WAL grew).
WAL_RESTART_BYTES = 4 * 1024 * 1024
#: How long a writer waits for readers to leave the WAL before it starts over.
RESTART_WAIT_MS = 20


class Checkpointer:
    """Moves a WAL's pages into its database file from a thread of its own.

    SQLite checkpoints inline by default: the commit that takes the WAL past
    1,000 pages copies them back, fsyncs and makes every command queued behind
    it wait (tens of ms). With automatic checkpoints off on the writer, this
    thread runs PASSIVE checkpoints, which never block a writer or a reader,
    every `interval` seconds; SQLite releases the GIL while it does the I/O.
    """

    def __init__(
        self, path: Path, interval: float = 0.25, restart_bytes: int = WAL_RESTART_BYTES
    ) -> None:
        self.path = path
        self.interval = interval
        self.restart_bytes = restart_bytes
        #: The WAL outgrew `restart_bytes`: the writer starts it over before its next write.
        self.restart_due = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"kanban-checkpoint-{path.name}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 1000")
            (page,) = conn.execute("PRAGMA page_size").fetchone()
            while not self._stop.wait(self.interval):
                with suppress(sqlite3.Error):  # busy or closing: the next turn tries again
                    _, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.restart_due = frames * page > self.restart_bytes
        finally:
            conn.close()

    def restart(self, writer: sqlite3.Connection) -> None:
        """Start the WAL over if it outgrew its limit: the writer calls this between writes.

        The WAL starts over only when a write finds all of it copied and no
        reader in it. Under writes that never pause, passive checkpoints never
        leave it so (each commit adds frames while they copy), and the WAL grew
        by hundreds of MB a minute, every read slower for it. A RESTART
        checkpoint on the writer's own connection holds the next write until
        the few frames left are copied and the readers are out; a reader that
        stays longer (a backup) only postpones it: a short timeout, not the
        writer's.
        """
        if not self.restart_due:
            return
        self.restart_due = False
        (timeout,) = writer.execute("PRAGMA busy_timeout").fetchone()
        try:
            writer.execute(f"PRAGMA busy_timeout = {RESTART_WAIT_MS}")
            writer.execute("PRAGMA wal_checkpoint(RESTART)")
        except sqlite3.Error:
            pass  # readers stayed: the next turn tries again
        finally:
            writer.execute(f"PRAGMA busy_timeout = {timeout}")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
