"""HTTP helpers for plugins' routes: the same caller, body and declaration rules as the
core's routes, and the plugin's context inside a handler.

- :func:`mount_plugin` serves a plugin's :class:`~veriseal.server.endpoints.Endpoint` s
  (access rule, typed input, listed in ``/openapi.json``) and keeps the plugin's context
  on the app, where :func:`plugin_context` finds it from a handler's ``call``;
- :func:`request_principal` and :func:`json_body` are for the rare handler that reads
  the request itself (a raw body).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from veriseal.accounts.models import Principal
from veriseal.engine import Engine
from veriseal.extend.context import PluginContext
from veriseal.server.auth import json_object, principal
from veriseal.server.endpoints import ENGINE_KEY, Call, Endpoint, mount

_CONTEXTS: web.AppKey[dict[str, PluginContext]] = web.AppKey("plugin_contexts", dict)


def mount_plugin(app: web.Application, ctx: PluginContext, endpoints: Sequence[Endpoint]) -> None:
    """Serve ``endpoints`` for the plugin of ``ctx`` (call it from ``register_routes``)."""
    if _CONTEXTS not in app:
        app[_CONTEXTS] = {}
    app[_CONTEXTS][ctx.name] = ctx
    mount(app, endpoints, ENGINE_KEY)  # the core's app keeps its engine under ENGINE_KEY


def plugin_context(call: Call, name: str) -> PluginContext:
    """The context of plugin ``name`` in one of its handlers."""
    return call.request.app[_CONTEXTS][name]


async def request_principal(request: web.Request, engine: Engine) -> Principal:
    """The authenticated caller of ``request`` (``unauthenticated`` 401 otherwise)."""
    return await principal(request, engine)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object (``invalid_input`` 400 otherwise)."""
    return await json_object(request)
