"""Administration: a consistent backup of the running service, streamed (admin only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from kanban.api.deps import Admin, RuntimeDep
from kanban.api.problems import responses
from kanban.backup import format as backup_format

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=responses(401, 403, 422, 503))
MAX_SEQ = 2**63 - 1


@router.get(
    "/backup",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/gzip": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The backup file (the same format as `kanban backup "
            "create`): gzip-compressed JSON lines of the log.",
        }
    },
)
async def backup(
    rt: RuntimeDep,
    who: Admin,
    since: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_SEQ,
            description="Write an incremental "
            "backup continuing an earlier one that ended at this seq.",
        ),
    ] = 0,
) -> StreamingResponse:
    store = rt.kanban.log
    # Fail before the first byte (bad --since) rather than mid-stream.
    backup_format.header_for(store, since, store.head_seq())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"kanban-{stamp}{'-since-' + str(since) if since else ''}.jsonl.gz"
    return StreamingResponse(
        backup_format.chunks(store, since),  # a sync iterator: run in a thread
        media_type="application/gzip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
