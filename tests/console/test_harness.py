"""The browser harness itself: axe finds what is wrong (and only that) on CSP pages."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from playwright.async_api import async_playwright

from .browser import DESKTOP, PHONE, axe, describe, launch, page_errors, serious, serve, shot
from .browser import with_csp as csp

BAD = """<!doctype html>
<html><head><meta charset="utf-8"><title>Bad</title>
<script>document.title = "inline script ran";</script></head>
<body><main>
<img src="/pixel.png">
<form><input name="code"><button></button></form>
</main></body></html>"""

GOOD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Good</title></head>
<body><main><h1>Check a code</h1>
<img src="/pixel.png" alt="Veriseal">
<form><label for="code">Code</label> <input id="code" name="code">
<button type="submit">Check</button></form>
</main></body></html>"""

PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7356d6f0000000049454e44ae426082"
)


def _app() -> web.Application:
    app = web.Application(middlewares=[csp])

    async def page(request: web.Request) -> web.Response:
        html = BAD if request.match_info["name"] == "bad" else GOOD
        return web.Response(text=html, content_type="text/html")

    async def pixel(_: web.Request) -> web.Response:
        return web.Response(body=PIXEL, content_type="image/png")

    app.router.add_get("/pixel.png", pixel)
    app.router.add_get("/{name}", page)
    return app


async def test_axe_reports_a_bad_page_and_passes_a_good_one(shots_dir: Path) -> None:
    async with serve(_app()) as base, async_playwright() as pw:
        browser = await launch(pw)
        try:
            context = await browser.new_context(viewport=DESKTOP)
            page = await context.new_page()
            errors = page_errors(page)
            await page.goto(f"{base}/bad")
            # the CSP is enforced (the inline script was blocked) and axe still runs
            assert await page.title() == "Bad"
            assert any("Content Security Policy" in e for e in errors), errors
            found = await axe(page)
            ids = {v["id"] for v in found}
            assert {"image-alt", "label", "button-name", "html-has-lang"} <= ids, describe(found)
            assert {v["id"] for v in serious(found)} >= {"image-alt", "label", "html-has-lang"}
            assert all(v["impact"] in {"serious", "critical"} for v in serious(found))
            assert (await shot(page, "harness-bad")).parent == shots_dir

            phone = await browser.new_context(viewport=PHONE, is_mobile=True)
            page = await phone.new_page()
            await page.goto(f"{base}/good")
            assert await axe(page) == []
            assert await axe(page, tags=("wcag2a",)) == []  # a second run: axe injected once
            path = await shot(page, "harness good")
            assert path.name == "harness-good.png" and path.stat().st_size > 0
        finally:
            await browser.close()
