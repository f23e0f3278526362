"""Board members and their roles: owners grant and revoke; every member may leave."""

from __future__ import annotations

from fastapi import APIRouter

from kanban.api import access_schemas as s
from kanban.api import schemas
from kanban.api.deps import Ctx, MinSeq, RuntimeDep, Viewer, dispatch, settled
from kanban.api.problems import responses
from kanban.domain import commands as cmd

router = APIRouter(
    prefix="/api/v1/boards/{board_id}/members",
    tags=["members"],
    responses=responses(401, 404, 422),
)
COMMAND = responses(403, 409, 412, 413, 503)


@router.get("", response_model=s.MemberListPublic, dependencies=[MinSeq], responses=responses(503))
async def list_members(board_id: str, rt: RuntimeDep, who: Viewer) -> s.MemberListPublic:
    """Who may see or change the board, owners first."""
    return s.MemberListPublic(members=rt.kanban.read.members(board_id))


@router.post("", response_model=schemas.CommandPublic, responses=COMMAND)
async def set_member(
    board_id: str, body: s.MemberCreate, rt: RuntimeDep, ctx: Ctx
) -> schemas.CommandPublic:
    """Make a user a member with a role, or change their role (owners only)."""
    result = await dispatch(rt, cmd.SetMember(board_id, body.user_id, body.role), ctx)
    await settled(rt, result)
    return schemas.CommandPublic(version=result.version, seq=result.seq)


@router.delete("/{user_id}", response_model=schemas.CommandPublic, responses=COMMAND)
async def remove_member(
    board_id: str, user_id: str, rt: RuntimeDep, ctx: Ctx
) -> schemas.CommandPublic:
    """Remove a member (owners only; anyone may remove themselves). Not the last owner."""
    result = await dispatch(rt, cmd.RemoveMember(board_id, user_id), ctx)
    await settled(rt, result)
    return schemas.CommandPublic(version=result.version, seq=result.seq)
