"""Bodies of the users, tokens, session and members routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from kanban.api.schemas import Id, Strict, Unset
from kanban.domain.users import MAX_DISPLAY_NAME, MAX_LABEL

UserName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_DISPLAY_NAME)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=1000)]
RoleName = Literal["viewer", "editor", "owner"]


class UserCreate(Strict):
    name: UserName
    display_name: DisplayName | None = None
    password: Password | None = Field(
        None, description="Lets the user sign in to the web UI (at least 8 characters)."
    )
    admin: bool = False


class UserUpdate(Strict):
    display_name: DisplayName | Unset = None
    password: Password | None = Field(
        None, description="A new password; null removes it (no web sign-in)."
    )
    current_password: Annotated[str, StringConstraints(max_length=1000)] | Unset = Field(
        None, description="Your present password, needed to change your own."
    )
    admin: bool | Unset = None


class UserPublic(BaseModel):
    user_id: str
    name: str
    display_name: str
    admin: bool
    has_password: bool


class UserCreated(UserPublic):
    token: str = Field(description="The user's first API token. It is shown only this once.")


class UserListPublic(BaseModel):
    users: list[UserPublic]


class TokenCreate(Strict):
    label: Annotated[str, StringConstraints(max_length=MAX_LABEL)] = ""


class TokenPublic(BaseModel):
    token_id: str
    kind: Literal["api", "session"]
    label: str
    created_at: str
    expires_at: str | None
    revoked: bool
    revoked_at: str | None
    current: bool = Field(description="True for the token or session making this request.")


class TokenCreated(BaseModel):
    token_id: str
    token: str = Field(description="The token. It is shown only this once.")
    label: str
    created_at: str


class TokenListPublic(BaseModel):
    tokens: list[TokenPublic]


class SessionCreate(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class SessionPublic(BaseModel):
    user: UserPublic
    csrf_token: str | None = Field(
        description="Send it as X-CSRF-Token with every change made with the session "
        "cookie (null when signed in with a bearer token)."
    )
    expires_at: str | None


class MemberCreate(Strict):
    user_id: Id
    role: RoleName


class MemberPublic(BaseModel):
    user_id: str
    name: str
    display_name: str
    role: RoleName


class MemberListPublic(BaseModel):
    members: list[MemberPublic]
