"""Web sign-in: name and password for an HttpOnly session cookie with a CSRF token."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from kanban.api import access_schemas as s
from kanban.api import headers
from kanban.api.accounts import found_user, user_public
from kanban.api.auth import SESSION_COOKIE
from kanban.api.deps import Actor, RuntimeDep, dispatch, settled
from kanban.api.problems import responses
from kanban.domain import commands as cmd
from kanban.domain.errors import Unauthenticated
from kanban.service import credentials
from kanban.store.codec import format_time

router = APIRouter(prefix="/api/v1/session", tags=["session"], responses=responses(422))


@router.post("", response_model=s.SessionPublic, responses=responses(401, 413, 429, 503))
async def sign_in(
    body: s.SessionCreate, request: Request, response: Response, rt: RuntimeDep
) -> s.SessionPublic:
    """Sign in with name and password; sets the session cookie. Failures are rate-limited."""
    address = request.client.host if request.client else "unknown"
    rt.throttle.check(body.name, address)
    user = rt.kanban.read.user_by_name(body.name)
    ok = await run_in_threadpool(
        rt.kanban.passwords.matches, body.password, user.password_hash if user else None
    )
    if user is None or not ok:
        rt.throttle.failed(body.name, address)
        raise Unauthenticated("wrong name or password")
    rt.throttle.succeeded(body.name)
    ttl = rt.kanban.settings.session_ttl
    expires_at = format_time(rt.kanban.clock() + timedelta(seconds=ttl))
    token = credentials.mint_token()
    label = request.headers.get("user-agent", "")[:100]
    command = cmd.IssueToken(
        user.user_id, token.token_id, token.token_hash, "session", label, expires_at
    )
    ctx = cmd.CommandContext.new(user.user_id, admin=user.admin)
    await settled(rt, await dispatch(rt, command, ctx))
    response.set_cookie(
        SESSION_COOKIE,
        token.plain,
        max_age=int(ttl),
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
    return s.SessionPublic(
        user=user_public(user),
        csrf_token=credentials.csrf_token(token.plain),
        expires_at=expires_at,
    )


@router.get("", response_model=s.SessionPublic, responses=responses(401))
async def session(request: Request, rt: RuntimeDep, who: Actor) -> s.SessionPublic:
    """Who you are signed in as, and the CSRF token for your session."""
    csrf, expires_at = None, None
    if who.via == "session" and who.token_id is not None:
        presented = headers.session_token(headers.of_scope(request.scope))
        csrf = credentials.csrf_token(presented or "")
        row = rt.kanban.read.token(who.token_id)
        expires_at = row.expires_at if row else None
    return s.SessionPublic(
        user=user_public(found_user(rt, who.user_id)), csrf_token=csrf, expires_at=expires_at
    )


@router.delete("", status_code=204, responses=responses(401, 403, 413, 503))
async def sign_out(rt: RuntimeDep, who: Actor) -> Response:
    """Sign out: the session is revoked (it fails everywhere at once) and its cookie cleared."""
    if who.via == "session" and who.token_id is not None:
        ctx = cmd.CommandContext.new(who.user_id, admin=who.admin)
        await settled(rt, await dispatch(rt, cmd.RevokeToken(who.user_id, who.token_id), ctx))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response
