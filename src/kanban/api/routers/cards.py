"""Cards: add, edit, move, archive, restore; read one."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response

from kanban.api import schemas
from kanban.api.deps import Ctx, MinSeq, RuntimeDep, Viewer, dispatch
from kanban.api.problems import responses
from kanban.domain import commands as cmd
from kanban.domain.errors import CardNotFound
from kanban.service.codec import derived_id

router = APIRouter(
    prefix="/api/v1/boards/{board_id}/cards", tags=["cards"], responses=responses(401, 422)
)
COMMAND = responses(403, 404, 409, 412, 413, 503)


@router.post("", status_code=201, response_model=schemas.CardCreated, responses=COMMAND)
async def add_card(
    board_id: str, body: schemas.CardCreate, rt: RuntimeDep, ctx: Ctx
) -> schemas.CardCreated:
    card_id = derived_id(ctx.command_id, "card")
    command = cmd.AddCard(
        board_id,
        card_id,
        body.column_id,
        body.title,
        body.description,
        tuple(body.labels),
        tuple(body.assignees),
        body.due_date.isoformat() if body.due_date else None,
        body.position,
    )
    result = await dispatch(rt, command, ctx)
    return schemas.CardCreated(
        card_id=result.created.get("card_id", card_id), version=result.version, seq=result.seq
    )


@router.get(
    "/{card_id}",
    response_model=schemas.CardDetailPublic,
    dependencies=[MinSeq],
    responses=responses(404, 503),
)
async def get_card(board_id: str, card_id: str, rt: RuntimeDep, who: Viewer) -> Response:
    card = rt.kanban.read.card(board_id, card_id)
    if card is None:
        raise CardNotFound(f"card {card_id} does not exist on board {board_id}")
    return Response(orjson.dumps(card), media_type="application/json")


@router.patch("/{card_id}", response_model=schemas.CommandPublic, responses=COMMAND)
async def edit_card(
    board_id: str, card_id: str, body: schemas.CardUpdate, rt: RuntimeDep, ctx: Ctx
) -> schemas.CommandPublic:
    command = cmd.EditCard(board_id, card_id, **schemas.given(body, nullable={"due_date"}))
    result = await dispatch(rt, command, ctx)
    return schemas.CommandPublic(version=result.version, seq=result.seq)


@router.post("/{card_id}/move", response_model=schemas.CommandPublic, responses=COMMAND)
async def move_card(
    board_id: str, card_id: str, body: schemas.CardMove, rt: RuntimeDep, ctx: Ctx
) -> schemas.CommandPublic:
    result = await dispatch(rt, cmd.MoveCard(board_id, card_id, body.column_id, body.position), ctx)
    return schemas.CommandPublic(version=result.version, seq=result.seq)


@router.post("/{card_id}/archive", response_model=schemas.CommandPublic, responses=COMMAND)
async def archive_card(
    board_id: str, card_id: str, rt: RuntimeDep, ctx: Ctx
) -> schemas.CommandPublic:
    result = await dispatch(rt, cmd.ArchiveCard(board_id, card_id), ctx)
    return schemas.CommandPublic(version=result.version, seq=result.seq)


@router.post("/{card_id}/restore", response_model=schemas.CommandPublic, responses=COMMAND)
async def restore_card(
    board_id: str,
    card_id: str,
    rt: RuntimeDep,
    ctx: Ctx,
    body: schemas.CardRestore | None = None,
) -> schemas.CommandPublic:
    body = body or schemas.CardRestore()
    command = cmd.RestoreCard(board_id, card_id, body.column_id, body.position)
    result = await dispatch(rt, command, ctx)
    return schemas.CommandPublic(version=result.version, seq=result.seq)
