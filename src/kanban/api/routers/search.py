"""Full-text search over card titles and descriptions."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response

from kanban.api import schemas
from kanban.api.deps import Actor, MinSeq, RuntimeDep
from kanban.api.problems import responses

router = APIRouter(prefix="/api/v1", tags=["search"], responses=responses(401, 422, 503))


@router.get("/search", response_model=schemas.SearchPublic, dependencies=[MinSeq])
async def search(
    rt: RuntimeDep,
    who: Actor,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Words to find.")],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    # Only cards of boards the caller belongs to (an admin's search covers every board).
    items = rt.kanban.read.search(q, limit, None if who.admin else who.user_id)
    return Response(orjson.dumps({"items": items}), media_type="application/json")
