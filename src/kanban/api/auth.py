"""Who is calling: the admin token, API tokens, and web sessions.

The admin token (KANBAN_ADMIN_TOKEN, or generated once into the data dir)
signs in as the built-in user `admin`. Every other token or session is
checked against the access read model, which the log feeds: a revocation is
an event, and once it is projected the token stops working, on open live
streams too (they re-check on every event).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from kanban.domain.errors import Unauthenticated
from kanban.domain.users import ADMIN_ID
from kanban.projections.reads import AccessReads
from kanban.projections.rows import UserRow
from kanban.service import credentials
from kanban.service.admin_token import AdminToken as AdminToken
from kanban.store.codec import format_time

SESSION_COOKIE = "kanban_session"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    user_id: str
    name: str
    display_name: str
    admin: bool
    #: The token or session that authenticated the call (None: the admin token).
    token_id: str | None = None
    #: "admin-token", "api" (a bearer token) or "session" (the web cookie).
    via: str = "api"

    @classmethod
    def of(cls, user: UserRow, token_id: str | None, via: str) -> Principal:
        return cls(user.user_id, user.name, user.display_name, user.admin, token_id, via)


#: Cached answers kept at most (the cache starts over beyond it).
CACHE_SIZE = 10_000


class Authenticator:
    """Turns a presented token into a Principal, or refuses it; says who holds which role.

    Answers are cached for one generation of access: any change to users,
    tokens or members (a revocation or a removal too, from any process) moves
    it on, so no cached answer outlives a change, while the boards' own writes
    leave it: a board watched by many while others work on it is where it pays.
    """

    def __init__(
        self, admin_token: AdminToken, access: AccessReads, clock: Callable[[], datetime]
    ) -> None:
        self.admin_token = admin_token
        self.access = access
        self.clock = clock
        self._principals: dict[tuple[str, str], tuple[Hashable, Principal, str | None]] = {}
        self._roles: dict[tuple[str, str], tuple[Hashable, str | None]] = {}

    def authenticate(self, presented: str, via: str) -> Principal:
        generation = self.access.access_generation()
        hit = self._principals.get((via, presented))
        if hit is not None and hit[0] == generation:
            expires_at = hit[2]
            if expires_at is None or expires_at > format_time(self.clock()):
                return hit[1]
        who, expires_at = self._authenticate(presented, via)
        if len(self._principals) >= CACHE_SIZE:
            self._principals.clear()
        self._principals[(via, presented)] = (generation, who, expires_at)
        return who

    def role(self, board_id: str, user_id: str) -> str | None:
        """The user's role on the board (None: not a member)."""
        generation = self.access.access_generation()
        hit = self._roles.get((board_id, user_id))
        if hit is not None and hit[0] == generation:
            return hit[1]
        role = self.access.role(board_id, user_id)
        if len(self._roles) >= CACHE_SIZE:
            self._roles.clear()
        self._roles[(board_id, user_id)] = (generation, role)
        return role

    def _authenticate(self, presented: str, via: str) -> tuple[Principal, str | None]:
        if via == "api" and self.admin_token.matches(presented):
            admin = self.access.user(ADMIN_ID)
            display = admin.display_name if admin else "Administrator"
            return Principal(ADMIN_ID, "admin", display, True, None, "admin-token"), None
        parts = credentials.split_token(presented)
        token = self.access.token(parts[0]) if parts else None
        secret = parts[1] if parts else presented
        # Hash and compare even for an unknown id: a miss costs what a hit costs.
        matches = credentials.secret_matches(secret, token.token_hash if token else None)
        if token is None or not matches or token.kind != via:
            raise Unauthenticated("the token is not valid")
        if token.revoked_at is not None:
            raise Unauthenticated("the token was revoked")
        if token.expires_at is not None and token.expires_at <= format_time(self.clock()):
            raise Unauthenticated("the session has expired; sign in again")
        user = self.access.user(token.user_id)
        if user is None:
            raise Unauthenticated("the token's user does not exist")
        return Principal.of(user, token.token_id, via), token.expires_at

    def still_valid(self, who: Principal) -> bool:
        """Whether the credentials behind `who` still work (for long-lived streams)."""
        if who.token_id is None:
            return True
        token = self.access.token(who.token_id)
        if token is None or token.revoked_at is not None:
            return False
        return token.expires_at is None or token.expires_at > format_time(self.clock())
