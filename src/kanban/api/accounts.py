"""Users as the API shows them: found or a 404, as public bodies, managed by whom."""

from __future__ import annotations

from kanban.api import access_schemas as s
from kanban.api.auth import Principal
from kanban.api.deps import Runtime
from kanban.domain.errors import Forbidden, UserNotFound
from kanban.projections.rows import UserRow


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


def self_or_admin(who: Principal, user_id: str) -> None:
    if not who.admin and who.user_id != user_id:
        raise Forbidden("a user manages only their own account; an admin manages anyone's")
