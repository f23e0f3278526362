"""A restore's read models, built by a second process while the first stores the log.

A restore is two halves of about equal work: replaying the backup (gunzip,
parse, check the hash chain) and storing its rows; then folding every board
and projecting every event into the read models. In one process they add up.
Here the restoring process stores each page and says so, and a second process
rebuilds the read models from what is stored (`bulk.rebuild`, following the
log), so that the halves run at once, one core each. Its folding is the
restore's proof that each event fits its board: an event it cannot read or
fold comes back as `CorruptEvent`, for the restore to name in its file.

Both work inside the restore's hidden directory: whatever happens to either,
nothing is swapped in unless both finished.
"""

from __future__ import annotations

import multiprocessing
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path

from kanban.bootstrap import projections
from kanban.domain.errors import CorruptEvent, StorageError
from kanban.projections.bulk import rebuild
from kanban.projections.sqlite import SQLiteReadStore
from kanban.service.mapper import EventMapper
from kanban.store.sqlite import SQLiteEventStore

#: From how many events a restore projects in a second process: starting one costs
#: about half a second (its imports), a few percent of restoring 20,000 events.
FOLLOW_FROM = 20_000

_STORED, _DONE = "stored", "done"
#: What the second process says at its end (see `follow`).
Outcome = tuple[int, str] | str | None


class Follower:
    """The second process, as the restoring process sees it."""

    def __init__(self, work: Path, key: bytes | None) -> None:
        # spawn, not fork: the restoring process has threads (checkpointers) and open
        # SQLite connections, neither of which survives a fork.
        context = multiprocessing.get_context("spawn")
        self._conn, theirs = context.Pipe()
        self._process = context.Process(
            target=follow,
            args=(str(work), key, theirs),
            name="kanban-restore-projector",
            daemon=True,
        )
        self._process.start()
        theirs.close()

    def stored(self, last_seq: int) -> None:
        """Events up to `last_seq` are committed to the new log."""
        if self._conn.poll():  # it speaks before `finish` only when it failed
            self._failed(self._outcome())
        try:
            self._conn.send((_STORED, last_seq))
        except OSError:
            self._failed(self._outcome())

    def finish(self, last_seq: int) -> None:
        """The log is complete at `last_seq`: wait until the read models hold all of it."""
        with suppress(OSError):  # it is gone: its outcome (or the lack of one) says why
            self._conn.send((_DONE, last_seq))
        outcome = self._outcome()
        self._process.join()
        if outcome is not None:
            self._failed(outcome)

    def close(self) -> None:
        """Stop it if it still runs (the restore failed), and let go of it."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._conn.close()

    def _outcome(self) -> Outcome:
        try:
            outcome: Outcome = self._conn.recv()
        except (EOFError, OSError):
            outcome = f"it ended without a word (exit code {self._process.exitcode})"
        return outcome

    def _failed(self, why: Outcome) -> None:
        if isinstance(why, tuple):
            raise CorruptEvent(*why)
        raise StorageError(f"projecting the restored log into its read models failed: {why}")


def follow(work: str, key: bytes | None, conn: Connection) -> None:
    """The second process: rebuild the read models as the log is stored, then say how it went.

    It says None when the read models hold the whole log, else what went wrong:
    (seq, reason) for an event that cannot be read or folded, or a message.
    """
    outcome: Outcome = None
    try:
        told = _Told(conn)
        directory = Path(work)
        with SQLiteEventStore(directory / "events.db", key=key) as store:
            read = SQLiteReadStore(directory / "read.db")
            try:
                mapper = EventMapper()
                rebuild(store, read, projections(store, mapper), mapper, more=told.more)
            finally:
                read.close()
    except EOFError:
        return  # the restoring process is gone: nobody is left to tell
    except CorruptEvent as exc:
        outcome = (exc.seq, exc.reason)
    except BaseException as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    with suppress(OSError):
        conn.send(outcome)


class _Told:
    """What the restoring process said: how far the log is stored, and where it ends."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.end: int | None = None
        self.asked = -1

    def more(self, after: int) -> bool:
        """Wait until events after `after` are stored (True), or the log ended there (False)."""
        while self.end is None:
            kind, seq = self.conn.recv()
            if kind == _DONE:
                self.end = seq
            elif seq > after:
                return True
        if after >= self.end:
            return False
        if after == self.asked:
            raise StorageError(f"the stored log ends at seq {after}, not at {self.end}")
        self.asked = after
        return True
