"""`kanban users ...`: accounts, passwords and API tokens, as the built-in admin.

Every change goes through the command bus like any other command, as the
built-in `admin` user, so it is an event in the system stream. A secret is
read from standard input (never from an argument, which would reach the shell
history and `ps`), hashed here, and only its hash is given to the command. A
new token is printed once, alone on standard output, so that a script can
capture it: `TOKEN=$(kanban users add alice)`; what is said about it goes to
standard error and never contains a secret.
"""

from __future__ import annotations

import getpass
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Column, Table

from kanban.bootstrap import passwords
from kanban.cli.common import DataDir, _fail, _log, _open, _settings, app, err, out
from kanban.domain import commands as cmd
from kanban.domain import users as directory_rules
from kanban.domain.commands import SYSTEM_STREAM, derived_id
from kanban.domain.errors import KanbanError, UserNotFound, ValidationFailed
from kanban.domain.events import TokenIssued
from kanban.domain.users import ADMIN_ID, Directory, User
from kanban.service import credentials
from kanban.service.mapper import EventMapper
from kanban.store.codec import format_time

users_app = typer.Typer(
    help="Add users, set passwords, issue and revoke tokens.", no_args_is_help=True
)
app.add_typer(users_app, name="users")

#: The API's bounds on a password (`access_schemas.Password`).
MIN_PASSWORD = 8
MAX_PASSWORD = 1000

Name = Annotated[str, typer.Argument(help="The user's sign-in name.", show_default=False)]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input (asked for, "
        "unechoed, on a terminal).",
    ),
]


# --- commands ------------------------------------------------------------------


@users_app.command("add")
def add(
    name: Name,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an admin.")] = False,
    password_stdin: PasswordStdin = False,
    display_name: Annotated[
        str | None,
        typer.Option(
            help="The name shown in history and the web UI (default: NAME).", metavar="TEXT"
        ),
    ] = None,
    json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Add a user with a first API token, printed once on standard output.

    With --password-stdin the user can also sign in to the web UI.
    """
    try:
        name = directory_rules.user_name(name)
        if display_name is not None:
            display_name = directory_rules.display_name(display_name)
        password = _read_password(confirm=False) if password_stdin else None
        directory = _directory(data_dir)
        hashing = passwords(_settings(data_dir))
        password_hash = hashing.hash(password) if password is not None else None
        token = credentials.mint_token()
        command_id = str(uuid.uuid4())
        user_id = derived_id(command_id, "user")
        command = cmd.AddUser(
            user_id,
            name,
            display_name or "",
            admin,
            password_hash,
            token.token_id,
            token.token_hash,
        )
        _dispatch(data_dir, directory, directory_rules.add_user, command, command_id)
    except KanbanError as exc:
        raise _fail(exc) from exc
    shown = display_name or name
    if json:
        _print_json(
            {
                "user_id": user_id,
                "name": name,
                "display_name": shown,
                "admin": admin,
                "has_password": password_hash is not None,
                "token_id": token.token_id,
                "token": token.plain,
            }
        )
    else:
        _say(
            f"added user {name} ({user_id}){' as an admin' if admin else ''}; its API token "
            f"{token.token_id} is on standard output and is shown only this once"
        )
        _print_secret(token.plain)


@users_app.command("list")
def list_users(json: Json = False, data_dir: DataDir = None) -> None:
    """List every user (the built-in admin too), without any hash."""
    try:
        directory, _issued = _existing_directory(data_dir)
    except KanbanError as exc:
        raise _fail(exc) from exc
    rows = [_user_json(u) for u in _sorted(directory)]
    if json:
        _print_json({"users": rows})
        return
    table = Table(
        Column("user id", no_wrap=True, min_width=36),  # never cut short: scripts need it
        "name",
        "display name",
        "admin",
        "password",
        "api tokens",
    )
    for row in rows:
        table.add_row(
            row["user_id"],
            row["name"],
            row["display_name"],
            "yes" if row["admin"] else "",
            "yes" if row["has_password"] else "",
            str(row["api_tokens"]),
        )
    out.print(table)


@users_app.command("tokens")
def list_tokens(name: Name, json: Json = False, data_dir: DataDir = None) -> None:
    """List a user's API tokens and web sessions (ids and labels, never secrets)."""
    try:
        directory, issued = _existing_directory(data_dir)
        user = _user(directory, name)
    except KanbanError as exc:
        raise _fail(exc) from exc
    rows: list[dict[str, Any]] = [
        {
            "token_id": t.id,
            "kind": t.kind,
            "label": t.label,
            "created_at": issued.get(t.id),
            "expires_at": t.expires_at,
            "revoked": t.revoked,
        }
        for t in user.tokens.values()
    ]
    if json:
        _print_json({"user_id": user.id, "name": user.name, "tokens": rows})
        return
    table = Table(
        Column("token id", no_wrap=True, min_width=16),  # what `revoke` takes
        "kind",
        "label",
        "created (UTC)",
        "expires (UTC)",
        "revoked",
    )
    for t in user.tokens.values():
        table.add_row(
            t.id,
            t.kind,
            t.label,
            issued.get(t.id, ""),
            t.expires_at or "",
            "revoked" if t.revoked else "",
        )
    out.print(table)


@users_app.command("passwd")
def passwd(name: Name, password_stdin: PasswordStdin = False, data_dir: DataDir = None) -> None:
    """Set or change a user's web sign-in password (asked for twice on a terminal)."""
    try:
        if not password_stdin and not sys.stdin.isatty():
            raise ValidationFailed("give --password-stdin to read the password from standard input")
        directory = _directory(data_dir)
        user = _user(directory, name)
        password = _read_password(confirm=not password_stdin)
        password_hash = passwords(_settings(data_dir)).hash(password)
        command = cmd.UpdateUser(user.id, password_hash=password_hash)
        _dispatch(data_dir, directory, directory_rules.update_user, command)
    except KanbanError as exc:
        raise _fail(exc) from exc
    _say(f"changed the password of {user.name}", stdout=True)


@users_app.command("token")
def token(
    name: Name,
    label: Annotated[
        str, typer.Option(help="What the token is for (shown in token lists).", metavar="TEXT")
    ] = "",
    json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Issue another API token for a user, printed once on standard output."""
    try:
        directory = _directory(data_dir)
        user = _user(directory, name)
        minted = credentials.mint_token()
        command = cmd.IssueToken(user.id, minted.token_id, minted.token_hash, "api", label)
        _dispatch(data_dir, directory, directory_rules.issue_token, command)
    except KanbanError as exc:
        raise _fail(exc) from exc
    if json:
        _print_json(
            {
                "user_id": user.id,
                "name": user.name,
                "token_id": minted.token_id,
                "label": label.strip(),
                "token": minted.plain,
            }
        )
    else:
        _say(
            f"issued token {minted.token_id} for {user.name}; it is on standard output "
            "and is shown only this once"
        )
        _print_secret(minted.plain)


@users_app.command("revoke")
def revoke(
    name: Name,
    token_id: Annotated[
        str, typer.Argument(help="The token's id (see `kanban users tokens NAME`).")
    ],
    data_dir: DataDir = None,
) -> None:
    """Revoke one of a user's tokens or sessions: it stops working at once."""
    try:
        directory = _directory(data_dir)
        user = _user(directory, name)
        command = cmd.RevokeToken(user.id, token_id)
        appended = _dispatch(data_dir, directory, directory_rules.revoke_token, command)
    except KanbanError as exc:
        raise _fail(exc) from exc
    what = f"token {token_id} of {user.name}"
    _say(f"revoked {what}" if appended else f"{what} was already revoked", stdout=True)


# --- helpers -------------------------------------------------------------------


def _dispatch(
    data_dir: Path | None,
    directory: Directory,
    decide: Callable[[Directory, Any, str, bool], list[Any]],
    command: cmd.Command,
    command_id: str | None = None,
) -> int:
    """Send the command as the built-in admin; return how many events it appended.

    The decision is first taken against the directory as read, so that bad input
    fails before a data dir is created or a writer is started; the writer then
    decides again against the log's tail, which is what counts.
    """
    decide(directory, command, ADMIN_ID, True)
    ctx = cmd.CommandContext(actor=ADMIN_ID, command_id=command_id or str(uuid.uuid4()), admin=True)
    # Like `kanban demo`: a writer of its own beside any running `kanban serve`
    # (SQLite serializes them), and the read models brought up to date on close.
    with _open(data_dir) as kanban:
        return kanban.commands.dispatch(command, ctx).appended


def _directory(data_dir: Path | None) -> Directory:
    """The users as the log holds them (only the built-in admin before there is a log)."""
    if not _settings(data_dir).log_path.exists():
        return Directory()
    return _fold(data_dir)[0]


def _existing_directory(data_dir: Path | None) -> tuple[Directory, dict[str, str]]:
    settings = _settings(data_dir)
    if not settings.log_path.exists():
        err.print(f"[red]error:[/red] no event log at {settings.log_path}", highlight=False)
        raise typer.Exit(2)
    return _fold(data_dir)


def _fold(data_dir: Path | None) -> tuple[Directory, dict[str, str]]:
    """The directory, and when each token was issued (token id -> UTC time)."""
    with _log(data_dir) as store:
        records = EventMapper().decode_all(store.read_stream(SYSTEM_STREAM))
    issued = {
        r.event.token_id: _when(r.recorded_at) for r in records if isinstance(r.event, TokenIssued)
    }
    return Directory.fold(records), issued


def _when(at: datetime | None) -> str:
    return format_time(at) if at is not None else ""


def _user(directory: Directory, name: str) -> User:
    user = directory.by_name(name.strip())
    if user is None:
        raise UserNotFound(f"no user is named {name!r}")
    return user


def _sorted(directory: Directory) -> list[User]:
    users = directory.users.values()
    return sorted(users, key=lambda u: (u.id != ADMIN_ID, u.name.casefold()))


def _user_json(user: User) -> dict[str, Any]:
    return {
        "user_id": user.id,
        "name": user.name,
        "display_name": user.display_name,
        "admin": user.admin,
        "has_password": user.password_hash is not None,
        "api_tokens": sum(1 for t in user.tokens.values() if t.kind == "api" and not t.revoked),
    }


def _read_password(confirm: bool) -> str:
    """One line of standard input, or an unechoed prompt on a terminal."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ", stream=sys.stderr)
        if confirm and getpass.getpass("Again: ", stream=sys.stderr) != password:
            raise ValidationFailed("the two passwords differ")
    else:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    if not password:
        raise ValidationFailed("the password is empty")
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed(f"a password has at most {MAX_PASSWORD} characters")
    return password


def _print_secret(secret: str) -> None:
    sys.stdout.write(secret + "\n")
    sys.stdout.flush()


def _print_json(body: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(body).decode() + "\n")
    sys.stdout.flush()


def _say(message: str, stdout: bool = False) -> None:
    (out if stdout else err).print(message, markup=False, highlight=False)
