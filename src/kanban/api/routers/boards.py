"""Boards: list and read them, also as of the past (the board commands are in api/commands.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import AwareDatetime

from kanban.api import schemas
from kanban.api.deps import Actor, MinSeq, RuntimeDep, Viewer, current_view
from kanban.api.problems import responses
from kanban.domain.errors import BoardNotFound, ValidationFailed, VersionNotFound
from kanban.service.repository import load_board

router = APIRouter(prefix="/api/v1/boards", tags=["boards"], responses=responses(401, 422))


@router.get(
    "", response_model=schemas.BoardListPublic, dependencies=[MinSeq], responses=responses(503)
)
async def list_boards(rt: RuntimeDep, who: Actor) -> Response:
    """The boards you are a member of, with your role (an admin sees every board)."""
    boards = rt.kanban.read.boards(who.user_id, everyone=who.admin)
    return Response(orjson.dumps({"boards": boards}), media_type="application/json")


@router.get(
    "/{board_id}",
    response_model=schemas.BoardPublic,
    dependencies=[MinSeq],
    responses={**responses(404, 503), 304: {"description": "Not modified"}},
)
async def get_board(
    board_id: str,
    rt: RuntimeDep,
    who: Viewer,
    include_archived: bool = False,
    version: Annotated[
        int | None, Query(ge=1, le=schemas.MAX_INT, description="The board as it was then.")
    ] = None,
    at: Annotated[
        AwareDatetime | None,
        Query(description="The board as it was at this time (ISO 8601 with a timezone)."),
    ] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    if version is not None or at is not None:
        return await _as_of(rt, board_id, include_archived, version, at)
    found = current_view(rt, board_id, include_archived, if_none_match)
    if found is None:
        raise BoardNotFound(f"board {board_id} does not exist")
    status, etag, body = found
    if status == 304:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag})


async def _as_of(
    rt: RuntimeDep,
    board_id: str,
    include_archived: bool,
    version: int | None,
    at: datetime | None,
) -> Response:
    if version is not None and at is not None:
        raise ValidationFailed("give either version or at, not both")
    store = rt.kanban.log
    if at is not None:
        try:
            at.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00+14:00 is before year 1 in UTC
            raise ValidationFailed(f"at {at.isoformat()} is out of range") from None
        version = store.version_at(board_id, at)
        if version == 0:
            raise VersionNotFound(f"board {board_id} did not exist at {at.isoformat()}")
    board = await run_in_threadpool(load_board, store, rt.kanban.mapper, board_id, version)
    return Response(
        orjson.dumps(board.view(include_archived)),
        media_type="application/json",
        headers={"ETag": f'"{board.version}"'},
    )
