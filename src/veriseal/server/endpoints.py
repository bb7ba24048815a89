"""JSON routes declared once: access rule, typed input, handler, documentation.

Every route of the JSON API (the core's and the plugins') is an :class:`Endpoint`. Its
handler states its input in its signature::

    async def create(call: Call, body: TokenCreate) -> dict[str, Any]: ...

    ROUTES = [Endpoint("POST", "/api/v1/tokens", create, Gate.CREDENTIALS, status=201,
                       summary="Create an API token")]

Parameters named ``path``, ``query`` and ``body`` are filled with the request's path
parameters, query string and JSON body decoded into the annotated models (see
:mod:`veriseal.server.inputs`); a request that does not fit is a 400 before the
handler runs. :func:`mount` adds endpoints to an app and to the app's list from which
``/openapi.json`` is generated, so a route cannot be served undocumented.

Access (``access``) is checked before the body is read:

- :attr:`Gate.PUBLIC`: no sign-in (registration, login, verify);
- an :class:`~veriseal.accounts.permissions.Action`: a signed-in caller whose token
  scopes include that action (a session or ``*`` token holds every scope). The role
  and the target (brand, dealer subtree, owner) are checked by the service;
- :attr:`Gate.CALLER`: any signed-in caller whatever its scopes (who am I, sign out);
- :attr:`Gate.CREDENTIALS`: credential management (passwords, passkeys, tokens,
  contacts). Only an unscoped sign-in may do it: a scoped token (a handheld's) must
  never mint itself more power.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiohttp import web

from veriseal.accounts.errors import OutOfScope
from veriseal.accounts.models import Principal
from veriseal.accounts.permissions import Action, require_full_sign_in
from veriseal.engine import Engine
from veriseal.server import inputs
from veriseal.server.auth import bearer, client


class Gate(StrEnum):
    PUBLIC = "public"
    CALLER = "caller"
    CREDENTIALS = "credentials"


Access = Action | Gate


@dataclass(frozen=True)
class Call:
    """One request as a handler sees it."""

    request: web.Request
    engine: Engine
    principal: Principal | None

    @property
    def who(self) -> Principal:
        """The signed-in caller (routes that are not public always have one)."""
        assert self.principal is not None, "a public route asked for its caller"
        return self.principal

    @property
    def client(self) -> str:
        return client(self.request)

    @property
    def user_agent(self) -> str:
        return self.request.headers.get("User-Agent", "")[:200]


Handler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Endpoint:
    """One JSON route. ``response`` is the JSON schema of a success (documentation);
    ``raw_body`` routes read the body themselves (uploads, CSV) and name its media type."""

    method: str
    path: str
    handler: Handler
    access: Access
    summary: str
    status: int = 200
    tag: str = "api"
    response: dict[str, Any] | None = None
    raw_body: str | None = None
    description: str = ""
    models: dict[str, type[Any]] = field(default_factory=dict, init=False, compare=False)

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(self.handler)
        params = list(inspect.signature(self.handler).parameters)
        if not params or params[0] != "call":
            raise TypeError(f"{self.handler.__qualname__}: the first parameter is 'call'")
        for name in params[1:]:
            if name not in ("path", "query", "body") or name not in hints:
                raise TypeError(f"{self.handler.__qualname__}: unexpected parameter {name}")
            self.models[name] = hints[name]
        if self.raw_body and "body" in self.models:
            raise TypeError(f"{self.handler.__qualname__}: a raw body has no model")

    @property
    def aiohttp_path(self) -> str:
        return self.path


ENDPOINTS: web.AppKey[list[Endpoint]] = web.AppKey("endpoints", list[Endpoint])
ENGINE_KEY: web.AppKey[Engine] = web.AppKey("endpoint_engine", Engine)


async def _caller(request: web.Request, engine: Engine, access: Access) -> Principal | None:
    if access is Gate.PUBLIC:
        return None
    who = await engine.accounts.authenticate(bearer(request), client(request))
    if access is Gate.CALLER or who.scopes is None:
        return who
    if access is Gate.CREDENTIALS:
        require_full_sign_in(who)
    if str(access) not in who.scopes:
        raise OutOfScope(f"this token's scopes do not include {access}", needs_scope=str(access))
    return who


def _bind(endpoint: Endpoint, engine_key: web.AppKey[Engine]) -> Callable[..., Any]:
    models = endpoint.models

    async def route(request: web.Request) -> web.StreamResponse:
        engine = request.app[engine_key]
        who = await _caller(request, engine, endpoint.access)
        kwargs: dict[str, Any] = {}
        if "path" in models:
            kwargs["path"] = inputs.convert_path(request.match_info, models["path"])
        if "query" in models:
            kwargs["query"] = inputs.convert_query(request.query, models["query"])
        if "body" in models:
            kwargs["body"] = inputs.decode_body(await request.read(), models["body"])
        result = await endpoint.handler(Call(request, engine, who), **kwargs)
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response(result, status=endpoint.status)

    route.__name__ = endpoint.handler.__name__
    return route


def mount(
    app: web.Application, endpoints: Sequence[Endpoint], engine_key: web.AppKey[Engine]
) -> None:
    """Serve ``endpoints`` on ``app`` (the engine is found under ``engine_key``) and list
    them for the OpenAPI document."""
    if ENDPOINTS not in app:
        app[ENDPOINTS] = []
    for e in endpoints:
        app.router.add_route(e.method, e.aiohttp_path, _bind(e, engine_key))
        app[ENDPOINTS].append(e)
