"""The feed: the log in order, for projector workers and query replicas (admin only)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response

from kanban.api import schemas
from kanban.api.deps import Admin, MinSeq, RuntimeDep, Viewer
from kanban.api.problems import responses
from kanban.feed.wire import to_wire
from kanban.store.records import StoredEvent

router = APIRouter(prefix="/api/v1", tags=["feed"], responses=responses(401, 422, 503))
MAX_SEQ = 2**63 - 1


@router.get("/events", response_model=schemas.FeedPublic, responses=responses(403))
async def events(
    rt: RuntimeDep,
    who: Admin,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ, description="Events with a larger seq.")] = 0,
    limit: Annotated[int, Query(ge=0, le=5000)] = 500,
) -> Response:
    """Committed events in seq order, with the log's epoch and head."""
    store = rt.kanban.log
    found = store.read_all(after, limit) if limit else []
    return _page(store.epoch(), store.head_seq(), found)


@router.get(
    "/boards/{board_id}/events",
    response_model=schemas.FeedPublic,
    dependencies=[MinSeq],
    responses=responses(404),
)
async def board_events(
    board_id: str,
    rt: RuntimeDep,
    who: Viewer,
    from_version: Annotated[int, Query(ge=1, le=MAX_SEQ)] = 1,
    to_version: Annotated[int | None, Query(ge=1, le=MAX_SEQ)] = None,
) -> Response:
    """One board's events by version (what a projector fetches to fill a gap)."""
    store = rt.kanban.log
    return _page(
        store.epoch(), store.head_seq(), store.read_stream(board_id, from_version, to_version)
    )


def _page(epoch: str, head: int, found: list[StoredEvent]) -> Response:
    body = {"epoch": epoch, "head_seq": head, "events": [to_wire(e) for e in found]}
    return Response(orjson.dumps(body), media_type="application/json")
