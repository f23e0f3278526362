"""The read side's progress as seen from the event loop: waiting for a seq."""

from __future__ import annotations

import asyncio


class Watermark:
    """The projected seq, advanced from the projector thread, awaited by requests.

    Read-your-writes (`min_seq`) and live streams wait on it instead of polling.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, seq: int) -> None:
        self.loop = loop
        self.seq = seq
        self._changed = asyncio.Event()
        self.closing = asyncio.Event()

    def advance(self, seq: int) -> None:
        """Thread-safe: called by the projector after each committed batch."""
        self.loop.call_soon_threadsafe(self._set, seq)

    def _set(self, seq: int) -> None:
        self.seq = max(self.seq, seq)
        # Wake every waiter, then arm a fresh event for the next change.
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_beyond(self, seq: int, timeout: float) -> bool:
        """Wait until the watermark exceeds `seq`; False on timeout or shutdown."""
        deadline = self.loop.time() + timeout
        while self.seq <= seq and not self.closing.is_set():
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                return False
            changed = asyncio.ensure_future(self._changed.wait())
            closing = asyncio.ensure_future(self.closing.wait())
            try:
                await asyncio.wait(
                    {changed, closing}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                changed.cancel()
                closing.cancel()
        return self.seq > seq

    async def reach(self, seq: int, timeout: float) -> bool:
        return await self.wait_beyond(seq - 1, timeout)

    def close(self) -> None:
        """Thread-safe: release every waiter (the server is shutting down)."""
        self.loop.call_soon_threadsafe(self.closing.set)
