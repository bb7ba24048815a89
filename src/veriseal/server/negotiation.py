"""Content and language negotiation for the resolver routes."""

from __future__ import annotations

from aiohttp import web

from veriseal.i18n import EN, ZH


def wants_json(request: web.Request) -> bool:
    """JSON when asked by Accept (application/json or linkset+json) or ?format=json."""
    if request.query.get("format") == "json":
        return True
    accept = request.headers.get("Accept", "")
    html_at = accept.find("text/html")
    json_at = max(accept.find("application/json"), accept.find("application/linkset+json"))
    return json_at >= 0 and (html_at < 0 or json_at < html_at)


def language(request: web.Request) -> str:
    """``?lang=zh|en`` wins, then the first of zh/en in Accept-Language, else Chinese
    (the primary market; the page has a switch)."""
    explicit = request.query.get("lang", "")
    if explicit in (EN, ZH):
        return explicit
    for part in request.headers.get("Accept-Language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return ZH
        if tag.startswith("en"):
            return EN
    return ZH


def asked_language(request: web.Request) -> str | None:
    """The language the client asked for (``?lang=zh|en``, else the first zh/en of
    ``Accept-Language``), or None when it asked for none: a JSON client then keeps the
    API's English messages, where a page would default to Chinese."""
    if request.query.get("lang", "") in (EN, ZH) or any(
        part.split(";")[0].strip().lower().startswith((EN, ZH))
        for part in request.headers.get("Accept-Language", "").split(",")
    ):
        return language(request)
    return None
