"""Cards: read one (the card commands are rows of api/commands.py)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response

from kanban.api import schemas
from kanban.api.deps import MinSeq, RuntimeDep, Viewer
from kanban.api.problems import responses
from kanban.domain.errors import CardNotFound

router = APIRouter(
    prefix="/api/v1/boards/{board_id}/cards", tags=["cards"], responses=responses(401, 422)
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
