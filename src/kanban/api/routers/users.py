"""Users and their API tokens, read (adding and changing them are in api/commands.py)."""

from __future__ import annotations

from fastapi import APIRouter

from kanban.api import access_schemas as s
from kanban.api.accounts import found_user, self_or_admin, user_public
from kanban.api.auth import Principal
from kanban.api.deps import Actor, MinSeq, RuntimeDep
from kanban.api.problems import responses
from kanban.projections.rows import TokenRow

router = APIRouter(prefix="/api/v1/users", tags=["users"], responses=responses(401, 422))


@router.get("", response_model=s.UserListPublic, dependencies=[MinSeq], responses=responses(503))
async def list_users(rt: RuntimeDep, who: Actor) -> s.UserListPublic:
    """Everyone who can sign in (what an owner picks members from)."""
    return s.UserListPublic(users=[user_public(u) for u in rt.kanban.read.users()])


@router.get("/me", response_model=s.UserPublic, dependencies=[MinSeq], responses=responses(503))
async def me(rt: RuntimeDep, who: Actor) -> s.UserPublic:
    return user_public(found_user(rt, who.user_id))


@router.get(
    "/{user_id}",
    response_model=s.UserPublic,
    dependencies=[MinSeq],
    responses=responses(404, 503),
)
async def get_user(user_id: str, rt: RuntimeDep, who: Actor) -> s.UserPublic:
    return user_public(found_user(rt, user_id))


@router.get(
    "/{user_id}/tokens",
    response_model=s.TokenListPublic,
    dependencies=[MinSeq],
    responses=responses(403, 404, 503),
)
async def list_tokens(user_id: str, rt: RuntimeDep, who: Actor) -> s.TokenListPublic:
    """A user's API tokens and web sessions (never their secrets), revoked ones too."""
    self_or_admin(who, user_id)
    found_user(rt, user_id)
    return s.TokenListPublic(tokens=[_token(t, who) for t in rt.kanban.read.tokens(user_id)])


def _token(row: TokenRow, who: Principal) -> s.TokenPublic:
    return s.TokenPublic(
        token_id=row.token_id,
        kind=row.kind,
        label=row.label,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked=row.revoked_at is not None,
        revoked_at=row.revoked_at,
        current=row.token_id == who.token_id,
    )
