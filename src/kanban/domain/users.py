"""The directory of users and their tokens: the fold of the system stream.

Like a board, the directory changes only by applying events, and each command
is decided against it before anything is recorded. It holds hashes, never
secrets: hashing happens before a command is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kanban.domain import commands as cmd
from kanban.domain import events as ev
from kanban.domain.errors import (
    AlreadyExists,
    CorruptStream,
    Forbidden,
    TokenNotFound,
    UserNotFound,
    ValidationFailed,
)
from kanban.domain.model import RecordedEvent

#: The built-in administrator that KANBAN_ADMIN_TOKEN signs in as.
ADMIN_ID = "admin"
TOKEN_KINDS = ("api", "session")
MAX_DISPLAY_NAME = 100
MAX_LABEL = 100
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


@dataclass(slots=True)
class Token:
    id: str
    kind: str
    label: str
    token_hash: str
    expires_at: str | None = None
    revoked: bool = False


@dataclass(slots=True)
class User:
    id: str
    name: str
    display_name: str
    admin: bool = False
    password_hash: str | None = None
    tokens: dict[str, Token] = field(default_factory=dict)


class Directory:
    """Every user and token, as the system stream says."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {ADMIN_ID: User(ADMIN_ID, "admin", "Administrator", True)}
        self._by_name: dict[str, str] = {"admin": ADMIN_ID}
        self.version = 0
        self.seq = 0

    @classmethod
    def fold(
        cls, records: Iterable[RecordedEvent], directory: Directory | None = None
    ) -> Directory:
        directory = directory or cls()
        for record in records:
            directory.apply(record)
        return directory

    def apply(self, record: RecordedEvent) -> None:
        if record.version != self.version + 1:
            raise CorruptStream(f"system stream: version {record.version} follows {self.version}")
        try:
            self._mutate(record.event)
        except (KeyError, ValueError) as exc:
            raise CorruptStream(
                f"system stream: {record.event.type_name} does not fit ({exc!r})"
            ) from exc
        self.version, self.seq = record.version, record.seq

    def _mutate(self, event: ev.Event) -> None:
        match event:
            case ev.UserAdded():
                if event.user_id in self.users or event.name.casefold() in self._by_name:
                    raise ValueError(f"user {event.user_id} ({event.name}) already exists")
                self.users[event.user_id] = User(
                    event.user_id, event.name, event.display_name, event.admin, event.password_hash
                )
                self._by_name[event.name.casefold()] = event.user_id
            case ev.UserUpdated():
                user = self.users[event.user_id]
                if event.display_name is not None:
                    user.display_name = event.display_name
                if event.admin is not None:
                    user.admin = event.admin
            case ev.PasswordChanged():
                self.users[event.user_id].password_hash = event.password_hash
            case ev.TokenIssued():
                user = self.users[event.user_id]
                user.tokens[event.token_id] = Token(
                    event.token_id, event.kind, event.label, event.token_hash, event.expires_at
                )
            case ev.TokenRevoked():
                self.users[event.user_id].tokens[event.token_id].revoked = True
            case _:
                raise ValueError(f"the directory cannot apply {event.type_name}")

    def user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    def by_name(self, name: str) -> User | None:
        user_id = self._by_name.get(name.casefold())
        return self.users[user_id] if user_id else None

    def name_of(self, user_id: str) -> str:
        user = self.users.get(user_id)
        return user.name if user else user_id


# --- decisions ------------------------------------------------------------------


def add_user(d: Directory, c: cmd.AddUser, actor: str, admin: bool) -> list[ev.Event]:
    _admin_only(admin, "add users")
    name = user_name(c.name)
    if d.by_name(name) is not None:
        raise AlreadyExists(f"the name {name!r} is taken")
    if c.user_id in d.users:
        raise AlreadyExists(f"user {c.user_id} already exists")
    display = display_name(c.display_name or name)
    added: list[ev.Event] = [
        ev.UserAdded(c.user_id, name, display, bool(c.admin), _hash(c.password_hash))
    ]
    if c.token_id is not None:
        token_hash = _hash(c.token_hash)
        if token_hash is None or _token_exists(d, c.token_id):
            raise ValidationFailed("a user's first token needs a new id and its hash")
        added.append(ev.TokenIssued(c.user_id, c.token_id, token_hash, "api", "first token"))
    return added


def update_user(d: Directory, c: cmd.UpdateUser, actor: str, admin: bool) -> list[ev.Event]:
    user = _user(d, c.user_id)
    _self_or_admin(user, actor, admin)
    display: str | None = None
    if c.display_name is not cmd.UNSET:
        wanted = display_name(c.display_name)
        display = wanted if wanted != user.display_name else None
    flag: bool | None = None
    if c.admin is not cmd.UNSET and bool(c.admin) != user.admin:
        _admin_only(admin, "change who is an admin")
        if user.id == ADMIN_ID:
            raise ValidationFailed("the built-in admin stays an admin")
        flag = bool(c.admin)
    out: list[ev.Event] = []
    if display is not None or flag is not None:
        out.append(ev.UserUpdated(user.id, display, flag))
    if c.password_hash is not cmd.UNSET:
        out.append(ev.PasswordChanged(user.id, _hash(c.password_hash)))
    return out


def issue_token(d: Directory, c: cmd.IssueToken, actor: str, admin: bool) -> list[ev.Event]:
    user = _user(d, c.user_id)
    _self_or_admin(user, actor, admin)
    if c.kind not in TOKEN_KINDS:
        raise ValidationFailed(f"token kind must be one of {', '.join(TOKEN_KINDS)}")
    if _token_exists(d, c.token_id):
        raise AlreadyExists(f"token {c.token_id} already exists")
    label = c.label.strip()
    if len(label) > MAX_LABEL:
        raise ValidationFailed(f"a token's label is at most {MAX_LABEL} characters")
    token_hash = _hash(c.token_hash)
    if token_hash is None:
        raise ValidationFailed("a token needs its hash")
    return [ev.TokenIssued(user.id, c.token_id, token_hash, c.kind, label, c.expires_at)]


def revoke_token(d: Directory, c: cmd.RevokeToken, actor: str, admin: bool) -> list[ev.Event]:
    user = _user(d, c.user_id)
    _self_or_admin(user, actor, admin)
    token = user.tokens.get(c.token_id)
    if token is None:
        raise TokenNotFound(f"user {user.name} has no token {c.token_id}")
    return [] if token.revoked else [ev.TokenRevoked(user.id, token.id)]


#: Commands on the system stream and the decision that answers each.
DIRECTORY_DECISIONS: dict[
    type[cmd.Command], Callable[[Directory, Any, str, bool], list[ev.Event]]
] = {
    cmd.AddUser: add_user,
    cmd.UpdateUser: update_user,
    cmd.IssueToken: issue_token,
    cmd.RevokeToken: revoke_token,
}


# --- rules ----------------------------------------------------------------------


def user_name(value: object) -> str:
    """A sign-in name: 1 to 40 letters, digits, dots, dashes or underscores."""
    if not isinstance(value, str) or not _NAME.fullmatch(value.strip()):
        raise ValidationFailed(
            "a user name is 1 to 40 letters, digits, '.', '-' or '_', starting with a "
            "letter or digit"
        )
    return value.strip()


def display_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("display_name must be a non-empty string")
    text = value.strip()
    if len(text) > MAX_DISPLAY_NAME:
        raise ValidationFailed(f"display_name is at most {MAX_DISPLAY_NAME} characters")
    return text


def _hash(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 500:
        raise ValidationFailed("a secret's hash must be a non-empty string")
    return value


def _token_exists(d: Directory, token_id: str) -> bool:
    return any(token_id in u.tokens for u in d.users.values())


def _user(d: Directory, user_id: str) -> User:
    user = d.user(user_id)
    if user is None:
        raise UserNotFound(f"user {user_id} does not exist")
    return user


def _admin_only(admin: bool, what: str) -> None:
    if not admin:
        raise Forbidden(f"only an admin may {what}")


def _self_or_admin(user: User, actor: str, admin: bool) -> None:
    if not admin and user.id != actor:
        raise Forbidden("a user manages only their own account; an admin manages anyone's")
