"""Live updates: Server-Sent Events, one message per projected event of a board."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Header
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from kanban.api.auth import Principal
from kanban.api.deps import Runtime, RuntimeDep, Viewer
from kanban.api.problems import responses
from kanban.domain.errors import BoardNotFound

router = APIRouter(
    prefix="/api/v1/boards/{board_id}", tags=["live"], responses=responses(401, 404, 422)
)

PAGE = 500
LIVE_FIELDS = ("seq", "version", "type", "summary", "data", "actor", "actor_name", "recorded_at")


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "`id:` seq, `event:` type, `data:` {seq, version, type, "
            "summary, data, actor, actor_name, recorded_at}; `: heartbeat` comments; "
            "`event: reset` when the stream cannot resume from Last-Event-ID (refetch "
            "the board); `event: revoked`, then "
            "the end, when your token or session is revoked or you leave the board.",
        }
    },
)
async def stream(
    board_id: str,
    rt: RuntimeDep,
    who: Viewer,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    if rt.kanban.read.board_version(board_id) is None:
        raise BoardNotFound(f"board {board_id} does not exist")
    return StreamingResponse(
        _events(rt, board_id, who, last_event_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    rt: Runtime, board_id: str, who: Principal, last_event_id: str | None
) -> AsyncIterator[bytes]:
    read, watermark = rt.kanban.read, rt.watermark
    # A replica asks the writer for the head over HTTP: keep that off the loop.
    after, reset = await run_in_threadpool(_resume_point, rt, last_event_id)
    yield b"retry: 2000\n\n"
    if reset:
        yield b"event: reset\ndata: {}\n\n"
    while not watermark.closing.is_set():
        seen = watermark.seq
        # A revocation or a removal is an event too, so it wakes this loop: the
        # stream ends as soon as the credentials or the membership are gone.
        # (Two indexed reads of the local read model, as every request's own
        # authentication does on the loop: a thread hop would cost more.)
        if not _still_allowed(rt, board_id, who):
            yield b"event: revoked\ndata: {}\n\n"
            return
        items = read.history_after(board_id, after, PAGE)
        for item in items:
            data = {k: item[k] for k in LIVE_FIELDS}
            yield b"id: %d\nevent: %s\ndata: %s\n\n" % (
                item["seq"],
                item["type"].encode(),
                orjson.dumps(data),
            )
            after = item["seq"]
        if len(items) == PAGE:
            continue
        if not await watermark.wait_for_board(board_id, seen, rt.kanban.settings.heartbeat):
            yield b": heartbeat\n\n"


def _resume_point(rt: Runtime, last_event_id: str | None) -> tuple[int, bool]:
    """Where to start: after Last-Event-ID, or now; reset when that id cannot be resumed."""
    now = rt.watermark.seq
    if last_event_id is None:
        return now, False
    try:
        seq = int(last_event_id)
    except ValueError:
        return now, True
    # An id beyond the log's head belongs to another history (a restored log).
    if seq < 0 or seq > rt.kanban.feed.head_seq():
        return now, True
    return seq, False


def _still_allowed(rt: Runtime, board_id: str, who: Principal) -> bool:
    if not rt.auth.still_valid(who):
        return False
    return who.admin or rt.auth.role(board_id, who.user_id) is not None
