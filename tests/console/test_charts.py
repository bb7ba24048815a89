"""static/charts.js in real Chromium under the console's CSP: line, bar, pie and the
province map from JSON data blocks; the map coloured by value, in the page's language."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Page, async_playwright, expect

from .browser import (
    DESKTOP,
    PHONE,
    axe,
    console_assets,
    describe,
    launch,
    page_errors,
    serious,
    serve,
    shot,
)
from .browser import with_csp as csp

BLOCKS: dict[str, Any] = {
    "daily": {
        "title": "Scans per day",
        "x": ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"],
        "series": [{"name": "Genuine", "data": [12, 30, 22, 41]},
                   {"name": "Suspicious", "data": [1, 0, 3, 2]}],
    },
    "dealers": {"x": ["Hangzhou", "Ningbo"], "series": [{"name": "Units", "data": [320, 150]}]},
    "outcomes": {"data": [{"name": "Genuine", "value": 105}, {"name": "Counterfeit", "value": 6}]},
    "provinces": {
        "name": "Scans",
        "data": [{"code": "440000", "value": 120}, {"code": "CN-ZJ", "value": 60},
                 {"code": "110000", "value": 5}, {"code": "999999", "value": 7}],
    },
}  # fmt: skip


def _page(lang: str) -> str:
    data = "\n".join(
        f'<script type="application/json" id="{k}">{json.dumps(v)}</script>'
        for k, v in BLOCKS.items()
    )
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Charts</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<script src="/console/static/vendor/echarts.min.js" defer></script>
<script src="/console/static/charts.js" defer></script></head>
<body><main><h1>Charts</h1>
<div class="chart" data-chart="line" data-source="daily"></div>
<div class="chart" data-chart="bar" data-source="dealers" data-label="Units per dealer"></div>
<div class="chart" data-chart="pie" data-source="outcomes" data-label="Outcomes"></div>
<div class="chart" data-chart="map" data-source="provinces" data-label="Scans by province"></div>
<div class="chart" data-chart="line" data-source="missing" data-label="Broken"></div>
{data}</main></body></html>"""


def _app() -> web.Application:
    app = web.Application(middlewares=[csp])

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=_page(request.match_info["lang"]), content_type="text/html")

    console_assets(app)
    app.router.add_get("/{lang}", page)
    return app


async def _pixel(page: Page, lon: float, lat: float) -> tuple[int, int, int]:
    """The map canvas's colour at a place (ECharts converts lon/lat to pixels)."""
    rgb: list[int] = await page.evaluate(
        """([lon, lat]) => {
          const el = document.querySelector('[data-chart=map]');
          const chart = echarts.getInstanceByDom(el);
          const [x, y] = chart.convertToPixel({seriesIndex: 0}, [lon, lat]);
          const canvas = el.querySelector('canvas');
          const ratio = canvas.width / el.clientWidth;
          const ctx = canvas.getContext('2d');
          const d = ctx.getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data;
          return [d[0], d[1], d[2]];
        }""",
        [lon, lat],
    )
    return rgb[0], rgb[1], rgb[2]


def _near(got: tuple[int, int, int], hex_colour: str, tolerance: int = 12) -> bool:
    want = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    return all(abs(a - b) <= tolerance for a, b in zip(got, want, strict=True))


@pytest.mark.parametrize(
    ("lang", "guangdong", "high"), [("zh-CN", "广东省", "高"), ("en", "Guangdong", "High")]
)
async def test_charts_render_accessibly_and_the_map_is_coloured_by_value(
    lang: str, guangdong: str, high: str
) -> None:
    async with serve(_app()) as base, async_playwright() as pw:
        browser = await launch(pw)
        try:
            page = await (await browser.new_context(viewport=DESKTOP)).new_page()
            errors = page_errors(page)
            await page.goto(f"{base}/{lang}")
            for kind in ("line", "bar", "pie", "map"):
                chart = page.locator(f".chart[data-chart={kind}][data-chart-ready]")
                await expect(chart).to_have_count(1, timeout=15_000)
                assert await chart.get_attribute("role") == "img"
                assert await chart.locator("canvas").count() == 1
            broken = page.locator("[data-source=missing]")
            assert await broken.get_attribute("data-chart-error") == "no data block"
            names = await page.eval_on_selector_all(".chart", "els => els.map(e => e.ariaLabel)")
            assert names[:4] == ["Scans per day", "Units per dealer", "Outcomes",
                                 "Scans by province"]  # fmt: skip
            option = await page.evaluate(
                "() => echarts.getInstanceByDom(document.querySelector('[data-chart=map]'))"
                ".getOption()"
            )
            series = option["series"][0]
            assert {"name": guangdong, "value": 120} in series["data"]
            valued = [d for d in series["data"] if "value" in d]
            assert len(valued) == 3  # the unknown code is left out
            assert len(series["data"]) == 34  # every province drawn
            assert option["visualMap"][0]["text"][0] == high
            assert option["visualMap"][0]["max"] == 120
            # Guangzhou in the darkest colour (the maximum), Ürümqi grey (no data)
            assert _near(await _pixel(page, 113.26, 23.13), "#08519c")
            assert _near(await _pixel(page, 87.62, 43.83), "#eeeeee")
            violations = await axe(page)
            assert serious(violations) == [], describe(violations)
            await shot(page, f"charts-{lang}-desktop")

            width = "echarts.getInstanceByDom(document.querySelector('.chart')).getWidth()"
            wide = await page.evaluate(width)
            await page.set_viewport_size(PHONE)
            await page.wait_for_function(f"() => {width} < {wide}")  # a function: CSP
            assert await page.evaluate(width) <= PHONE["width"]
            await shot(page, f"charts-{lang}-phone")
            assert errors == [], "\n".join(errors)
        finally:
            await browser.close()
