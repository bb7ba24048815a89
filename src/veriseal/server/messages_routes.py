"""Messages API: a user's inbox, notification preferences, and admin broadcasts.
Declared as :class:`~veriseal.server.endpoints.Endpoint` s (``/openapi.json`` has each
route's input).

- ``GET /api/v1/messages?q=&type=&channel=&since=&until=&read=&limit=&cursor=``: the
  caller's history, newest first (``q`` is full-text, Chinese included), one page at a
  time, with the unread count.
- ``POST /api/v1/messages/read``: ``{"ids": [...], "read": true|false}``.
- ``GET /api/v1/me/preferences``, ``PUT /api/v1/me/preferences/{type}``:
  ``{"channels": ["inbox", "email"], "dnd": {"start": "22:00", "end": "08:00",
  "tz": "Asia/Shanghai"} | null}`` (an absent ``dnd`` keeps the window, null clears it).
- ``POST /api/v1/notifications``: ``{"org_id", "type", "title", "body"}`` to every user
  of that organisation subtree (admins); ``type`` is ``system_notice`` or another type
  registered as a broadcast (``register_message_types``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from veriseal.accounts.messages import UserMessages, preference_dict
from veriseal.accounts.permissions import Action
from veriseal.notifications import HistoryFilter
from veriseal.notifications.dnd import DndWindow
from veriseal.notifications.inbox import MAX_LIMIT
from veriseal.notifications.message_types import parse_type
from veriseal.notifications.models import Channel, MessageType
from veriseal.server.endpoints import Call, Endpoint
from veriseal.server.inputs import Id, Line, Model, Name, Note, Page, Short, after_id
from veriseal.server.listing import page_schema, records

Schema = dict[str, Any]
#: A message type's name; which types exist is the registry's (message_types.parse_type).
TypeName = Annotated[
    str, Meta(pattern="^[a-z][a-z0-9_]{0,47}$", description="a message type, e.g. system_notice")
]
HHMM = Annotated[str, Meta(pattern="^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM")]


def _messages(call: Call) -> UserMessages:
    return UserMessages(call.engine.notifier, call.engine.accounts.store)


class HistoryQuery(Page):
    """Newest first; the cursor continues below the last message of the page."""

    limit: Annotated[int, Meta(ge=1, le=MAX_LIMIT, description="rows per page")] = 50
    q: Line | None = None
    type: TypeName | None = None
    channel: Channel | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    read: bool | None = None


class MarkBody(Model):
    ids: Annotated[list[Id], Meta(max_length=1000)]
    read: bool = True


class TypePath(Model):
    type: TypeName


class Dnd(Model):
    start: HHMM
    end: HHMM
    tz: Short = "Asia/Shanghai"


class PreferenceBody(Model):
    channels: Annotated[list[Channel], Meta(max_length=len(Channel))] | None = None
    dnd: Dnd | msgspec.UnsetType | None = msgspec.UNSET


class BroadcastBody(Model):
    org_id: Id
    type: TypeName
    title: Name
    body: Note


async def history(call: Call, query: HistoryQuery) -> Schema:
    messages = _messages(call)
    found = await messages.history(
        call.who,
        HistoryFilter(
            query=query.q,
            type=None if query.type is None else MessageType(query.type),
            channel=query.channel,
            since=query.since,
            until=query.until,
            read=query.read,
            before_id=after_id(query),
            limit=query.limit,
        ),
    )
    page = records("messages", found, query)
    return {**page, "unread": await messages.unread(call.who)}


async def mark(call: Call, body: MarkBody) -> Schema:
    return {"changed": await _messages(call).mark(call.who, body.ids, body.read)}


async def preferences(call: Call) -> Schema:
    found = await _messages(call).preferences(call.who)
    return {"preferences": [preference_dict(p) for p in found]}


async def set_preference(call: Call, path: TypePath, body: PreferenceBody) -> Schema:
    dnd = None
    if isinstance(body.dnd, Dnd):
        dnd = DndWindow.parse(body.dnd.start, body.dnd.end, body.dnd.tz)
    pref = await _messages(call).set_preference(
        call.who,
        parse_type(path.type),
        None if body.channels is None else tuple(dict.fromkeys(body.channels)),
        dnd,
        clear_dnd=body.dnd is None,
    )
    return preference_dict(pref)


async def broadcast(call: Call, body: BroadcastBody) -> Schema:
    sent = await _messages(call).broadcast(
        call.who, body.org_id, parse_type(body.type), body.title, body.body
    )
    return {"recipients": sent}


_PREFERENCE: Schema = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "channels": {"type": "array", "items": {"type": "string"}},
        "dnd": {"type": ["object", "null"]},
        "default": {"type": "boolean"},
    },
}
_MESSAGE: Schema = {"type": "object"}
A = Action
ROUTES = [
    Endpoint("GET", "/api/v1/messages", history, A.MESSAGES_OWN,
             "My messages, newest first (full-text search, filters)",
             response=page_schema("messages", _MESSAGE, {"unread": {"type": "integer"}})),
    Endpoint("POST", "/api/v1/messages/read", mark, A.MESSAGES_OWN,
             "Mark my messages read or unread (all or none)"),
    Endpoint("GET", "/api/v1/me/preferences", preferences, A.MESSAGES_OWN,
             "My channel and do-not-disturb preferences, one per message type",
             response={"type": "object", "properties": {
                 "preferences": {"type": "array", "items": _PREFERENCE}}}),
    Endpoint("PUT", "/api/v1/me/preferences/{type}", set_preference, A.MESSAGES_OWN,
             "Set my channels and do-not-disturb window for one message type",
             response=_PREFERENCE),
    Endpoint("POST", "/api/v1/notifications", broadcast, A.NOTIFY_BROADCAST,
             "Send a notice or promotion to every user of an organisation subtree", 202),
]  # fmt: skip
