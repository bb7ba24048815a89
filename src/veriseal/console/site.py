"""The console on the server: routes, the checks before every view, rendering, errors.

:func:`make_site` is the server with the console (``veriseal serve`` runs it);
:func:`mount_console` adds the console to an app. Before a view's handler runs:

1. the session cookie is read (an invalid, expired or revoked one is dropped: the
   reader is simply not signed in); a browser without one gets an anonymous id;
2. a view that is not public sends a reader who is not signed in to the sign-in page,
   and answers 403 to one whose role does not hold the view's action;
3. a POST must carry this session's CSRF token (form field ``_csrf`` or header
   ``X-CSRF-Token``), else 403 ``csrf_failed`` and nothing runs.

Every console response carries a strict Content-Security-Policy (scripts and styles
from this site only, no inline script or style, no framing), ``no-store`` caching for
signed-in pages, and no referrer beyond the origin. A coded error becomes an error
page with its status and localized message; anything else is logged with the request
id and shown as a plain "something went wrong" page, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jinja2
import yarl
from aiohttp import web

from veriseal.accounts.models import Principal
from veriseal.accounts.permissions import MATRIX, Action
from veriseal.console import assets, session
from veriseal.console.call import (
    FLASH,
    ConsoleCall,
    pick_language,
    pick_zone,
    read_flash,
)
from veriseal.console.geo import geo_handler
from veriseal.console.menu import menu_for
from veriseal.console.render import Formats, environment, hidden_input, render
from veriseal.console.views import core_views
from veriseal.engine import Engine
from veriseal.errors import VerisealError
from veriseal.extend.console import ConsolePage, ConsoleView, Page
from veriseal.i18n import t as message
from veriseal.ledger.failures import REQUEST_ID
from veriseal.server.app import Limits, make_app, request_id
from veriseal.server.session_principal import secure_cookies, session_principal

log = logging.getLogger("veriseal.console")

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",  # the camera decoder (zxing-cpp as wasm)
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass
class Console:
    """What every console request shares: the engine, the templates, the views and
    menu entries (the core's and the plugins'), the cookie policy and the secrets."""

    engine: Engine
    env: jinja2.Environment
    views: list[tuple[str, ConsoleView]]
    pages: list[ConsolePage]
    cookies: session.CookiePolicy
    csrf_key: bytes
    flash_key: bytes

    @classmethod
    def build(cls, engine: Engine) -> Console:
        core = core_views()
        registry = engine.plugins.console
        plugin_views = registry.views()
        views = [("core", v) for v in core.views] + plugin_views
        packages = {v.package for _, v in plugin_views}
        return cls(
            engine=engine,
            env=environment(packages),
            views=views,
            pages=core.pages + registry.pages(),
            cookies=session.CookiePolicy(secure=secure_cookies(engine)),
            csrf_key=engine.keyring.derive("console-csrf"),
            flash_key=engine.keyring.derive("console-flash"),
        )


CONSOLE: web.AppKey[Console] = web.AppKey("console", Console)


def make_site(engine: Engine, limits: Limits | None = None) -> web.Application:
    """The server's app with the console mounted (what ``veriseal serve`` runs)."""
    return make_app(engine, limits, mounts=[lambda app: mount_console(app, engine)])


def mount_console(app: web.Application, engine: Engine) -> None:
    """Serve the console's views, its static files and its home redirect on ``app``."""
    console = Console.build(engine)
    app[CONSOLE] = console
    app.router.add_get("/console", _to_home)
    app.router.add_get("/console/static/{name:.+}", _static)
    app.router.add_get("/console/geo/cn-provinces.json", geo_handler)
    for _, view in console.views:
        app.router.add_route(view.method, view.path, _bind(view))


async def _to_home(_request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect("/console/")


async def _static(request: web.Request) -> web.StreamResponse:
    response = await assets.serve(request)
    response.headers.update(SECURITY_HEADERS)
    return response


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _bind(view: ConsoleView) -> Handler:
    async def route(request: web.Request) -> web.StreamResponse:
        console = request.app[CONSOLE]
        call, new_anon = await _call(request, console)
        try:
            response = await _run(view, call, console)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = error_page(call, console, exc.status, f"http_{exc.status}", exc.reason)
        except VerisealError as exc:
            response = error_page(call, console, exc.http_status, exc.code, _localized(exc, call))
        except Exception:
            rid = REQUEST_ID.get() or "-"
            log.exception("console %s %s %s: unhandled error", rid, request.method, request.path)
            text = call.t(f"Something went wrong (request {rid}).", f"出错了（请求编号 {rid}）。")
            response = error_page(call, console, 500, "internal", text)
        response.headers.update(SECURITY_HEADERS)
        if call.principal is not None:
            response.headers["Cache-Control"] = "no-store"
        if new_anon is not None:
            console.cookies.set(response, session.ANON, new_anon, None)
        if console.cookies.read(request, FLASH) is not None and not _sets(response, FLASH):
            console.cookies.clear(response, FLASH)  # shown once (or not ours: dropped)
        if "lang" in request.query and request.query["lang"] in ("zh", "en"):
            console.cookies.set(response, session.LANG, request.query["lang"], 365 * 86400)
        return response

    route.__name__ = getattr(view.handler, "__name__", "view")
    return route


def _sets(response: web.StreamResponse, base: str) -> bool:
    """Whether the handler's response sets cookie ``base`` itself (a new flash)."""
    return any(name.endswith(base) for name in response.cookies)


async def _call(request: web.Request, console: Console) -> tuple[ConsoleCall, str | None]:
    REQUEST_ID.set(request_id(request))
    cookies = console.cookies
    found = await session_principal(request, console.engine, cookies.secure)
    who, token = found if found is not None else (None, None)
    anon = cookies.read(request, session.ANON)
    new_anon = None
    if token is None and anon is None:
        anon = new_anon = session.new_anonymous_id()
    binding = token if token is not None else f"anon:{anon}"
    lang = pick_language(request, who, cookies.read(request, session.LANG))
    call = ConsoleCall(
        request=request,
        engine=console.engine,
        principal=who,
        lang=lang,
        tz=pick_zone(who, cookies.read(request, session.TZ) or request.cookies.get(session.TZ)),
        csrf=session.csrf_token(console.csrf_key, binding),
        cookies=cookies,
        token=token,
        flash=read_flash(console.flash_key, cookies.read(request, FLASH)),
    )
    return call, new_anon


async def _run(view: ConsoleView, call: ConsoleCall, console: Console) -> web.StreamResponse:
    request = call.request
    if not view.public:
        if call.principal is None:
            target = request.path_qs if request.method == "GET" else "/console/"
            return web.Response(
                status=303,
                headers={"Location": str(yarl.URL("/console/signin").with_query(next=target))},
            )
        if view.action is not None and not holds(call.principal, view.action):
            return forbidden_page(call, console)
    if request.method == "POST" and not await _csrf_passes(call, console):
        return error_page(call, console, 403, "csrf_failed", call.t(
            "This form has expired or did not come from this site: reload the page and try"
            " again.", "表单已过期或并非来自本站：请刷新页面后重试。"))  # fmt: skip
    result = await view.handler(call)
    if isinstance(result, web.StreamResponse):
        return result
    if not isinstance(result, Page):
        raise TypeError(f"console view {view.path} returned {type(result).__name__}")
    return page_response(call, console, result)


def holds(principal: Principal, action: Action) -> bool:
    """Whether the principal's role holds ``action`` at all (scope is the service's)."""
    return principal.role in MATRIX.get(action, frozenset())


async def _csrf_passes(call: ConsoleCall, console: Console) -> bool:
    binding = call.token if call.token is not None else f"anon:{_anon(call, console)}"
    presented = call.request.headers.get("X-CSRF-Token")
    if presented is None:
        if call.request.content_type not in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            return False
        form = await call.form()
        value = form.get("_csrf")
        presented = value if isinstance(value, str) else None
    return session.csrf_ok(console.csrf_key, binding, presented)


def _anon(call: ConsoleCall, console: Console) -> str | None:
    return console.cookies.read(call.request, session.ANON)


def page_response(call: ConsoleCall, console: Console, page: Page) -> web.Response:
    html = render(console.env, page.template, {**globals_for(call, console), **page.context},
                  Formats(call.lang, call.tz))  # fmt: skip
    return web.Response(text=html, status=page.status, content_type="text/html", charset="utf-8")


def globals_for(call: ConsoleCall, console: Console) -> dict[str, Any]:
    """What every template sees besides its own context."""
    request = call.request
    other = "en" if call.lang == "zh" else "zh"
    return {
        "lang": call.lang,
        "t": call.t,
        "principal": call.principal,
        "csrf": call.csrf,
        "csrf_field": lambda: hidden_input("_csrf", call.csrf),
        "static": assets.static_url,
        "has_static": lambda name: assets.locate(name) is not None,
        "role_name": call.role_name,
        "flash": call.t(*call.flash) if call.flash else "",
        "switch_url": str(request.rel_url.update_query(lang=other)),
        "menu": menu_for(call, console.pages),
        "here": request.path,
        "pager": lambda next_cursor: _pager(call, next_cursor),
        "export_url": lambda fmt: _export_url(call, fmt),
    }


def _export_url(call: ConsoleCall, fmt: str) -> str:
    """This list's URL asking for the whole list (no cursor) as ``fmt``."""
    query = {k: v for k, v in call.query.items() if k not in ("cursor", "limit", "export")}
    return str(call.request.rel_url.with_query({**query, "export": fmt}))


def _pager(call: ConsoleCall, next_cursor: int | None) -> str:
    if next_cursor is None:
        return ""
    return str(call.request.rel_url.update_query(cursor=str(next_cursor)))


def _localized(exc: VerisealError, call: ConsoleCall) -> str:
    """The error's message in the reader's language when the catalogue has a title for
    its code, with the specific message after it."""
    title = message(f"error.{exc.code}", call.lang)
    if title and title not in (f"error.{exc.code}", exc.message):
        return f"{title}: {exc.message}"
    return exc.message


def error_page(call: ConsoleCall, console: Console, status: int, code: str, text: str
               ) -> web.Response:  # fmt: skip
    return page_response(call, console, Page("error.html", {"status": status, "code": code,
                                                            "message": text}, status))  # fmt: skip


def forbidden_page(call: ConsoleCall, console: Console) -> web.Response:
    return error_page(call, console, 403, "forbidden", call.t(
        "Your role may not open this page.", "您的角色无权查看此页面。"))  # fmt: skip
