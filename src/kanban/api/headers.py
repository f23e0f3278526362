"""The request headers Kanban acts on, read from the raw ASGI headers in one place.

Who is calling (a bearer token, or the session cookie with its CSRF token on a
change) and on which condition (If-Match). The FastAPI dependencies, the
shortcut in front of the framework and the error handlers all read them
here, so the three cannot come to disagree about a request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from starlette.requests import cookie_parser

from kanban.api.auth import CSRF_HEADER, SESSION_COOKIE, Authenticator, Principal
from kanban.domain.errors import CsrfRejected, Unauthenticated, ValidationFailed
from kanban.service import credentials

Headers = Mapping[bytes, bytes]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CSRF = CSRF_HEADER.lower().encode()
_KEPT = "kanban.headers"
#: What If-Match may be: "*", or a board version as an entity tag (weak or not).
IF_MATCH_PATTERN = r'^(\*|(W/)?"?[0-9]{1,18}"?)$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)


def of(raw: Sequence[tuple[bytes, bytes]]) -> Headers:
    """The scope's header list as a mapping, as Starlette reads it.

    A repeated header counts as its first, except Cookie, whose repeats are
    joined (as HTTP/2 splits it and Starlette reads every one).
    """
    headers = dict(raw)
    if len(headers) == len(raw):
        return headers  # the usual case, and the cheap one
    headers = {}
    for name, value in raw:
        if name not in headers:
            headers[name] = value
        elif name == b"cookie":
            headers[name] += b"; " + value
    return headers


def of_scope(scope: MutableMapping[str, Any]) -> Headers:
    """`of` the request's headers, made once per request and kept in its scope."""
    headers: Headers | None = scope.get(_KEPT)
    if headers is None:
        headers = scope[_KEPT] = of(scope["headers"])
    return headers


def bearer_token(headers: Headers) -> str | None:
    """The token of `Authorization: Bearer <token>` (what FastAPI's HTTPBearer takes)."""
    authorization = headers.get(b"authorization")
    if not authorization:
        return None
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    token = token.strip()
    if not token or scheme.lower() != "bearer":
        return None
    return token


def session_token(headers: Headers) -> str | None:
    """The session cookie's value, parsed as Starlette parses cookies."""
    cookie = headers.get(b"cookie")
    if cookie is None:
        return None
    return cookie_parser(cookie.decode("latin-1")).get(SESSION_COOKIE) or None


def caller(
    auth: Authenticator, method: str, headers: Headers, bearer: str | None, session: str | None
) -> Principal:
    """Who is calling: the bearer token, else the session cookie (with CSRF on changes)."""
    if bearer is not None:
        return auth.authenticate(bearer, "api")
    if session:
        who = auth.authenticate(session, "session")
        presented = headers.get(_CSRF, b"").decode("latin-1")
        if method not in SAFE_METHODS and not credentials.csrf_matches(session, presented):
            raise CsrfRejected(
                f"a change made with the session cookie needs the {CSRF_HEADER} header "
                "from sign-in (GET /api/v1/session)"
            )
        return who
    raise Unauthenticated("sign in, or send a bearer token")


def caller_of(auth: Authenticator, method: str, headers: Headers) -> Principal:
    """`caller`, with the credentials read from the headers."""
    bearer = bearer_token(headers)
    session = session_token(headers) if bearer is None else None  # unread beside a token
    return caller(auth, method, headers, bearer, session)


def expected_version(if_match: str | None) -> int | None:
    """The board version an If-Match asks for (None: any); ValidationFailed if malformed."""
    if if_match is None:
        return None
    match = _IF_MATCH.fullmatch(if_match.strip())
    if match is None:
        raise ValidationFailed(f'If-Match must be a board version such as "12", not {if_match!r}')
    tag = match.group(1)
    return None if tag == "*" else int(tag.removeprefix("W/").strip('"'))
