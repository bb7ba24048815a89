"""Web Push in the console: the service worker, and this browser's subscription.

- ``GET /console/sw.js`` (public): ``static/sw.js``, served from ``/console/`` so that
  its scope is the whole console (a worker's scope defaults to its script's folder;
  ``Service-Worker-Allowed`` says so explicitly). Public: the browser fetches it to
  check for updates whether or not anyone is signed in.
- ``POST /console/me/push``: ``{"subscription": PushSubscription.toJSON()}`` from
  ``static/push.js`` (CSRF in ``X-CSRF-Token``); stored for the signed-in user, in the
  console's language. 201 ``{"id", "service"}``; a bad subscription is 400 JSON.
- ``POST /console/me/push/remove``: ``{"endpoint"}``: this browser stopped.

The account page shows the buttons (``templates/account_push.html``); the manifest and
icons of the installable app are static files (``static/manifest.webmanifest``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from veriseal.accounts.messages import UserMessages
from veriseal.accounts.permissions import Action
from veriseal.console.call import ConsoleCall
from veriseal.errors import InvalidInput
from veriseal.extend.console import ConsolePage, ConsoleView

WORKER = Path(__file__).resolve().parent.parent / "static" / "sw.js"
SCOPE = "/console/"


@functools.cache
def _worker_script() -> bytes:
    return WORKER.read_bytes()


async def service_worker(call: ConsoleCall) -> web.StreamResponse:
    return web.Response(
        body=_worker_script(),
        content_type="text/javascript",
        charset="utf-8",
        # browsers re-check a worker at least daily anyway; no-cache makes a release
        # reach them at the next navigation
        headers={"Service-Worker-Allowed": SCOPE, "Cache-Control": "no-cache"},
    )


async def _body(call: ConsoleCall) -> dict[str, Any]:
    try:
        body = json.loads(await call.request.read())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    return body


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string")
    return value


def _messages(call: ConsoleCall) -> UserMessages:
    return UserMessages(call.engine.notifier, call.engine.accounts.store)


def _error(exc: InvalidInput) -> web.Response:
    """A JSON error for push.js (a script reads it, not a person)."""
    return web.json_response(
        {"error": {"code": exc.code, "message": exc.message}}, status=exc.http_status
    )


async def subscribe(call: ConsoleCall) -> web.StreamResponse:
    assert call.principal is not None
    try:
        body = await _body(call)
        sub = body.get("subscription")
        if not isinstance(sub, dict) or not isinstance(sub.get("keys"), dict):
            raise InvalidInput("subscription must be a PushSubscription's JSON")
        keys = sub["keys"]
        stored = await _messages(call).push_subscribe(
            call.principal,
            _text(sub.get("endpoint"), "endpoint"),
            _text(keys.get("p256dh"), "keys.p256dh"),
            _text(keys.get("auth"), "keys.auth"),
            user_agent=call.request.headers.get("User-Agent", ""),
            lang=call.lang,
        )
    except InvalidInput as exc:
        return _error(exc)
    return web.json_response({"id": stored.id, "service": stored.to_dict()["service"]}, status=201)


async def unsubscribe(call: ConsoleCall) -> web.StreamResponse:
    assert call.principal is not None
    try:
        endpoint = _text((await _body(call)).get("endpoint"), "endpoint")
    except InvalidInput as exc:
        return _error(exc)
    removed = await _messages(call).push_unsubscribe_endpoint(call.principal, endpoint)
    return web.json_response({"removed": removed})


VIEWS = [
    ConsoleView("GET", "/console/sw.js", service_worker, public=True),
    ConsoleView("POST", "/console/me/push", subscribe, Action.MESSAGES_OWN),
    ConsoleView("POST", "/console/me/push/remove", unsubscribe, Action.MESSAGES_OWN),
]
PAGES: list[ConsolePage] = []  # no menu entry: the account page holds the buttons
