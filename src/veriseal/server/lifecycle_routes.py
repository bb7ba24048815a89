"""Line-controller API: activate and decommission labels from the factory line.

- ``POST /api/v1/batches/{batch}/activate``: body ``{"from": I, "to": J}`` or
  ``{"ranges": ["0-99", "250"]}``, optional ``read_point`` / ``biz_location`` (URI or
  GLN) and ``event_time`` (ISO 8601 with offset). Answers the counts and the event id.
- ``POST /api/v1/batches/{batch}/decommission``: the same, plus ``reason`` (required)
  and ``destroyed`` (bool).

AUTHENTICATION SEAM: API tokens arrive with the accounts work. Until then
:func:`line_controller` admits only callers on the loopback interface (a controller on
the same host, or one reached through an SSH tunnel) and refuses everyone else with
``line_api_forbidden``; it does NOT pretend to authenticate. Replace its body with the
token check, keeping its contract: return the actor name recorded with the event, or
raise a coded error.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

from aiohttp import web

from veriseal.activation import StateChange
from veriseal.engine import Engine
from veriseal.errors import InvalidInput, VerisealError
from veriseal.events import Where
from veriseal.i18n import register
from veriseal.index_ranges import IndexRange, make, parse


class LineApiForbidden(VerisealError):
    """The caller may not use the line-controller API (see the module docstring)."""

    code = "line_api_forbidden"
    http_status = 403
    exit_code = 5


register({"error.line_api_forbidden": ("Line API not allowed here", "无权使用产线接口")})


def line_controller(request: web.Request) -> str:
    """The actor name of an allowed line controller, else ``LineApiForbidden``.

    SEAM: loopback only until API tokens exist (accounts). Not authentication.
    """
    remote = request.remote or ""
    try:
        loopback = ipaddress.ip_address(remote.split("%")[0]).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise LineApiForbidden(
            "the line-controller API is open to loopback callers only until API tokens"
            " are available"
        )
    return f"line:{remote}"


def _ranges(body: dict[str, Any]) -> list[IndexRange]:
    if "ranges" in body:
        items = body["ranges"]
        if not isinstance(items, list) or not all(isinstance(x, (str, int)) for x in items):
            raise InvalidInput("'ranges' is a list of \"I-J\" strings or indexes")
        return [parse(str(x)) for x in items]
    first, last = body.get("from"), body.get("to")
    if type(first) is not int or type(last) is not int:  # not bool either
        raise InvalidInput("give 'from' and 'to' (integers) or 'ranges'")
    return [make(first, last)]


def _reason(value: object) -> str:
    if value is not None and not isinstance(value, str):
        raise InvalidInput("'reason' is text")
    return value or ""


def _when(body: dict[str, Any]) -> dt.datetime | None:
    raw = body.get("event_time")
    if raw is None:
        return None
    try:
        when = dt.datetime.fromisoformat(str(raw))
    except ValueError:
        raise InvalidInput("'event_time' must be ISO 8601 with an offset") from None
    if when.tzinfo is None:
        raise InvalidInput("'event_time' needs a UTC offset")
    return when


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise InvalidInput("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    return body


def _answer(change: StateChange) -> web.Response:
    return web.json_response(
        {
            "batch": change.batch_id,
            "event_id": change.event_id,
            "changed": change.changed,
            "already": change.already,
            "skipped_decommissioned": change.skipped,
        }
    )


def _batch_id(request: web.Request) -> int:
    text = request.match_info["batch"]
    if not text.isdigit() or len(text) > 18:
        raise InvalidInput(f"batch {text[:30]!r}: give its number")
    return int(text)


async def _activate(engine: Engine, request: web.Request) -> web.Response:
    actor = line_controller(request)
    body = await _body(request)
    batch = await engine.ledger.get_batch(_batch_id(request))
    where = Where.parse(body.get("read_point"), body.get("biz_location"), actor)
    change = await engine.lifecycle.activation.activate(batch, _ranges(body), where, _when(body))
    return _answer(change)


async def _decommission(engine: Engine, request: web.Request) -> web.Response:
    actor = line_controller(request)
    body = await _body(request)
    batch = await engine.ledger.get_batch(_batch_id(request))
    where = Where.parse(body.get("read_point"), body.get("biz_location"), actor)
    change = await engine.lifecycle.activation.decommission(
        batch,
        _ranges(body),
        _reason(body.get("reason")),
        where,
        destroyed=body.get("destroyed") is True,
        at=_when(body),
    )
    return _answer(change)


def register_routes(app: web.Application, engine_key: web.AppKey[Engine]) -> None:
    """Add the line-controller routes; handlers find the engine under ``engine_key``."""

    async def activate(request: web.Request) -> web.Response:
        return await _activate(request.app[engine_key], request)

    async def decommission(request: web.Request) -> web.Response:
        return await _decommission(request.app[engine_key], request)

    app.router.add_post("/api/v1/batches/{batch}/activate", activate)
    app.router.add_post("/api/v1/batches/{batch}/decommission", decommission)
