"""Routes. Handlers parse input, call a service and render; they hold no rules.

- ``GET /01/{gtin}[/10/{lot}][/21/{serial}]...``: the GS1 Digital Link resolver. A
  browser first gets a page asking for its location, then the verdict page; JSON with
  ``Accept: application/json``; a linkset with ``?linkType=all``.
- ``POST`` to the same link with the form field ``pin``: the verdict page's PIN form
  (the PIN never goes into a URL the page makes).
- ``GET /api/v1/verify?code=...[&pin=...]``: JSON verdict for any code form.
- ``GET /openapi.json``, ``GET /healthz``.

Every verification is recorded (ScanService) before it is answered.

Every error becomes ``{"error": {"code", "message"}}`` with the code's HTTP status; an
unexpected exception becomes a 500 with code ``internal`` and no traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import msgspec
import yarl
from aiohttp import web

from veriseal.codes.gtin import normalize_gtin
from veriseal.engine import Engine
from veriseal.errors import InvalidInput, RateLimited, VerisealError
from veriseal.extend.manager import PluginInvalid
from veriseal.ledger.failures import REQUEST_ID
from veriseal.models import ScanChannel
from veriseal.regions.ipgeo import default_ip_locator
from veriseal.scanning.service import ScanResult
from veriseal.scanning.verification import Outcome
from veriseal.server import (
    accounts_routes,
    auth,
    brandops_routes,
    catalogue_routes,
    consumer_routes,
    lifecycle_routes,
    messages_routes,
    openapi,
    push_routes,
    scan_context,
    scans_routes,
    session_principal,
)
from veriseal.server.abuse import FloodDetector, RateLimiter
from veriseal.server.client_ip import CLIENT_NETWORK, ClientNetwork
from veriseal.server.endpoints import ENDPOINTS, ENGINE_KEY, Endpoint, mount
from veriseal.server.negotiation import asked_language, language, wants_json
from veriseal.server.pages import locate_page, verdict_page

log = logging.getLogger("veriseal.server")
ENGINE = ENGINE_KEY  # the one engine key: the core's and plugins' endpoints find it here
OPENAPI = web.AppKey("openapi", bytes)
LIMITER: web.AppKey[RateLimiter | None] = web.AppKey("limiter")
FLOOD = web.AppKey("flood", FloodDetector)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


REQUEST_HEADER = "X-Request-Id"
_GOOD_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# New request ids come from a private generator seeded from the OS (and afresh in each
# forked worker): an id only correlates a report with its log line, it guards nothing,
# and secrets.token_hex cost a getrandom(2) system call per request (about 1% of the
# verify path's CPU, issue 20). Random rather than counted: counted ids would tell
# anyone the server's request volume.
_IDS = random.Random(secrets.randbits(64))
os.register_at_fork(after_in_child=lambda: _IDS.seed(secrets.randbits(64)))


def request_id(request: web.Request) -> str:
    """The request's id: the client's ``X-Request-Id`` when it is a sane token (a proxy
    may set one), else a new one. Logs and error bodies carry it, so a user's report
    ("request 3f2a...") finds the log line without the client ever seeing internals."""
    given = request.headers.get(REQUEST_HEADER, "")
    return given if _GOOD_ID.fullmatch(given) else f"{_IDS.getrandbits(64):016x}"


def error_response(status: int, code: str, message: str, rid: str) -> web.Response:
    body = {"error": {"code": code, "message": message, "request_id": rid}}
    return web.json_response(body, status=status, headers={REQUEST_HEADER: rid})


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error as ``{"error": {"code", "message", "request_id"}}``. Only our own
    coded errors pass their message on; anything else is logged with the request id
    and answered with a fixed text, so no driver or library message reaches a client."""
    rid = request_id(request)
    REQUEST_ID.set(rid)  # the ledger's log lines name the request too
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(exc.status, f"http_{exc.status}", exc.reason, rid)
    except VerisealError as exc:
        if exc.http_status >= 500:
            log.error("request %s %s %s: %s [%s]", rid, request.method, request.path,
                      exc.message, exc.code)  # fmt: skip
        body = exc.to_dict()
        body["error"]["request_id"] = rid
        response = web.json_response(body, status=exc.http_status, headers={REQUEST_HEADER: rid})
        if "retry_after" in exc.details:
            response.headers["Retry-After"] = str(exc.details["retry_after"])
        return response
    except Exception:  # the last line of defence: log it, never show it
        log.exception("request %s %s %s: unhandled error", rid, request.method, request.path)
        return error_response(500, "internal", "internal error", rid)
    if not response.prepared:
        response.headers.setdefault(REQUEST_HEADER, rid)
    return response


def _respond(request: web.Request, result: ScanResult, as_json: bool) -> web.Response:
    if as_json:
        # msgspec encodes the verdict in a fraction of json.dumps's time (the hot path)
        body = msgspec.json.encode(result.to_dict(asked_language(request)))
        return web.Response(body=body, content_type="application/json")
    lang = language(request)
    other = "en" if lang == "zh" else "zh"
    # The page's own links never carry a PIN: it is posted (see resolve_post), and one
    # that came in a GET query is left out of both the PIN form's action and the switch.
    here = request.rel_url.with_query([(k, v) for k, v in request.query.items() if k != "pin"])
    switch = str(here.update_query(lang=other))
    contact = request.app[ENGINE].config.server.get("report_contact")
    html = verdict_page(
        result, lang, str(here), switch, contact if isinstance(contact, str) else None
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8")


async def _scan(
    request: web.Request, text: str, channel: ScanChannel, pin: str | None
) -> web.Response:
    client = auth.client(request)
    limiter = request.app[LIMITER]
    wait = limiter.take(client) if limiter is not None else 0
    if wait:
        raise RateLimited(
            f"too many requests from this address: retry in {wait} s"
            f" / 请求过于频繁，请 {wait} 秒后再试",
            retry_after=wait,
        )
    device, new = scan_context.device_id(request)
    engine = request.app[ENGINE]
    # a console session names the scanning user (their own list); never the verdict
    user_id = await session_principal.scanning_user(request, engine)
    ctx = scan_context.context(request, channel, device, new, user_id)
    # The scan is committed before this line returns: the response acknowledges it.
    result = await engine.scans.scan(text, ctx, pin=pin)
    if result.verification.outcome is Outcome.INVALID:
        evidence = request.app[FLOOD].invalid(client, result.scan_id)
        if evidence:
            await engine.scans.flood_alert(client, evidence)
    response = _respond(request, result, as_json=channel is ScanChannel.API)
    if new:
        scan_context.set_device_cookie(response, device)
    return response


async def _origin(request: web.Request) -> str:
    """Where this identifier's links live: ``[server] public_origin`` when configured,
    else ``https://`` + the resolver domain of the brand that owns the GTIN. Never the
    request's ``Host`` header: that is the client's to choose, and reflecting it would
    let anyone mint links to a site of their own."""
    engine = request.app[ENGINE]
    configured = str(engine.config.server.get("public_origin") or "")
    if configured:
        return configured.rstrip("/")
    gtin = request.match_info.get("rest", "").split("/", 1)[0]
    product = await engine.ledger.find_product(normalize_gtin(gtin))
    brand = await engine.ledger.get_brand_by_id(product.brand_id)
    return f"https://{brand.resolver}"


async def _linkset(request: web.Request) -> web.Response:
    """The links of this identifier (RFC 9264 linkset, GS1 resolver conventions); 404
    for a GTIN no brand here owns."""
    base = await _origin(request)
    anchor = base + request.path
    printed = yarl.URL(base + request.raw_path)
    verify_url = str(yarl.URL(base + "/api/v1/verify").with_query(code=str(printed)))
    links = {
        "anchor": anchor,
        "https://gs1.org/voc/defaultLink": [
            {
                "href": anchor,
                "title": "Product verification / 防伪查询",
                "type": "text/html",
                "hreflang": ["zh", "en"],
            }
        ],
        "https://gs1.org/voc/verificationService": [
            {"href": verify_url, "title": "Verify this code (JSON)", "type": "application/json"}
        ],
    }
    return web.json_response({"linkset": [links]}, content_type="application/linkset+json")


_OWN_PARAMS = frozenset({"pin", "lat", "lon", "acc", "age", "noloc", "lang", "format", "linkType"})


def _has_location_answer(request: web.Request) -> bool:
    """The page already asked: it came back with a location, or without one on purpose."""
    return "noloc" in request.query or ("lat" in request.query and "lon" in request.query)


def _wants_linkset(request: web.Request) -> bool:
    return request.query.get("linkType") in ("all", "linkset") or (
        "application/linkset+json" in request.headers.get("Accept", "")
    )


async def resolve(request: web.Request) -> web.Response:
    """The Digital Link URI as scanned: verify and record it, answer with the verdict.
    A linkset request is a client asking where to go, not a scan: nothing is recorded."""
    if _wants_linkset(request):
        return await _linkset(request)
    if not wants_json(request) and not _has_location_answer(request):
        # A browser: ask for the location first (see pages.locate_page); no scan yet.
        skip = str(request.rel_url.update_query(noloc="1"))
        return web.Response(
            text=locate_page(language(request), skip), content_type="text/html", charset="utf-8"
        )
    return await _resolve_scan(request, request.query.get("pin") or None)


async def resolve_post(request: web.Request) -> web.Response:
    """The verdict page's PIN form: the same link, the PIN in the form body (``pin``),
    so that it stays out of URLs, browser history and server logs. No location page:
    the link the form posts to already carries the location answer."""
    form = await request.post()
    pin = form.get("pin")
    return await _resolve_scan(request, (pin.strip() or None) if isinstance(pin, str) else None)


async def _resolve_scan(request: web.Request, pin: str | None) -> web.Response:
    channel = ScanChannel.API if wants_json(request) else ScanChannel.WEB
    # The link as printed: the path and its own query, without the parameters this
    # server adds (a typed PIN must never be stored as part of a scanned code).
    printed = [(k, v) for k, v in request.query.items() if k not in _OWN_PARAMS]
    text = str(request.rel_url.with_query(printed)) if printed else request.raw_path.split("?")[0]
    return await _scan(request, text, channel, pin)


async def verify_api(request: web.Request) -> web.Response:
    code = request.query.get("code")
    if not code:
        raise InvalidInput("query parameter 'code' is required")
    return await _scan(request, code, ScanChannel.API, request.query.get("pin") or None)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def openapi_document(request: web.Request) -> web.Response:
    """The OpenAPI document of everything this app serves (core and plugins)."""
    return web.Response(body=request.app[OPENAPI], content_type="application/json")


async def _build_openapi(app: web.Application) -> None:
    served: list[Endpoint] = app[ENDPOINTS]
    app[OPENAPI] = json.dumps(openapi.document(served), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Limits:
    """Public-endpoint limits per client address (config: ``[server]`` section)."""

    per_minute: float = 120.0  # 0 switches rate limiting off (benchmarks, trusted networks)
    burst: int = 60
    flood_invalid: int = 20  # invalid verdicts ...
    flood_window_s: float = 600.0  # ... within this window raise an alert


def make_app(
    engine: Engine,
    limits: Limits | None = None,
    mounts: Sequence[Callable[[web.Application], None]] = (),
) -> web.Application:
    """The server's app. ``mounts`` add routes of the layers above the server (the web
    console) before the resolver's catch-all pattern, so theirs win."""
    limits = limits or Limits()
    # bodies up to 16 MiB: a 10 MiB avatar or ID photo, base64-encoded in JSON
    app = web.Application(middlewares=[errors_middleware], client_max_size=16 * 1024 * 1024)
    app[ENGINE] = engine
    app[LIMITER] = RateLimiter(limits.per_minute, limits.burst) if limits.per_minute else None
    app[FLOOD] = FloodDetector(limits.flood_invalid, limits.flood_window_s)
    app[CLIENT_NETWORK] = ClientNetwork.from_settings(engine.config.server)
    app[ENDPOINTS] = []
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/openapi.json", openapi_document)
    app.router.add_get("/api/v1/verify", verify_api)
    mount(app, lifecycle_routes.ROUTES, ENGINE)
    mount(app, accounts_routes.ROUTES, ENGINE)
    mount(app, scans_routes.ROUTES, ENGINE)
    mount(app, messages_routes.ROUTES, ENGINE)
    mount(app, push_routes.ROUTES, ENGINE)
    mount(app, consumer_routes.ROUTES, ENGINE)
    mount(app, brandops_routes.ROUTES, ENGINE)
    mount(app, catalogue_routes.ROUTES, ENGINE)
    # plugins' routes before the resolver's catch-all pattern, so theirs win
    engine.plugins.register_routes(app)
    for add in mounts:
        add(app)
    app.router.add_get(r"/{prefix:.*}01/{rest:.*}", resolve)
    app.router.add_post(r"/{prefix:.*}01/{rest:.*}", resolve_post)
    _check_declared(app)
    app.on_startup.append(_build_openapi)
    app.on_startup.append(_load_ip_locator)
    return app


async def _load_ip_locator(app: web.Application) -> None:
    """Load the IP data before the first scan, off the event loop (a fraction of a
    second once per process), so no verify request waits for it."""
    if app[CLIENT_NETWORK].locate_by_ip:
        await asyncio.to_thread(default_ip_locator)


#: JSON routes documented by hand in openapi_base.json (the verify hot path)
_HAND_WRITTEN = frozenset({("GET", "/api/v1/verify")})


def _check_declared(app: web.Application) -> None:
    """Refuse to serve an ``/api/`` route that is not an :class:`Endpoint`: it would have
    no access rule, no input validation and no place in the OpenAPI document (a plugin
    adding ``app.router.add_get(...)`` directly is told how to do it instead)."""
    declared = {(e.method, openapi.path_template(e.path)) for e in app[ENDPOINTS]}
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        key = (route.method, path)
        if path.startswith("/api/") and route.method != "HEAD" and key not in declared | (
            _HAND_WRITTEN):  # fmt: skip
            raise PluginInvalid(
                f"{route.method} {path} is not declared as a veriseal.Endpoint: declare it"
                " (access, typed input) and serve it with veriseal.mount"
            )
