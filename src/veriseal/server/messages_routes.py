"""Messages API: a user's inbox, notification preferences, and admin broadcasts.

- ``GET /api/v1/messages?q=&type=&channel=&since=&until=&read=&before=&limit=``: the
  caller's history, newest first (``q`` is full-text, Chinese included).
- ``POST /api/v1/messages/read``: ``{"ids": [...], "read": true|false}``.
- ``GET /api/v1/me/preferences``, ``PUT /api/v1/me/preferences/{type}``:
  ``{"channels": ["inbox", "email"], "dnd": {"start": "22:00", "end": "08:00",
  "tz": "Asia/Shanghai"} | null}``.
- ``POST /api/v1/notifications``: ``{"org_id", "type": "system_notice"|"promotion",
  "title", "body"}`` to every user of that organisation subtree (admins).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from veriseal.accounts.messages import UserMessages, preference_dict
from veriseal.engine import Engine
from veriseal.errors import InvalidInput
from veriseal.notifications import HistoryFilter
from veriseal.notifications.dnd import DndWindow
from veriseal.notifications.preferences import parse_channels, parse_type
from veriseal.server.auth import field, json_object, optional_int_query, principal, time_query


def _filter(request: web.Request) -> HistoryFilter:
    q = request.query
    if q.get("read") not in (None, "true", "false"):
        raise InvalidInput("read is true or false")
    channel = q.get("channel")
    return HistoryFilter(
        query=q.get("q"),
        type=parse_type(q["type"]) if "type" in q else None,
        channel=parse_channels([channel])[0] if channel else None,
        since=time_query(request, "since"),
        until=time_query(request, "until"),
        read=None if "read" not in q else q["read"] == "true",
        before_id=optional_int_query(request, "before"),
        limit=optional_int_query(request, "limit") or 50,
    )


def register_routes(app: web.Application, engine_key: web.AppKey[Engine]) -> None:
    async def setup(request: web.Request) -> tuple[UserMessages, Any]:
        engine = request.app[engine_key]
        who = await principal(request, engine)
        return UserMessages(engine.notifier, engine.accounts.store), who

    async def history(request: web.Request) -> web.Response:
        messages, who = await setup(request)
        found = await messages.history(who, _filter(request))
        return web.json_response(
            {"messages": [m.to_dict() for m in found], "unread": await messages.unread(who)}
        )

    async def mark(request: web.Request) -> web.Response:
        messages, who = await setup(request)
        body = await json_object(request)
        ids = field(body, "ids", list)
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise InvalidInput("ids are message ids (integers)")
        read = field(body, "read", bool, required=False)
        changed = await messages.mark(who, ids, True if read is None else read)
        return web.json_response({"changed": changed})

    async def preferences(request: web.Request) -> web.Response:
        messages, who = await setup(request)
        return web.json_response([preference_dict(p) for p in await messages.preferences(who)])

    async def set_preference(request: web.Request) -> web.Response:
        messages, who = await setup(request)
        mtype = parse_type(request.match_info["type"])
        body = await json_object(request)
        channels = field(body, "channels", list, required=False)
        if channels is not None and not all(isinstance(c, str) for c in channels):
            raise InvalidInput("channels are names")
        dnd_body = body.get("dnd", ...)
        dnd = None
        if isinstance(dnd_body, dict):
            dnd = DndWindow.parse(
                field(dnd_body, "start", str),
                field(dnd_body, "end", str),
                field(dnd_body, "tz", str, required=False) or "Asia/Shanghai",
            )
        elif dnd_body is not None and dnd_body is not ...:
            raise InvalidInput("dnd is an object {start, end, tz} or null")
        pref = await messages.set_preference(
            who,
            mtype,
            parse_channels(channels) if channels is not None else None,
            dnd,
            clear_dnd=dnd_body is None,
        )
        return web.json_response(preference_dict(pref))

    async def broadcast(request: web.Request) -> web.Response:
        messages, who = await setup(request)
        body = await json_object(request)
        sent = await messages.broadcast(
            who,
            field(body, "org_id", int),
            parse_type(field(body, "type", str)),
            field(body, "title", str),
            field(body, "body", str),
        )
        return web.json_response({"recipients": sent}, status=202)

    r = app.router
    r.add_get("/api/v1/messages", history)
    r.add_post("/api/v1/messages/read", mark)
    r.add_get("/api/v1/me/preferences", preferences)
    r.add_put("/api/v1/me/preferences/{type}", set_preference)
    r.add_post("/api/v1/notifications", broadcast)
