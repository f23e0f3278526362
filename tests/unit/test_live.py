"""Live streams wait for their own board: which projected batches wake them."""

from __future__ import annotations

import asyncio

import pytest

from kanban.api.live import Watermark

BOARD, OTHER = "board-a", "board-b"


async def _woken(streams: frozenset[str] | None, timeout: float) -> bool:
    """Whether a stream of BOARD waiting at seq 10 is woken by a batch at 11 of `streams`."""
    watermark = Watermark(asyncio.get_running_loop(), 10)
    waiting = asyncio.create_task(watermark.wait_for_board(BOARD, 10, timeout))
    await asyncio.sleep(0)  # the stream is waiting before the batch lands
    watermark.advance(11, streams)
    woken = await waiting
    assert watermark.seq == 11  # read-your-writes sees every batch
    return woken


@pytest.mark.parametrize(
    ("streams", "woken"),
    [
        (frozenset({BOARD}), True),
        (frozenset({OTHER, BOARD}), True),
        (frozenset({OTHER}), False),
        # Tokens and users: a revocation must reach every open stream.
        (frozenset({"$system"}), True),
        (frozenset({OTHER, "$system"}), True),
        # A rebuild, another worker's progress: which boards moved is not known.
        (None, True),
    ],
)
def test_a_batch_wakes_the_streams_of_the_boards_it_changed(
    streams: frozenset[str] | None, woken: bool
) -> None:
    # A woken stream returns at once; one left waiting times out (0.2 s).
    assert asyncio.run(_woken(streams, 0.2)) is woken


def test_a_change_landing_before_the_wait_is_not_missed() -> None:
    async def scenario() -> tuple[bool, bool]:
        watermark = Watermark(asyncio.get_running_loop(), 10)
        watermark.advance(11, frozenset({BOARD}))
        await asyncio.sleep(0)
        # A stream that read the history as of 10 must not sleep through 11...
        missed = await watermark.wait_for_board(BOARD, 10, 5.0)
        # ...and one that read it as of 11 has nothing new.
        idle = await watermark.wait_for_board(BOARD, 11, 0.05)
        return missed, idle

    assert asyncio.run(scenario()) == (True, False)


def test_closing_releases_a_waiting_stream() -> None:
    async def scenario() -> bool:
        watermark = Watermark(asyncio.get_running_loop(), 10)
        waiting = asyncio.create_task(watermark.wait_for_board(BOARD, 10, 5.0))
        await asyncio.sleep(0)
        watermark.close()
        return await asyncio.wait_for(waiting, 1.0)

    assert asyncio.run(scenario()) is False
