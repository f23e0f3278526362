"""Every command route of the HTTP API: one row each, and the functions each row names.

From `TABLE` come both the FastAPI routes (api/command_route.py makes them,
api/app.py includes them) and the shortcut in front of the framework
(api/shortcut.py), which answers the rows whose functions await nothing
beyond the dispatch. How a row reads is in api/command_route.py: `build`
turns the request into a domain command (its `body` parameter is the body
schema, its docstring the route's description), `answer` turns the result
into the response (its return type is the response model).
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import Response
from fastapi.concurrency import run_in_threadpool

from kanban.api import access_schemas as s
from kanban.api import schemas
from kanban.api.accounts import found_user, self_or_admin, user_public
from kanban.api.command_route import Call, CommandRoute
from kanban.api.deps import settled
from kanban.domain import commands as cmd
from kanban.domain.commands import CommandResult, derived_id
from kanban.domain.errors import Forbidden, TokenShownOnce, ValidationFailed
from kanban.projections.rows import UserRow
from kanban.service import credentials

BOARDS = "/api/v1/boards"
BOARD = BOARDS + "/{board_id}"
COLUMNS = BOARD + "/columns"
COLUMN = COLUMNS + "/{column_id}"
CARDS = BOARD + "/cards"
CARD = CARDS + "/{card_id}"
MEMBERS = BOARD + "/members"
MEMBER = MEMBERS + "/{user_id}"
USERS = "/api/v1/users"
USER = USERS + "/{user_id}"
TOKENS = USER + "/tokens"
TOKEN = TOKENS + "/{token_id}"


def done(c: Call, result: CommandResult, command: cmd.Command) -> schemas.CommandPublic:
    """The answer of a command that creates nothing."""
    return schemas.CommandPublic(version=result.version, seq=result.seq)


async def in_effect(c: Call, result: CommandResult, command: cmd.Command) -> schemas.CommandPublic:
    """`done`, once access here reflects the change (it is read from the read models)."""
    await settled(c.rt, result)
    return done(c, result, command)


# --- boards -------------------------------------------------------------------------


def create_board(c: Call, body: schemas.BoardCreate) -> cmd.CreateBoard:
    return cmd.CreateBoard(derived_id(c.ctx.command_id, "board"), body.title)


def board_created(c: Call, result: CommandResult, command: cmd.Command) -> schemas.BoardCreated:
    return schemas.BoardCreated(board_id=result.board_id, version=result.version, seq=result.seq)


def rename_board(c: Call, body: schemas.BoardUpdate, board_id: str) -> cmd.RenameBoard:
    return cmd.RenameBoard(board_id, body.title)


def archive_board(c: Call, board_id: str) -> cmd.ArchiveBoard:
    return cmd.ArchiveBoard(board_id)


def restore_board(c: Call, board_id: str) -> cmd.RestoreBoard:
    return cmd.RestoreBoard(board_id)


def undo(c: Call, board_id: str) -> cmd.Undo:
    """Revert your most recent change on this board that is still in effect."""
    return cmd.Undo(board_id)


def redo(c: Call, board_id: str) -> cmd.Redo:
    """Re-apply your most recently undone change, if you made no new change since."""
    return cmd.Redo(board_id)


async def undone(c: Call, result: CommandResult, command: cmd.Command) -> schemas.UndoPublic:
    first = result.first_seq or result.seq
    # The summaries come from the history read model, so a retry answers the same.
    await c.rt.watermark.reach(result.seq, c.rt.kanban.settings.min_seq_timeout)
    items = c.rt.kanban.read.history_after(result.board_id, first - 1, result.seq - first + 1)
    return schemas.UndoPublic(
        version=result.version,
        seq=result.seq,
        unit_id=result.unit_id or "",
        events=[schemas.UndoneEvent(type=i["type"], summary=i["summary"]) for i in items],
    )


# --- columns ------------------------------------------------------------------------


def add_column(c: Call, body: schemas.ColumnCreate, board_id: str) -> cmd.AddColumn:
    column_id = derived_id(c.ctx.command_id, "column")
    return cmd.AddColumn(board_id, column_id, body.title, body.position, body.wip_limit)


def column_created(c: Call, result: CommandResult, command: cmd.AddColumn) -> schemas.ColumnCreated:
    column_id = result.created.get("column_id", command.column_id)
    return schemas.ColumnCreated(column_id=column_id, version=result.version, seq=result.seq)


def edit_column(
    c: Call, body: schemas.ColumnUpdate, board_id: str, column_id: str
) -> cmd.EditColumn:
    return cmd.EditColumn(board_id, column_id, **schemas.given(body, nullable={"wip_limit"}))


def move_column(c: Call, body: schemas.ColumnMove, board_id: str, column_id: str) -> cmd.MoveColumn:
    return cmd.MoveColumn(board_id, column_id, body.position)


def remove_column(c: Call, board_id: str, column_id: str) -> cmd.RemoveColumn:
    return cmd.RemoveColumn(board_id, column_id)


# --- cards --------------------------------------------------------------------------


def add_card(c: Call, body: schemas.CardCreate, board_id: str) -> cmd.AddCard:
    return cmd.AddCard(
        board_id,
        derived_id(c.ctx.command_id, "card"),
        body.column_id,
        body.title,
        body.description,
        tuple(body.labels),
        tuple(body.assignees),
        body.due_date.isoformat() if body.due_date else None,
        body.position,
    )


def card_created(c: Call, result: CommandResult, command: cmd.AddCard) -> schemas.CardCreated:
    card_id = result.created.get("card_id", command.card_id)
    return schemas.CardCreated(card_id=card_id, version=result.version, seq=result.seq)


def edit_card(c: Call, body: schemas.CardUpdate, board_id: str, card_id: str) -> cmd.EditCard:
    return cmd.EditCard(board_id, card_id, **schemas.given(body, nullable={"due_date"}))


def move_card(c: Call, body: schemas.CardMove, board_id: str, card_id: str) -> cmd.MoveCard:
    return cmd.MoveCard(board_id, card_id, body.column_id, body.position)


def archive_card(c: Call, board_id: str, card_id: str) -> cmd.ArchiveCard:
    return cmd.ArchiveCard(board_id, card_id)


def restore_card(
    c: Call, body: schemas.CardRestore | None, board_id: str, card_id: str
) -> cmd.RestoreCard:
    body = body or schemas.CardRestore()
    return cmd.RestoreCard(board_id, card_id, body.column_id, body.position)


# --- members ------------------------------------------------------------------------


def set_member(c: Call, body: s.MemberCreate, board_id: str) -> cmd.SetMember:
    """Make a user a member with a role, or change their role (owners only)."""
    return cmd.SetMember(board_id, body.user_id, body.role)


def remove_member(c: Call, board_id: str, user_id: str) -> cmd.RemoveMember:
    """Remove a member (owners only; anyone may remove themselves). Not the last owner."""
    return cmd.RemoveMember(board_id, user_id)


# --- users and tokens ---------------------------------------------------------------


async def create_user(c: Call, body: s.UserCreate) -> cmd.AddUser:
    """Add a user (admins only). The answer holds their first API token, shown once."""
    password_hash = await _hashed(c, body.password)
    c.token = token = credentials.mint_token()
    return cmd.AddUser(
        derived_id(c.ctx.command_id, "user"),
        body.name,
        body.display_name or "",
        body.admin,
        password_hash,
        token.token_id,
        token.token_hash,
    )


async def user_created(c: Call, result: CommandResult, command: cmd.AddUser) -> s.UserCreated:
    if result.replayed:
        raise TokenShownOnce(
            f"user {command.user_id} was created by an earlier request with this "
            "Idempotency-Key, and its token was shown then; issue a new token for them"
        )
    await settled(c.rt, result)
    user = user_public(found_user(c.rt, command.user_id))
    return s.UserCreated(**user.model_dump(), token=_shown(c))


async def update_user(c: Call, body: s.UserUpdate, user_id: str) -> cmd.UpdateUser:
    """Change a display name or password (your own, or anyone's as an admin), or admin rights."""
    self_or_admin(c.who, user_id)
    user = found_user(c.rt, user_id)
    changes: dict[str, object] = {}
    for name in ("display_name", "admin"):
        if name in body.model_fields_set:
            if getattr(body, name) is None:
                raise ValidationFailed(f"{name} cannot be null")
            changes[name] = getattr(body, name)
    if "password" in body.model_fields_set:
        await _check_current_password(c, user, body.current_password)
        changes["password_hash"] = await _hashed(c, body.password)
    return cmd.UpdateUser(user_id, **changes)  # type: ignore[arg-type]


async def user_updated(c: Call, result: CommandResult, command: cmd.UpdateUser) -> s.UserPublic:
    await settled(c.rt, result)
    return user_public(found_user(c.rt, command.user_id))


def create_token(c: Call, body: s.TokenCreate, user_id: str) -> cmd.IssueToken:
    """Issue another API token (yours, or anyone's as an admin). It is shown once."""
    c.token = token = credentials.mint_token()
    return cmd.IssueToken(user_id, token.token_id, token.token_hash, "api", body.label)


async def token_created(c: Call, result: CommandResult, command: cmd.IssueToken) -> s.TokenCreated:
    if result.replayed:
        raise TokenShownOnce(
            "a token was issued by an earlier request with this Idempotency-Key and shown "
            "then; issue a new one"
        )
    await settled(c.rt, result)
    row = c.rt.kanban.read.token(command.token_id)
    return s.TokenCreated(
        token_id=command.token_id,
        token=_shown(c),
        label=command.label.strip(),
        created_at=row.created_at if row else "",
    )


def revoke_token(c: Call, user_id: str, token_id: str) -> cmd.RevokeToken:
    """Revoke a token or a session: it stops working at once, on open live streams too."""
    return cmd.RevokeToken(user_id, token_id)


async def revoked(c: Call, result: CommandResult, command: cmd.Command) -> Response:
    await settled(c.rt, result)
    return Response(status_code=204)


async def _hashed(c: Call, password: str | None) -> str | None:
    # Deliberately slow to compute: off the event loop.
    if password is None:
        return None
    return await run_in_threadpool(c.rt.kanban.passwords.hash, password)


async def _check_current_password(c: Call, user: UserRow, current: str | None) -> None:
    # Someone who finds a signed-in browser must not be able to lock its owner out.
    if c.who.user_id != user.user_id or user.password_hash is None:
        return
    ok = current is not None and await run_in_threadpool(
        c.rt.kanban.passwords.matches, current, user.password_hash
    )
    if not ok:
        raise Forbidden("changing your password needs your current_password")


def _shown(c: Call) -> str:
    assert c.token is not None, "build mints the token this answer shows"
    return c.token.plain


# --- the table ----------------------------------------------------------------------


def _group(tag: str, *routes: CommandRoute, if_match: bool = True) -> tuple[CommandRoute, ...]:
    return tuple(replace(route, tag=tag, if_match=if_match) for route in routes)


TABLE: tuple[CommandRoute, ...] = (
    *_group(
        "boards",
        CommandRoute("POST", BOARDS, create_board, board_created, "signed-in", status=201),
        CommandRoute("PATCH", BOARD, rename_board, done, "owner"),
        CommandRoute("POST", BOARD + "/archive", archive_board, done, "owner"),
        CommandRoute("POST", BOARD + "/restore", restore_board, done, "owner"),
        CommandRoute("POST", BOARD + "/undo", undo, undone, "editor"),
        CommandRoute("POST", BOARD + "/redo", redo, undone, "editor"),
    ),
    *_group(
        "columns",
        CommandRoute("POST", COLUMNS, add_column, column_created, "editor", status=201),
        CommandRoute("PATCH", COLUMN, edit_column, done, "editor"),
        CommandRoute("POST", COLUMN + "/move", move_column, done, "editor"),
        CommandRoute("DELETE", COLUMN, remove_column, done, "editor"),
    ),
    *_group(
        "cards",
        CommandRoute("POST", CARDS, add_card, card_created, "editor", status=201),
        CommandRoute("PATCH", CARD, edit_card, done, "editor"),
        CommandRoute("POST", CARD + "/move", move_card, done, "editor"),
        CommandRoute("POST", CARD + "/archive", archive_card, done, "editor"),
        CommandRoute("POST", CARD + "/restore", restore_card, done, "editor"),
    ),
    *_group(
        "members",
        CommandRoute("POST", MEMBERS, set_member, in_effect, "owner"),
        CommandRoute("DELETE", MEMBER, remove_member, in_effect, "owner-or-self"),
    ),
    *_group(
        "users",
        CommandRoute("POST", USERS, create_user, user_created, "admin", status=201),
        CommandRoute("PATCH", USER, update_user, user_updated, "self-or-admin"),
        CommandRoute("POST", TOKENS, create_token, token_created, "self-or-admin", status=201),
        CommandRoute("DELETE", TOKEN, revoke_token, revoked, "self-or-admin", status=204),
        if_match=False,  # an account has no version to match
    ),
)
