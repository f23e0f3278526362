"""Secrets in, hashes out: passwords (argon2id), tokens (SHA-256), and CSRF tokens.

A token is `kanban_<token id>_<secret>`: the id finds its record, and the
secret's hash is compared in constant time. Tokens carry 256 random bits, so a
fast hash suffices for them; passwords are chosen by people and get argon2id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PREFIX = "kanban_"
_ID_HEX = 16


class Passwords:
    """argon2id at the cost the settings choose: time (passes) and memory per hash.

    A hash records its own cost, so hashes made at another cost still verify.
    """

    def __init__(self, time_cost: int = 3, memory_kib: int = 64 * 1024) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def matches(self, password: str, stored_hash: str | None) -> bool:
        if stored_hash is None and self._dummy is None:
            # Verified against when a name is unknown, so that a miss costs what a hit costs.
            self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        try:
            verified = self._hasher.verify(stored_hash or self._dummy or "", password)
        except (VerificationError, InvalidHashError):
            return False
        return verified and stored_hash is not None


@dataclass(frozen=True, slots=True)
class MintedToken:
    token_id: str
    #: The whole token, shown once to its owner and never stored.
    plain: str
    token_hash: str


def mint_token() -> MintedToken:
    token_id = secrets.token_hex(_ID_HEX // 2)
    secret = secrets.token_urlsafe(32)
    return MintedToken(token_id, f"{PREFIX}{token_id}_{secret}", hash_secret(secret))


def split_token(plain: str) -> tuple[str, str] | None:
    """The token's id and secret, or None when it is not shaped like one of ours."""
    if not plain.startswith(PREFIX):
        return None
    token_id, sep, secret = plain[len(PREFIX) :].partition("_")
    if len(token_id) != _ID_HEX or not sep or not secret:
        return None
    return token_id, secret


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str | None) -> bool:
    # Constant time: a comparison must not tell how much of a guess was right.
    expected = stored_hash or "0" * 64
    return hmac.compare_digest(hash_secret(secret), expected) and stored_hash is not None


def csrf_token(session_token: str) -> str:
    """The CSRF token that goes with a session: derived, so nothing more is stored."""
    return hmac.new(session_token.encode(), b"kanban-csrf", hashlib.sha256).hexdigest()[:32]


def csrf_matches(session_token: str, presented: str) -> bool:
    return hmac.compare_digest(csrf_token(session_token), presented)
