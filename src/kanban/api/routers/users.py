"""Users and their API tokens: an admin adds users; each user manages their own tokens."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from kanban.api import access_schemas as s
from kanban.api.auth import Principal
from kanban.api.deps import (
    AccountCtx,
    Actor,
    Admin,
    MinSeq,
    Runtime,
    RuntimeDep,
    dispatch,
    settled,
)
from kanban.api.problems import responses
from kanban.domain import commands as cmd
from kanban.domain.commands import derived_id
from kanban.domain.errors import Forbidden, TokenShownOnce, UserNotFound, ValidationFailed
from kanban.projections.rows import TokenRow, UserRow
from kanban.service import credentials

router = APIRouter(prefix="/api/v1/users", tags=["users"], responses=responses(401, 422))
COMMAND = responses(403, 404, 409, 413, 503)


@router.post("", status_code=201, response_model=s.UserCreated, responses=COMMAND)
async def create_user(
    body: s.UserCreate, rt: RuntimeDep, ctx: AccountCtx, who: Admin
) -> s.UserCreated:
    """Add a user (admins only). The answer holds their first API token, shown once."""
    password_hash = None
    if body.password is not None:
        password_hash = await run_in_threadpool(credentials.hash_password, body.password)
    token = credentials.mint_token()
    user_id = derived_id(ctx.command_id, "user")
    command = cmd.AddUser(
        user_id,
        body.name,
        body.display_name or "",
        body.admin,
        password_hash,
        token.token_id,
        token.token_hash,
    )
    result = await dispatch(rt, command, ctx)
    if result.replayed:
        raise TokenShownOnce(
            f"user {user_id} was created by an earlier request with this Idempotency-Key, "
            "and its token was shown then; issue a new token for them"
        )
    await settled(rt, result)
    return s.UserCreated(**user_public(found_user(rt, user_id)).model_dump(), token=token.plain)


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


@router.patch("/{user_id}", response_model=s.UserPublic, responses=COMMAND)
async def update_user(
    user_id: str, body: s.UserUpdate, rt: RuntimeDep, ctx: AccountCtx, who: Actor
) -> s.UserPublic:
    """Change a display name or password (your own, or anyone's as an admin), or admin rights."""
    _self_or_admin(who, user_id)
    user = found_user(rt, user_id)
    given = body.model_fields_set
    changes: dict[str, object] = {}
    if "display_name" in given:
        if body.display_name is None:
            raise ValidationFailed("display_name cannot be null")
        changes["display_name"] = body.display_name
    if "admin" in given:
        if body.admin is None:
            raise ValidationFailed("admin cannot be null")
        changes["admin"] = body.admin
    if "password" in given:
        await _check_current_password(who, user, body.current_password)
        changes["password_hash"] = (
            await run_in_threadpool(credentials.hash_password, body.password)
            if body.password is not None
            else None
        )
    result = await dispatch(rt, cmd.UpdateUser(user_id, **changes), ctx)  # type: ignore[arg-type]
    await settled(rt, result)
    return user_public(found_user(rt, user_id))


@router.post("/{user_id}/tokens", status_code=201, response_model=s.TokenCreated, responses=COMMAND)
async def create_token(
    user_id: str, body: s.TokenCreate, rt: RuntimeDep, ctx: AccountCtx, who: Actor
) -> s.TokenCreated:
    """Issue another API token (yours, or anyone's as an admin). It is shown once."""
    token = credentials.mint_token()
    command = cmd.IssueToken(user_id, token.token_id, token.token_hash, "api", body.label)
    result = await dispatch(rt, command, ctx)
    if result.replayed:
        raise TokenShownOnce(
            "a token was issued by an earlier request with this Idempotency-Key and shown "
            "then; issue a new one"
        )
    await settled(rt, result)
    row = rt.kanban.read.token(token.token_id)
    created = row.created_at if row else ""
    return s.TokenCreated(
        token_id=token.token_id, token=token.plain, label=body.label.strip(), created_at=created
    )


@router.get(
    "/{user_id}/tokens",
    response_model=s.TokenListPublic,
    dependencies=[MinSeq],
    responses=responses(403, 404, 503),
)
async def list_tokens(user_id: str, rt: RuntimeDep, who: Actor) -> s.TokenListPublic:
    """A user's API tokens and web sessions (never their secrets), revoked ones too."""
    _self_or_admin(who, user_id)
    found_user(rt, user_id)
    return s.TokenListPublic(tokens=[_token(t, who) for t in rt.kanban.read.tokens(user_id)])


@router.delete("/{user_id}/tokens/{token_id}", status_code=204, responses=COMMAND)
async def revoke_token(user_id: str, token_id: str, rt: RuntimeDep, ctx: AccountCtx) -> Response:
    """Revoke a token or a session: it stops working at once, on open live streams too."""
    result = await dispatch(rt, cmd.RevokeToken(user_id, token_id), ctx)
    await settled(rt, result)
    return Response(status_code=204)


async def _check_current_password(who: Principal, user: UserRow, current: str | None) -> None:
    # Someone who finds a signed-in browser must not be able to lock its owner out.
    if who.user_id != user.user_id or user.password_hash is None:
        return
    ok = current is not None and await run_in_threadpool(
        credentials.password_matches, current, user.password_hash
    )
    if not ok:
        raise Forbidden("changing your password needs your current_password")


def _self_or_admin(who: Principal, user_id: str) -> None:
    if not who.admin and who.user_id != user_id:
        raise Forbidden("a user manages only their own account; an admin manages anyone's")


def found_user(rt: Runtime, user_id: str) -> UserRow:
    user = rt.kanban.read.user(user_id)
    if user is None:
        raise UserNotFound(f"user {user_id} does not exist")
    return user


def user_public(row: UserRow) -> s.UserPublic:
    return s.UserPublic(
        user_id=row.user_id,
        name=row.name,
        display_name=row.display_name,
        admin=row.admin,
        has_password=row.password_hash is not None,
    )


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
