"""Board members and their roles, listed (granting and revoking are in api/commands.py)."""

from __future__ import annotations

from fastapi import APIRouter

from kanban.api import access_schemas as s
from kanban.api.deps import MinSeq, RuntimeDep, Viewer
from kanban.api.problems import responses

router = APIRouter(
    prefix="/api/v1/boards/{board_id}/members",
    tags=["members"],
    responses=responses(401, 404, 422),
)


@router.get("", response_model=s.MemberListPublic, dependencies=[MinSeq], responses=responses(503))
async def list_members(board_id: str, rt: RuntimeDep, who: Viewer) -> s.MemberListPublic:
    """Who may see or change the board, owners first."""
    return s.MemberListPublic(members=rt.kanban.read.members(board_id))
