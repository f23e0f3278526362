"""Columns: add, rename or set the WIP limit, move, remove."""

from __future__ import annotations

from fastapi import APIRouter

from kanban.api import schemas
from kanban.api.deps import Ctx, RuntimeDep, dispatch
from kanban.api.problems import responses
from kanban.domain import commands as cmd
from kanban.domain.commands import derived_id

router = APIRouter(
    prefix="/api/v1/boards/{board_id}/columns",
    tags=["columns"],
    responses=responses(401, 403, 404, 409, 412, 413, 422, 503),
)


@router.post("", status_code=201, response_model=schemas.ColumnCreated)
async def add_column(
    board_id: str, body: schemas.ColumnCreate, rt: RuntimeDep, ctx: Ctx
) -> schemas.ColumnCreated:
    column_id = derived_id(ctx.command_id, "column")
    command = cmd.AddColumn(board_id, column_id, body.title, body.position, body.wip_limit)
    result = await dispatch(rt, command, ctx)
    return schemas.ColumnCreated(
        column_id=result.created.get("column_id", column_id),
        version=result.version,
        seq=result.seq,
    )


@router.patch("/{column_id}", response_model=schemas.CommandPublic)
async def edit_column(
    board_id: str, column_id: str, body: schemas.ColumnUpdate, rt: RuntimeDep, ctx: Ctx
) -> schemas.CommandPublic:
    command = cmd.EditColumn(board_id, column_id, **schemas.given(body, nullable={"wip_limit"}))
    result = await dispatch(rt, command, ctx)
    return schemas.CommandPublic(version=result.version, seq=result.seq)


@router.post("/{column_id}/move", response_model=schemas.CommandPublic)
async def move_column(
    board_id: str, column_id: str, body: schemas.ColumnMove, rt: RuntimeDep, ctx: Ctx
) -> schemas.CommandPublic:
    result = await dispatch(rt, cmd.MoveColumn(board_id, column_id, body.position), ctx)
    return schemas.CommandPublic(version=result.version, seq=result.seq)


@router.delete("/{column_id}", response_model=schemas.CommandPublic)
async def remove_column(
    board_id: str, column_id: str, rt: RuntimeDep, ctx: Ctx
) -> schemas.CommandPublic:
    result = await dispatch(rt, cmd.RemoveColumn(board_id, column_id), ctx)
    return schemas.CommandPublic(version=result.version, seq=result.seq)
