"""How far the read side has got: a watermark that readers wait on and listeners follow.

The watermark is the seq up to which every projection has applied every
event. (A projection's own checkpoint may be ahead of it.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from kanban.projections.rows import ProjectorStatus
from kanban.store.records import ProgressCallback

Listener = Callable[[int, "frozenset[str] | None"], None]
"""Called with the new watermark and the streams of the events it passed (None: unknown)."""


class ReportsProgress:
    """Base of what runs projections: keeps the watermark, the seq up to which
    every event is applied, for `wait_for` (read-your-writes) and listeners
    (live streams)."""

    def __init__(self, watermark: int = 0) -> None:
        self._watermark = watermark
        self._applied = threading.Condition()
        self._listeners: list[Listener] = []

    @property
    def watermark(self) -> int:
        """Every event up to this seq is applied by every projection."""
        return self._watermark

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(seq, streams)` (from the projecting thread) whenever the
        watermark moves: `streams` are those of the events it moved past, or None
        when they are not known (a rebuild, another worker's progress)."""
        self._listeners.append(listener)

    def wait_for(self, seq: int, timeout: float) -> bool:
        with self._applied:
            return self._applied.wait_for(lambda: self._watermark >= seq, timeout)

    def _advance(self, seq: int, streams: frozenset[str] | None = None) -> None:
        if seq == self._watermark:
            return
        with self._applied:
            self._watermark = seq
            self._applied.notify_all()
        for listener in self._listeners:
            listener(seq, streams)


class ReadSide(Protocol):
    """What runs the projections for a process: the embedded projector or a stream worker."""

    def start(self) -> object: ...

    def stop(self) -> None: ...

    def wake(self, seq: int = 0) -> None: ...

    def add_listener(self, listener: Listener) -> None: ...

    @property
    def watermark(self) -> int: ...

    def wait_for(self, seq: int, timeout: float) -> bool: ...

    def status(self) -> list[ProjectorStatus]: ...

    def catch_up(self, progress: ProgressCallback | None = None) -> int: ...
