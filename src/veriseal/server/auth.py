"""Request plumbing for the authenticated JSON API: who is calling, and their JSON.

``principal(request)`` reads ``Authorization: Bearer vst_...`` (an API token or a
session token from ``/api/v1/auth/login``) and returns the :class:`Principal` the
services check permissions against. The routes never decide what a role may do; they
pass the principal on.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from aiohttp import web

from veriseal.accounts.errors import Unauthenticated
from veriseal.accounts.models import Principal
from veriseal.engine import Engine
from veriseal.errors import InvalidInput
from veriseal.server.client_ip import client_network


def client(request: web.Request) -> str:
    """The client address sign-in limits and audit rows are keyed by: the peer, or the
    address a trusted proxy forwarded (``[server] trusted_proxies``, see client_ip)."""
    return client_network(request).client_address(request) or request.remote or "unknown"


def bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("send Authorization: Bearer <token>")
    return value.strip()


async def principal(request: web.Request, engine: Engine) -> Principal:
    """The authenticated caller (``unauthenticated`` 401 otherwise)."""
    return await engine.accounts.authenticate(bearer(request), client(request))


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object; ``invalid_input`` (400) for anything else."""
    try:
        body = await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    return body


def field(body: dict[str, Any], name: str, kind: type, required: bool = True) -> Any:
    """``body[name]`` checked to be of ``kind`` (``invalid_input`` names the field)."""
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"field {name!r} is required")
        return None
    if kind is int and isinstance(value, bool):
        raise InvalidInput(f"field {name!r} must be an integer")
    if not isinstance(value, kind):
        raise InvalidInput(f"field {name!r} must be {kind.__name__}")
    return value


def base64_field(body: dict[str, Any], name: str) -> bytes:
    return decode_base64(field(body, name, str), name)


def decode_base64(text: str, name: str) -> bytes:
    """Standard base64 (``invalid_input`` naming the field otherwise)."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"field {name!r} must be base64") from None


def int_param(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except (KeyError, ValueError):
        raise InvalidInput(f"{name} must be an integer") from None


def optional_int_query(request: web.Request, name: str) -> int | None:
    text = request.query.get(name)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"query parameter {name!r} must be an integer") from None


def time_query(request: web.Request, name: str) -> dt.datetime | None:
    """An ISO 8601 time in the query (a time without an offset is UTC), or None."""
    text = request.query.get(name)
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO 8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
