"""A board's history, newest first, with an opaque cursor."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response

from kanban.api import schemas
from kanban.api.deps import MinSeq, RuntimeDep, Viewer
from kanban.api.problems import responses
from kanban.domain.errors import BoardNotFound, ValidationFailed

router = APIRouter(
    prefix="/api/v1/boards/{board_id}", tags=["history"], responses=responses(401, 404, 422, 503)
)


@router.get("/history", response_model=schemas.HistoryPublic, dependencies=[MinSeq])
async def history(
    board_id: str,
    rt: RuntimeDep,
    who: Viewer,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    card_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    read = rt.kanban.read
    if read.board_version(board_id) is None:
        raise BoardNotFound(f"board {board_id} does not exist")
    items = read.history(board_id, limit + 1, _decode(cursor), card_id)
    more = len(items) > limit
    items = items[:limit]
    body = {"items": items, "next_cursor": _encode(items[-1]["seq"]) if more else None}
    return Response(orjson.dumps(body), media_type="application/json")


def _encode(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raw = ""
    # Only what _encode makes: a seq SQLite can compare (a longer one overflows it).
    match = re.fullmatch(r"s([0-9]{1,18})", raw)
    if match is None:
        raise ValidationFailed("cursor is not one this server handed out")
    return int(match.group(1))
