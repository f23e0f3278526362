"""The command bus: one writer thread that group-commits queued commands.

Commands queue up while the previous batch is being written; the writer takes
all that are waiting, runs each in its own savepoint (so each keeps its own
outcome), commits once, and only then hands back the results. One fsync thus
serves many commands, and no caller hears "done" before its events are durable.
A synchronous caller alone, with nothing queued and nothing being written,
writes its own command as a batch of one (`dispatch`).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass

from kanban.domain.commands import Command, CommandContext, CommandResult
from kanban.domain.errors import KanbanError, StorageError
from kanban.service.handlers import HANDLERS
from kanban.service.repository import BoardRepository
from kanban.service.unit_of_work import UnitOfWork
from kanban.store.ports import Batch, EventLog

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Job:
    command: Command
    ctx: CommandContext
    #: Where the outcome goes: a thread's future, or (with `loop`) an event loop's.
    future: Future[CommandResult] | asyncio.Future[CommandResult]
    loop: asyncio.AbstractEventLoop | None = None


_STOP = object()


class CommandBus:
    """Takes commands from any thread; writes them one batch at a time."""

    def __init__(
        self,
        store: EventLog,
        boards: BoardRepository,
        max_batch: int = 256,
        on_commit: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.boards = boards
        self.max_batch = max_batch
        #: Called with the newest seq after each commit that appended events.
        self.on_commit = on_commit
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: Held while a batch is written: by the writer thread, or by a `dispatch` caller.
        self._writing = threading.Lock()
        #: `dispatch` calls under way (guarded by `_lock`).
        self._dispatching = 0

    # --- lifecycle -----------------------------------------------------------

    def start(self) -> CommandBus:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kanban-writer", daemon=True)
                self._thread.start()
        return self

    def stop(self) -> None:
        """Finish every queued command, then stop the writer."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> CommandBus:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- dispatch ------------------------------------------------------------

    def submit(self, command: Command, ctx: CommandContext) -> Future[CommandResult]:
        future: Future[CommandResult] = Future()
        self._put(_Job(command, ctx, future))
        return future

    def submit_async(self, command: Command, ctx: CommandContext) -> asyncio.Future[CommandResult]:
        """`submit` for a coroutine: the outcome arrives on the running event loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[CommandResult] = loop.create_future()
        self._put(_Job(command, ctx, future, loop))
        return future

    def _put(self, job: _Job) -> None:
        self._check(job)
        self._queue.put(job)

    def _check(self, job: _Job) -> None:
        if type(job.command) not in HANDLERS:
            raise TypeError(f"no handler for {type(job.command).__name__}")
        if self._thread is None:
            raise RuntimeError("the command bus is not running")

    def dispatch(self, command: Command, ctx: CommandContext) -> CommandResult:
        """Handle a command and wait until its events are durable.

        A caller alone (no other `dispatch` under way, nothing queued or being
        written) writes its command itself: handing it to the writer thread and
        waiting for it back costs two thread switches, a fifth of a command's
        time one at a time. Concurrent callers queue for the writer's next
        batch, as before, so that they share its commit.
        """
        future: Future[CommandResult] = Future()
        job = _Job(command, ctx, future)
        self._check(job)
        with self._lock:
            self._dispatching += 1
            alone = self._dispatching == 1
        try:
            if alone and self._queue.empty() and self._writing.acquire(blocking=False):
                try:
                    self._write([job])
                finally:
                    self._writing.release()
            else:
                self._queue.put(job)
            return future.result()
        finally:
            with self._lock:
                self._dispatching -= 1

    # --- the writer ----------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            jobs: list[_Job] = []
            stop = first is _STOP
            if isinstance(first, _Job):
                jobs.append(first)
            while len(jobs) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                elif isinstance(item, _Job):
                    jobs.append(item)
            if jobs:
                with self._writing:
                    self._write(jobs)
            if stop:
                return

    def _write(self, jobs: list[_Job]) -> None:
        outcomes: list[CommandResult | BaseException] = []
        touched: set[str] = set()
        try:
            with self.store.batch() as batch:
                alone = len(jobs) == 1  # then a failure rolls the batch back: no savepoint
                for job in jobs:
                    outcomes.append(self._handle(batch, job, touched, alone))
        except Exception as exc:  # the commit (or BEGIN) failed: nothing is durable
            for board_id in touched:
                self.boards.evict(board_id)
            error = exc if isinstance(exc, KanbanError) else StorageError(f"write failed: {exc}")
            log.error("batch of %d command(s) failed: %s", len(jobs), exc)
            _deliver(jobs, [error] * len(jobs))
            return
        _deliver(jobs, outcomes)
        appended = [o.seq for o in outcomes if isinstance(o, CommandResult) and o.appended]
        if appended and self.on_commit is not None:
            self.on_commit(max(appended))

    def _handle(
        self, batch: Batch, job: _Job, touched: set[str], alone: bool
    ) -> CommandResult | BaseException:
        uow = UnitOfWork(batch, self.boards, job.ctx, job.command)
        try:
            with batch.unit(alone=alone):
                result = uow.replayed() or HANDLERS[type(job.command)](job.command, uow)
        except Exception as exc:
            if uow.dirty:
                # Events were applied in memory but rolled back on disk.
                self.boards.evict(uow.dirty)
            if not isinstance(exc, KanbanError):
                log.exception("command %s failed", type(job.command).__name__)
            return exc
        if uow.dirty:
            touched.add(uow.dirty)
        return result


def _deliver(jobs: list[_Job], outcomes: list[CommandResult | BaseException]) -> None:
    waiting: dict[asyncio.AbstractEventLoop, list[tuple[_Job, CommandResult | BaseException]]] = {}
    for job, outcome in zip(jobs, outcomes, strict=True):
        if job.loop is None:
            _settle(job, outcome)
        else:
            waiting.setdefault(job.loop, []).append((job, outcome))
    for loop, settled in waiting.items():
        # One wake-up of the loop for the whole batch, not one per command.
        with suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_settle_all, settled)


def _settle_all(settled: list[tuple[_Job, CommandResult | BaseException]]) -> None:
    for job, outcome in settled:
        _settle(job, outcome)


def _settle(job: _Job, outcome: CommandResult | BaseException) -> None:
    if job.future.done():  # an awaiting request was cancelled (its client went away)
        return
    if isinstance(outcome, BaseException):
        job.future.set_exception(outcome)
    else:
        job.future.set_result(outcome)
