"""A command route, declared once, and what is made of it: its FastAPI route and its run.

A `CommandRoute` (a row of api/commands.py) names its method and path, who
may call it, the status of a success, and two functions: `build`, which
turns the request into a domain command, and `answer`, which turns the
command's result into the response body. The body schema is the type of
`build`'s `body` parameter (none: the route takes no body), the route's
description its docstring and its name (the operation id) its name; the
response model is `answer`'s return type. `run` is the whole of a command
route's work, for the FastAPI route made by `router` and for the shortcut in
front of the framework (api/shortcut.py) alike, so the two answer alike by
construction.
"""

from __future__ import annotations

import functools
import inspect
import re
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from kanban.api.auth import Principal
from kanban.api.deps import AccountCtx, Actor, Admin, Ctx, Runtime, RuntimeDep, dispatch
from kanban.api.problems import responses
from kanban.domain.commands import Command, CommandContext
from kanban.service.credentials import MintedToken

#: Who may call a route, shown in the OpenAPI as x-required-role. The writer checks it
#: (tests hold each row to the domain's role and to the permission matrix); "admin"
#: is checked by the route as well, before the body is judged.
Needs = Literal["signed-in", "editor", "owner", "owner-or-self", "admin", "self-or-admin"]
_PARAM = re.compile(r"\{(\w+)\}")
_KW = inspect.Parameter.KEYWORD_ONLY


@dataclass
class Call:
    """What a command route's functions are given besides the body and the path."""

    rt: Runtime
    who: Principal
    ctx: CommandContext
    #: A token `build` minted for the command, for `answer` to show, once.
    token: MintedToken | None = None


@dataclass(frozen=True)
class CommandRoute:
    method: str
    path: str
    build: Callable[..., Command | Awaitable[Command]]
    answer: Callable[..., Any]
    needs: Needs
    status: int = 200
    tag: str = ""
    #: Whether If-Match applies: a board command's does, an account's has no version.
    if_match: bool = True
    name: str = field(init=False)
    params: tuple[str, ...] = field(init=False)
    body: type[BaseModel] | None = field(init=False)
    body_required: bool = field(init=False)
    response_model: type[BaseModel] | None = field(init=False)
    #: Whether the shortcut may answer it: nothing to await beyond the dispatch, and
    #: no role for the route itself to check.
    shortcut: bool = field(init=False)
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(self.build)
        body, required = _model(hints.get("body"))
        returned = typing.get_type_hints(self.answer).get("return")
        awaits = inspect.iscoroutinefunction(self.build) or inspect.iscoroutinefunction(self.answer)
        regex = _PARAM.sub(r"(?P<\1>[^/]+)", self.path)  # paths hold no other metacharacters
        derived = {
            "name": self.build.__name__,
            "params": tuple(_PARAM.findall(self.path)),
            "body": body,
            "body_required": required,
            "response_model": returned if _is_model(returned) else None,
            "shortcut": not awaits and self.needs != "admin",
            "pattern": re.compile(regex),  # to fullmatch
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    async def run(self, call: Call, body: BaseModel | None, path: Mapping[str, str]) -> Any:
        """Build the command, hand it to the writer, shape the answer."""
        built = self.build(call, **path) if self.body is None else self.build(call, body, **path)
        # Type checks: cheaper than inspect.isawaitable, and this runs for every command.
        command = built if isinstance(built, Command) else await built
        result = await dispatch(call.rt, command, call.ctx)
        answer = self.answer(call, result, command)
        return await answer if inspect.iscoroutine(answer) else answer

    def endpoint(self) -> Callable[..., Awaitable[Any]]:
        """The FastAPI endpoint: its signature declares the path, body and dependencies."""

        async def endpoint(**values: Any) -> Any:
            call = Call(values.pop("rt"), values.pop("who"), values.pop("ctx"))
            return await self.run(call, values.pop("body", None), values)

        params = [inspect.Parameter(name, _KW, annotation=str) for name in self.params]
        if self.body is not None:
            default = inspect.Parameter.empty if self.body_required else None
            annotation = self.body if self.body_required else self.body | None
            params.append(inspect.Parameter("body", _KW, annotation=annotation, default=default))
        params += [
            inspect.Parameter("rt", _KW, annotation=RuntimeDep),
            inspect.Parameter("ctx", _KW, annotation=Ctx if self.if_match else AccountCtx),
            inspect.Parameter("who", _KW, annotation=Admin if self.needs == "admin" else Actor),
        ]
        endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        endpoint.__name__ = endpoint.__qualname__ = self.name
        endpoint.__doc__ = self.build.__doc__
        return endpoint


@functools.cache
def router(table: tuple[CommandRoute, ...], tag: str) -> APIRouter:
    """The FastAPI routes of the table's rows of one tag.

    Built once per process, as the routers' own routes are at import: building a
    route's parameters and models is the larger part of making an app, and no
    route holds anything of one app (each request finds its runtime in its app).
    """
    made = APIRouter(tags=[tag])
    for route in table:
        if route.tag != tag:
            continue
        problems = (401, 403, 404, 409, *((412,) if route.if_match else ()), 413, 422, 503)
        made.add_api_route(
            route.path,
            route.endpoint(),
            methods=[route.method],
            status_code=route.status,
            response_model=route.response_model,
            responses=responses(*problems),
            name=route.name,
            openapi_extra={"x-required-role": route.needs},
        )
    return made


def _model(hint: Any) -> tuple[type[BaseModel] | None, bool]:
    """The body model a `body` parameter names, and whether the body is required."""
    if hint is None:
        return None, False
    if isinstance(hint, types.UnionType):
        (model,) = (a for a in typing.get_args(hint) if a is not type(None))
        return model, False
    return hint, True


def _is_model(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, BaseModel)
