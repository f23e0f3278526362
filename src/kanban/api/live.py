"""The read side's progress as seen from the event loop: waiting for a seq, or a board."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from kanban.domain.commands import is_board_stream


class Watermark:
    """The projected seq, advanced from the projector thread, awaited by requests.

    Read-your-writes (`min_seq`) waits for a seq; a live stream waits for its
    own board, so that a batch wakes only the streams of the boards it changed
    instead of every stream open on the server. A change to a stream that is
    not a board's (tokens, users) wakes every live stream: access may have gone.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, seq: int) -> None:
        self.loop = loop
        self.seq = seq
        self._changed = asyncio.Event()
        self.closing = asyncio.Event()
        #: The seq of the last batch that changed each board (since this process started).
        self._board_seq: dict[str, int] = {}
        #: The seq of the last batch that changed some other stream, or whose streams
        #: were not known: it concerns every board.
        self._everyone_seq = 0
        #: One event per board that live streams are waiting on.
        self._board_waiters: dict[str, asyncio.Event] = {}

    def advance(self, seq: int, streams: frozenset[str] | None = None) -> None:
        """Thread-safe: called by the projector after each committed batch, with the
        streams of its events (None: not known)."""
        self.loop.call_soon_threadsafe(self._set, seq, streams)

    def _set(self, seq: int, streams: frozenset[str] | None) -> None:
        self.seq = max(self.seq, seq)
        # Wake every waiter, then arm a fresh event for the next change.
        self._changed.set()
        self._changed = asyncio.Event()
        if streams is None or not all(is_board_stream(s) for s in streams):
            self._everyone_seq = seq
            waiting, self._board_waiters = self._board_waiters, {}
            for event in waiting.values():
                event.set()
            if streams is None:
                return
        for board_id in streams:
            self._board_seq[board_id] = seq
            waiter = self._board_waiters.pop(board_id, None)
            if waiter is not None:
                waiter.set()

    def board_changed(self, board_id: str, seq: int) -> bool:
        """Whether a batch after `seq` changed the board (or concerned every board)."""
        return max(self._board_seq.get(board_id, 0), self._everyone_seq) > seq

    async def wait_beyond(self, seq: int, timeout: float) -> bool:
        """Wait until the watermark exceeds `seq`; False on timeout or shutdown."""
        return await self._wait(lambda: self.seq > seq, lambda: self._changed, timeout)

    async def wait_for_board(self, board_id: str, seq: int, timeout: float) -> bool:
        """Wait until a batch after `seq` changes the board; False on timeout or shutdown."""
        return await self._wait(
            lambda: self.board_changed(board_id, seq),
            lambda: self._board_waiters.setdefault(board_id, asyncio.Event()),
            timeout,
        )

    async def _wait(
        self,
        done: Callable[[], bool],
        event: Callable[[], asyncio.Event],
        timeout: float,
    ) -> bool:
        deadline = self.loop.time() + timeout
        while not done() and not self.closing.is_set():
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                return False
            changed = asyncio.ensure_future(event().wait())
            closing = asyncio.ensure_future(self.closing.wait())
            try:
                await asyncio.wait(
                    {changed, closing}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                changed.cancel()
                closing.cancel()
        return done()

    async def reach(self, seq: int, timeout: float) -> bool:
        return await self.wait_beyond(seq - 1, timeout)

    def close(self) -> None:
        """Thread-safe: release every waiter (the server is shutting down)."""
        self.loop.call_soon_threadsafe(self.closing.set)
