"""Errors as RFC 9457 problem details, with a stable `type` URI per kind of error.

This is the only place where Kanban's errors become HTTP status codes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kanban.api import headers
from kanban.api.deps import runtime
from kanban.domain import errors

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"

#: Status of each error class; the most specific class listed wins.
STATUS: dict[type[errors.KanbanError], int] = {
    errors.ValidationFailed: 422,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.TooManyAttempts: 429,
    errors.NotFound: 404,
    errors.RuleViolation: 409,
    errors.ConcurrencyError: 412,
    errors.IdempotencyConflict: 422,
    errors.StorageError: 503,
    errors.NotYetProjected: 503,
    errors.BackupInvalid: 422,
    errors.RestoreRefused: 409,
    errors.CorruptStream: 500,
}

#: A NotFound for an id given in the body (not the path) is bad input: 422.
PATH_PARAM = {
    errors.BoardNotFound: "board_id",
    errors.ColumnNotFound: "column_id",
    errors.CardNotFound: "card_id",
    errors.VersionNotFound: "board_id",
    errors.UserNotFound: "user_id",
    errors.TokenNotFound: "token_id",
    errors.MemberNotFound: "user_id",
}

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(
    status: int, kind: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": f"/problems/{kind}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def status_of(exc: errors.KanbanError, path_params: Mapping[str, str]) -> int:
    for cls in type(exc).__mro__:
        if cls in PATH_PARAM and PATH_PARAM[cls] not in path_params:
            return 422
        if cls in STATUS:
            return STATUS[cls]
    return 500


async def kanban_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.KanbanError)
    return error_response(exc, request.path_params)


def error_response(exc: errors.KanbanError, path_params: Mapping[str, str]) -> JSONResponse:
    """The problem details of an error, given the path parameters of the request."""
    status = status_of(exc, path_params)
    extra: dict[str, Any] = {}
    if isinstance(exc, errors.UndoConflict) and exc.later is not None:
        extra["later_change"] = exc.later
    headers = None
    if status == 503:
        headers = {"Retry-After": "1"}
    elif isinstance(exc, errors.TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    elif status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    if status >= 500:
        log.error("%s: %s", type(exc).__name__, exc.message)
    return problem(status, exc.kind, exc.message, headers, **extra)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    denied = await _unauthorized(request)
    if denied is not None:
        return denied
    issues = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    detail = "; ".join(f"{'.'.join(map(str, i['loc']))}: {i['msg']}" for i in issues)
    return problem(422, "validation", detail or "invalid request", errors=issues)


async def _unauthorized(request: Request) -> JSONResponse | None:
    """The 401 for an /api request without a valid token, else None.

    FastAPI parses a JSON body before it resolves dependencies, so a malformed
    body would otherwise be answered (422, with details) before the token is checked.
    """
    if not request.url.path.startswith("/api/") or request.url.path == "/api/v1/session":
        return None
    try:
        rt = await runtime(request)
        headers.caller_of(rt.auth, request.method, headers.of_scope(request.scope))
    except errors.Unauthenticated as exc:
        return await kanban_error(request, exc)
    return None


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI's answer to a body it cannot decode (e.g. not UTF-8): malformed input.
        issue = {"loc": ["body"], "msg": str(exc.detail), "type": "body_unreadable"}
        return await _unauthorized(request) or problem(
            422, "validation", str(exc.detail), errors=[issue]
        )
    kind = {401: "unauthorized", 404: "not-found", 405: "method-not-allowed", 413: "too-large"}
    headers = dict(exc.headers) if exc.headers else None
    return problem(exc.status_code, kind.get(exc.status_code, "http"), str(exc.detail), headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.KanbanError, kanban_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


#: OpenAPI description of a problem response, for every route's `responses`.
PROBLEM_SCHEMA: dict[str, Any] = {
    "content": {
        PROBLEM: {
            "schema": {
                "type": "object",
                "required": ["type", "title", "status", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                },
            }
        }
    }
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"description": TITLES.get(code, "Error"), **PROBLEM_SCHEMA} for code in codes}
