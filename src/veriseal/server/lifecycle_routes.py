"""Line-controller API: activate and decommission labels from the factory line.

- ``POST /api/v1/batches/{batch}/activate``: body ``{"from": I, "to": J}`` or
  ``{"ranges": ["0-99", "250"]}``, optional ``read_point`` / ``biz_location`` (URI or
  GLN) and ``event_time`` (ISO 8601 with offset). Answers the counts and the event id.
- ``POST /api/v1/batches/{batch}/decommission``: the same, plus ``reason`` (required)
  and ``destroyed`` (bool).

Callers authenticate with an API token (``Authorization: Bearer vst_...``) of a user
allowed ``line.operate`` for the batch's brand (factory operators, brand admins); the
event records that user as its actor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from veriseal.accounts.permissions import Action, require
from veriseal.activation import StateChange
from veriseal.engine import Engine
from veriseal.errors import InvalidInput
from veriseal.events import Where
from veriseal.index_ranges import IndexRange, make, parse
from veriseal.models import Batch
from veriseal.server.auth import json_object, principal


async def _line_operator(engine: Engine, request: web.Request) -> tuple[Batch, str]:
    """The batch named in the path and the actor to record, once the caller is known
    and allowed ``line.operate`` on that batch's brand (401 / 403 otherwise; the role is
    checked before the batch is looked up, so a stranger learns nothing about batches)."""
    who = await principal(request, engine)
    require(who, Action.LINE_OPERATE)
    batch = await engine.ledger.get_batch(_batch_id(request))
    require(who, Action.LINE_OPERATE, brand_id=batch.brand_id)
    return batch, f"user:{who.user_id}" if who.user_id is not None else "user:system"


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
    batch, actor = await _line_operator(engine, request)
    body = await json_object(request)
    where = Where.parse(body.get("read_point"), body.get("biz_location"), actor)
    change = await engine.lifecycle.activation.activate(batch, _ranges(body), where, _when(body))
    return _answer(change)


async def _decommission(engine: Engine, request: web.Request) -> web.Response:
    batch, actor = await _line_operator(engine, request)
    body = await json_object(request)
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
