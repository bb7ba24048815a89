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

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources

from aiohttp import web

from veriseal.engine import Engine
from veriseal.errors import InvalidInput, RateLimited, VerisealError
from veriseal.models import ScanChannel
from veriseal.scans import ScanResult
from veriseal.server import scan_context
from veriseal.server.abuse import FloodDetector, RateLimiter
from veriseal.server.accounts_routes import register_routes as register_accounts_routes
from veriseal.server.lifecycle_routes import register_routes as register_lifecycle_routes
from veriseal.server.messages_routes import register_routes as register_messages_routes
from veriseal.server.negotiation import asked_language, language, wants_json
from veriseal.server.pages import locate_page, verdict_page
from veriseal.server.scans_routes import register_routes as register_scans_routes
from veriseal.verification import Outcome

log = logging.getLogger("veriseal.server")
ENGINE = web.AppKey("engine", Engine)
LIMITER: web.AppKey[RateLimiter | None] = web.AppKey("limiter")
FLOOD = web.AppKey("flood", FloodDetector)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        body = {"error": {"code": f"http_{exc.status}", "message": exc.reason}}
        return web.json_response(body, status=exc.status)
    except VerisealError as exc:
        response = web.json_response(exc.to_dict(), status=exc.http_status)
        if "retry_after" in exc.details:
            response.headers["Retry-After"] = str(exc.details["retry_after"])
        return response
    except Exception:  # the last line of defence: log it, never show it
        log.exception("unhandled error on %s", request.path)
        body = {"error": {"code": "internal", "message": "internal error"}}
        return web.json_response(body, status=500)


def _respond(request: web.Request, result: ScanResult, as_json: bool) -> web.Response:
    if as_json:
        return web.json_response(result.to_dict(asked_language(request)))
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
    client = request.remote or "unknown"
    limiter = request.app[LIMITER]
    wait = limiter.take(client) if limiter is not None else 0
    if wait:
        raise RateLimited(
            f"too many requests from this address: retry in {wait} s"
            f" / 请求过于频繁，请 {wait} 秒后再试",
            retry_after=wait,
        )
    device, new = scan_context.device_id(request)
    ctx = scan_context.context(request, channel, device)
    engine = request.app[ENGINE]
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


def _linkset(request: web.Request) -> web.Response:
    """The links of this identifier (RFC 9264 linkset, GS1 resolver conventions)."""
    base = f"{request.scheme}://{request.host}"
    anchor = base + request.path
    verify_url = str(request.url.with_path("/api/v1/verify").with_query(code=str(request.url)))
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


_OWN_PARAMS = frozenset({"pin", "lat", "lon", "acc", "noloc", "lang", "format", "linkType"})


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
        return _linkset(request)
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


_OPENAPI = resources.files("veriseal.server").joinpath("openapi.json").read_bytes()


async def openapi(_request: web.Request) -> web.Response:
    """The OpenAPI document of the JSON API (kept in the repo as server/openapi.json)."""
    return web.Response(body=_OPENAPI, content_type="application/json")


@dataclass(frozen=True)
class Limits:
    """Public-endpoint limits per client address (config: ``[server]`` section)."""

    per_minute: float = 120.0  # 0 switches rate limiting off (benchmarks, trusted networks)
    burst: int = 60
    flood_invalid: int = 20  # invalid verdicts ...
    flood_window_s: float = 600.0  # ... within this window raise an alert


def make_app(engine: Engine, limits: Limits | None = None) -> web.Application:
    limits = limits or Limits()
    # bodies up to 16 MiB: a 10 MiB avatar or ID photo, base64-encoded in JSON
    app = web.Application(middlewares=[errors_middleware], client_max_size=16 * 1024 * 1024)
    app[ENGINE] = engine
    app[LIMITER] = RateLimiter(limits.per_minute, limits.burst) if limits.per_minute else None
    app[FLOOD] = FloodDetector(limits.flood_invalid, limits.flood_window_s)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/api/v1/verify", verify_api)
    register_lifecycle_routes(app, ENGINE)
    register_accounts_routes(app, ENGINE)
    register_scans_routes(app, ENGINE)
    register_messages_routes(app, ENGINE)
    # plugins' routes before the resolver's catch-all pattern, so theirs win
    engine.plugins.hook.register_routes(app=app, engine=engine)
    app.router.add_get(r"/{prefix:.*}01/{rest:.*}", resolve)
    app.router.add_post(r"/{prefix:.*}01/{rest:.*}", resolve_post)
    return app
