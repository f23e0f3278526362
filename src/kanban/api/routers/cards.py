"""Cards: add, edit, move, archive, restore; read one."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response
from pydantic import BaseModel

from kanban.api import schemas
from kanban.api.deps import Ctx, MinSeq, RuntimeDep, Viewer, dispatch
from kanban.api.fast_commands import Endpoint, run
from kanban.api.problems import responses
from kanban.domain import commands as cmd
from kanban.domain.commands import CommandContext, CommandResult, derived_id
from kanban.domain.errors import CardNotFound

PREFIX = "/api/v1/boards/{board_id}/cards"
router = APIRouter(prefix=PREFIX, tags=["cards"], responses=responses(401, 422))
COMMAND = responses(403, 404, 409, 412, 413, 503)


def _add(ctx: CommandContext, body: schemas.CardCreate, board_id: str) -> cmd.AddCard:
    return cmd.AddCard(
        board_id,
        derived_id(ctx.command_id, "card"),
        body.column_id,
        body.title,
        body.description,
        tuple(body.labels),
        tuple(body.assignees),
        body.due_date.isoformat() if body.due_date else None,
        body.position,
    )


def _created(result: CommandResult, command: cmd.AddCard) -> schemas.CardCreated:
    card_id = result.created.get("card_id", command.card_id)
    return schemas.CardCreated(card_id=card_id, version=result.version, seq=result.seq)


def _edit(
    ctx: CommandContext, body: schemas.CardUpdate, board_id: str, card_id: str
) -> cmd.EditCard:
    return cmd.EditCard(board_id, card_id, **schemas.given(body, nullable={"due_date"}))


def _move(ctx: CommandContext, body: schemas.CardMove, board_id: str, card_id: str) -> cmd.MoveCard:
    return cmd.MoveCard(board_id, card_id, body.column_id, body.position)


ADD = Endpoint("POST", PREFIX, schemas.CardCreate, _add, _created, status=201)
EDIT = Endpoint("PATCH", PREFIX + "/{card_id}", schemas.CardUpdate, _edit, schemas.public)
MOVE = Endpoint("POST", PREFIX + "/{card_id}/move", schemas.CardMove, _move, schemas.public)
#: What the fast path in front of the framework may answer (api/fast_commands.py).
FAST = (ADD, EDIT, MOVE)


@router.post("", status_code=ADD.status, response_model=schemas.CardCreated, responses=COMMAND)
async def add_card(board_id: str, body: schemas.CardCreate, rt: RuntimeDep, ctx: Ctx) -> BaseModel:
    return await run(rt, ADD, ctx, body, board_id=board_id)


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
) -> BaseModel:
    return await run(rt, EDIT, ctx, body, board_id=board_id, card_id=card_id)


@router.post("/{card_id}/move", response_model=schemas.CommandPublic, responses=COMMAND)
async def move_card(
    board_id: str, card_id: str, body: schemas.CardMove, rt: RuntimeDep, ctx: Ctx
) -> BaseModel:
    return await run(rt, MOVE, ctx, body, board_id=board_id, card_id=card_id)


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
