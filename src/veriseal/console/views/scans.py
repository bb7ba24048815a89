"""``/console/scans``: the brand's scans, newest first, filtered by time, verdict,
product, batch, province and channel (a GET form: the URL is the query, so a filtered
list can be bookmarked and shared), a page at a time; ``?export=csv|xlsx`` the whole
filtered list (CSV streams every row; XLSX stops at 100,000 with a message).

Dates in the form are the reader's days: "from" starts at local midnight, "to" is
inclusive (until the next local midnight).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from aiohttp import web

from veriseal.accounts.permissions import Action
from veriseal.brandops.scans import (
    XLSX_MAX_ROWS,
    ScanFilter,
    cursor_of,
    cursor_text,
    parse_cursor,
)
from veriseal.console.call import ConsoleCall
from veriseal.console.listing import Column, export_format, page_size
from veriseal.console.stream_export import stream_export
from veriseal.console.views.brandpick import brand_params, pick_brand, reader
from veriseal.errors import InvalidInput
from veriseal.extend.console import ConsolePage, ConsoleView, Page
from veriseal.i18n import t as message
from veriseal.models import Brand, Scan, ScanChannel
from veriseal.regions.china import BY_ISO, PROVINCES
from veriseal.scanning.verification import Outcome

COLUMNS = [
    Column("id", "Scan", "扫码编号"),
    Column("at", "Time", "时间"),
    Column("outcome", "Verdict code", "结果代码"),
    Column("verdict", "Verdict", "验证结果"),
    Column("code", "Code", "码"),
    Column("gtin", "Product (GTIN)", "商品条码"),
    Column("batch_id", "Batch", "批次"),
    Column("index", "Index", "序号"),
    Column("channel", "Channel", "渠道"),
    Column("province", "Province", "省份"),
    Column("province_name", "Province name", "省份名称"),
    Column("city", "Place", "地点"),
    Column("loc_source", "Location from", "定位来源"),
    Column("lat", "Latitude", "纬度"),
    Column("lon", "Longitude", "经度"),
]
CHANNELS = {
    "web": ("Phone (web link)", "手机扫码"),
    "api": ("API", "接口"),
    "handheld": ("Handheld", "手持终端"),
    "cli": ("Command line", "命令行"),
}


def _day(call: ConsoleCall, name: str) -> dt.date | None:
    text = call.query.get(name, "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(call.t(f"{name}: a date (YYYY-MM-DD), please",
                                  f"{name}：请填写日期（年-月-日）")) from None  # fmt: skip


def _midnight(call: ConsoleCall, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), call.tz)


def parse_filter(call: ConsoleCall) -> ScanFilter:
    """The filter the form's query asks for (the service checks the values)."""
    q = call.query
    start, end = _day(call, "from"), _day(call, "to")
    batch = q.get("batch", "").strip().lstrip("#")
    if batch and (not batch.isascii() or not batch.isdigit() or len(batch) > 18):
        raise InvalidInput(call.t("batch: its number, please", "批次：请填写批次编号"))
    return ScanFilter(
        since=None if start is None else _midnight(call, start),
        until=None if end is None else _midnight(call, end + dt.timedelta(days=1)),
        outcome=q.get("outcome") or None,
        gtin=q.get("product", "").strip() or None,
        batch_id=int(batch) if batch else None,
        province=q.get("province") or None,
        channel=q.get("channel") or None,
    )


def row(call: ConsoleCall, s: Scan) -> dict[str, Any]:
    """A scan as the page and the exports show it (times in the reader's zone)."""
    n, loc, region = s.scan, s.scan.location, s.scan.region
    known = BY_ISO.get(region.province) if region else None
    return {
        "id": s.id,
        "at": n.at.astimezone(call.tz).isoformat(timespec="seconds"),
        "at_time": n.at,
        "outcome": n.outcome,
        "verdict": message(f"outcome.{n.outcome}", call.lang),
        "code": n.code,
        "gtin": n.gtin or "",
        "batch_id": n.batch_id,
        "index": n.index,
        "channel": str(n.channel),
        "channel_name": call.t(*CHANNELS.get(str(n.channel), (str(n.channel),) * 2)),
        "province": region.province if region else "",
        "province_name": call.t(known.name_en, known.name_zh) if known else "",
        "city": region.city if region else "",
        "loc_source": str(loc.source) if loc else "",
        "lat": loc.lat if loc else None,
        "lon": loc.lon if loc else None,
        "actor": n.actor,
    }


async def scans(call: ConsoleCall) -> Page | web.StreamResponse:
    desk = call.engine.ops.scans
    picked = await pick_brand(call, desk.brand)
    if isinstance(picked, Page):
        return picked
    who = reader(call)
    fmt = export_format(call)
    try:
        flt = parse_filter(call)
        if fmt is not None:
            return await _export(call, picked, flt, fmt)
        limit = page_size(call)
        text = call.query.get("cursor", "")
        before = parse_cursor(text) if text else None
        found = await desk.page(who, picked, flt, limit=limit, before=before)
        error = ""
    except InvalidInput as exc:
        if fmt is not None and exc.code == "export_too_large":
            raise
        found, limit, error = [], 1, exc.message
    return Page("scans.html", {
        "brand": picked,
        "rows": [row(call, s) for s in found],
        "next_cursor": cursor_text(cursor_of(found[-1])) if found and len(found) == limit
        else None,
        "error": error,
        "q": {k: call.query.get(k, "") for k in
              ("from", "to", "outcome", "product", "batch", "province", "channel")},
        "params": brand_params(call, picked),
        "outcomes": [(o.value, message(f"outcome.{o.value}", call.lang)) for o in Outcome],
        "channels": [(c.value, call.t(*CHANNELS.get(c.value, (c.value, c.value))))
                     for c in ScanChannel],
        "provinces": [(p.gb2260, call.t(p.name_en, p.name_zh)) for p in PROVINCES],
        "products": await desk.products(who, picked),
        "xlsx_max": XLSX_MAX_ROWS,
    }, 400 if error else 200)  # fmt: skip


async def _export(call: ConsoleCall, brand: Brand, flt: ScanFilter, fmt: str) -> web.StreamResponse:
    desk = call.engine.ops.scans
    cap = XLSX_MAX_ROWS if fmt == "xlsx" else None
    # checked before anything is sent: a refusal is still an error page
    pages = desk.export(reader(call), brand, flt, max_rows=cap)
    first = await anext(pages, None)

    async def rows() -> AsyncIterator[Sequence[Mapping[str, Any]]]:
        if first is None:
            return
        yield [row(call, s) for s in first]
        async for page in pages:
            yield [row(call, s) for s in page]

    return await stream_export(call, f"scans-{brand.slug}", fmt, COLUMNS, rows())


VIEWS = [ConsoleView("GET", "/console/scans", scans, Action.SCANS_READ)]
PAGES = [ConsolePage("/console/scans", "Scans", "扫码记录", Action.SCANS_READ, "codes", 30)]
