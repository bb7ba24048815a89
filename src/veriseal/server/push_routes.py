"""Web Push API: the server's VAPID public key and the caller's browser subscriptions.

- ``GET /api/v1/push/vapid-key`` (public): ``{"key": "<base64url P-256 point>"}``, the
  ``applicationServerKey`` a page passes to ``pushManager.subscribe()``.
- ``POST /api/v1/me/push-subscriptions``: the browser's ``subscription.toJSON()``
  (``{"endpoint", "expirationTime", "keys": {"p256dh", "auth"}}``), optionally with
  ``"lang": "zh"|"en"`` (else the request's language): the language this device's
  notifications are written in. 201 with the stored subscription.
- ``GET /api/v1/me/push-subscriptions``: mine (the push service's host, never the full
  endpoint or keys).
- ``DELETE /api/v1/me/push-subscriptions/{id}``: remove one of mine.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from veriseal.accounts.messages import UserMessages
from veriseal.accounts.permissions import Action
from veriseal.notifications.push_input import MAX_ENDPOINT
from veriseal.notifications.vapid import VapidKey
from veriseal.server.endpoints import Call, Endpoint, Gate
from veriseal.server.inputs import Id, Model
from veriseal.server.negotiation import language

Schema = dict[str, Any]
# generous bounds: the exact checks (base64url, sizes, the curve) are the service's
B64 = Annotated[str, Meta(min_length=1, max_length=200, pattern="^[A-Za-z0-9_=-]+$")]
Endpoint_ = Annotated[
    str, Meta(min_length=1, max_length=MAX_ENDPOINT, description="the push service URL")
]


class PushKeys(Model):
    p256dh: B64
    auth: B64


class SubscriptionBody(Model):
    """A browser's ``PushSubscription.toJSON()``."""

    endpoint: Endpoint_
    keys: PushKeys
    expiration_time: float | None = msgspec.field(default=None, name="expirationTime")
    lang: Literal["zh", "en"] | None = None


class SubscriptionPath(Model):
    id: Id


def _messages(call: Call) -> UserMessages:
    return UserMessages(call.engine.notifier, call.engine.accounts.store)


async def vapid_key(call: Call) -> Schema:
    return {"key": VapidKey.derive(call.engine.keyring).application_server_key}


async def subscribe(call: Call, body: SubscriptionBody) -> Schema:
    sub = await _messages(call).push_subscribe(
        call.who,
        body.endpoint,
        body.keys.p256dh,
        body.keys.auth,
        user_agent=call.user_agent,
        lang=body.lang or language(call.request),
    )
    return sub.to_dict()


async def subscriptions(call: Call) -> Schema:
    found = await _messages(call).push_subscriptions(call.who)
    return {"subscriptions": [s.to_dict() for s in found]}


async def unsubscribe(call: Call, path: SubscriptionPath) -> Schema:
    await _messages(call).push_unsubscribe(call.who, path.id)
    return {"removed": True}


_SUBSCRIPTION: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "service": {"type": "string", "description": "the push service's host"},
        "user_agent": {"type": "string"},
        "lang": {"type": "string", "enum": ["zh", "en"]},
        "created_at": {"type": "string", "format": "date-time"},
        "last_ok_at": {"type": ["string", "null"], "format": "date-time"},
        "failures": {"type": "integer"},
    },
}
A = Action
ROUTES = [
    Endpoint("GET", "/api/v1/push/vapid-key", vapid_key, Gate.PUBLIC,
             "The server's VAPID public key (applicationServerKey for pushManager.subscribe)",
             response={"type": "object", "properties": {"key": {"type": "string"}}}),
    Endpoint("POST", "/api/v1/me/push-subscriptions", subscribe, A.MESSAGES_OWN,
             "Register this browser's push subscription (PushSubscription.toJSON())", 201,
             response=_SUBSCRIPTION),
    Endpoint("GET", "/api/v1/me/push-subscriptions", subscriptions, A.MESSAGES_OWN,
             "My browsers' push subscriptions",
             response={"type": "object", "properties": {
                 "subscriptions": {"type": "array", "items": _SUBSCRIPTION}}}),
    Endpoint("DELETE", "/api/v1/me/push-subscriptions/{id}", unsubscribe, A.MESSAGES_OWN,
             "Remove one of my push subscriptions"),
]  # fmt: skip
