"""What a consumer does in the console: scan a code, see their own verifications, read
a product's facts from a verdict, report a suspected fake with photos, read and search
their messages and set when and how they are told.

Every view parses the request, calls one service with ``call.principal`` and renders;
the services decide who may see what (a report: its reporter or its brand's alert
readers; messages and scans: their owner only).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiMapping

from veriseal.accounts.messages import UserMessages
from veriseal.accounts.models import Principal
from veriseal.accounts.permissions import Action
from veriseal.console.call import ConsoleCall
from veriseal.console.listing import page_cursor, page_size
from veriseal.errors import InvalidInput, VerisealError
from veriseal.extend.console import ConsolePage, ConsoleView, Page
from veriseal.models import Location, LocationSource
from veriseal.notifications import HistoryFilter
from veriseal.notifications.dnd import DndWindow
from veriseal.notifications.errors import NotifyInputInvalid, SearchQueryInvalid
from veriseal.notifications.message_types import never_held, spec
from veriseal.notifications.models import Channel, MessageType
from veriseal.notifications.preferences import Preference, parse_channels
from veriseal.scanning.report_photos import MAX_BYTES, MAX_PHOTOS
from veriseal.scanning.reports import ReportRequest
from veriseal.scanning.verification import Outcome

MAX_CODE = 4096
#: verdicts after which the page offers "report a suspected fake"
_WARNINGS = frozenset(
    {
        Outcome.INVALID,
        Outcome.SUSPECTED_CLONE,
        Outcome.KEY_REVOKED,
        Outcome.NOT_ACTIVATED,
        Outcome.DECOMMISSIONED,
        Outcome.RECALLED,
        Outcome.EXPIRED,
        Outcome.PIN_WRONG,
    }
)


def _who(call: ConsoleCall) -> Principal:
    assert call.principal is not None  # every view here needs a signed-in reader
    return call.principal


def _text(form: MultiMapping[Any], name: str, limit: int) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


# -- scanning ------------------------------------------------------------------------
async def scan_form(call: ConsoleCall) -> Page:
    return Page("consumer/scan.html", {"code": call.query.get("code", "")[:MAX_CODE],
                                       "error": ""})  # fmt: skip


def _number(text: str, low: float, high: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def _location(form: MultiMapping[Any]) -> Location | None:
    """The browser's fix, when the page's script added one (never a reason to fail)."""
    lat = _number(_text(form, "lat", 40), -90.0, 90.0)
    lon = _number(_text(form, "lon", 40), -180.0, 180.0)
    if lat is None or lon is None:
        return None
    acc = _number(_text(form, "acc", 40), 0.0, 1_000_000.0)
    return Location(lat, lon, acc, LocationSource.GPS)


async def scan(call: ConsoleCall) -> Page:
    """Verify what was typed or scanned, exactly as the printed link would be (the
    same ScanService path), recorded as this user's scan; then show the verdict."""
    form = await call.form()
    code = _text(form, "code", MAX_CODE)
    if not code:
        return Page(
            "consumer/scan.html",
            {"code": "", "error": call.t("Type or scan the code first.", "请先输入或扫描防伪码。")},
            400,
        )
    pin = _text(form, "pin", 16) or None
    result = await call.engine.scans.scan_as(_who(call), code, _location(form), pin)
    verdict = result.verification
    info = verdict.info
    product_url = ""
    if info is not None:
        query = urlencode({"lot": info.lot}) if info.lot else ""
        product_url = f"/console/product/{info.gtin}" + (f"?{query}" if query else "")
    return Page(
        "consumer/verdict.html",
        {
            "code": code,
            "outcome": str(verdict.outcome),
            "good": verdict.outcome is Outcome.GENUINE,
            "warning": verdict.outcome in _WARNINGS,
            "needs_pin": verdict.outcome in (Outcome.PIN_REQUIRED, Outcome.PIN_WRONG),
            "message": verdict.message_in(call.lang),
            "info": info,
            "scan_id": result.scan_id,
            "previous": result.previous,
            "product_url": product_url,
            "report_url": "/console/report?" + urlencode({"scan": result.scan_id}),
        },
    )


async def my_scans(call: ConsoleCall) -> Page:
    page = await call.engine.scans.my_scans(_who(call), page_cursor(call), page_size(call))
    return Page("consumer/my_scans.html", {"scans": page.items, "next_cursor": page.next_cursor})


async def product(call: ConsoleCall) -> Page:
    lot = call.query.get("lot", "").strip()[:40] or None
    facts = await call.engine.scans.product(_who(call), call.match.get("gtin", ""), lot)
    report = {"gtin": facts.gtin, **({"lot": lot} if lot else {})}
    return Page(
        "consumer/product.html",
        {"p": facts, "report_url": "/console/report?" + urlencode(report)},
    )


# -- suspected-fake reports -------------------------------------------------------------
def _report_page(
    call: ConsoleCall, values: dict[str, str], error: str = "", status: int = 200
) -> Page:
    return Page(
        "consumer/report.html",
        {"v": values, "error": error, "max_photos": MAX_PHOTOS,
         "max_mb": MAX_BYTES // (1024 * 1024)},
        status,
    )  # fmt: skip


_REPORT_FIELDS = {"code": MAX_CODE, "gtin": 20, "lot": 40, "scan": 20, "place": 200,
                  "note": 2000, "contact": 200}  # fmt: skip


async def report_form(call: ConsoleCall) -> Page:
    values = {k: call.query.get(k, "")[:limit] for k, limit in _REPORT_FIELDS.items()}
    return _report_page(call, values)


def _photos(form: MultiMapping[Any]) -> list[bytes]:
    """The photo files posted (an empty file input sends an empty, nameless part),
    each read up to one byte over the limit: the service says it is too large."""
    out = []
    for item in form.getall("photo", []):
        if isinstance(item, FileField) and (item.filename or "").strip():
            data = item.file.read(MAX_BYTES + 1)
            if data:
                out.append(data)
    return out


def _scan_id(text: str) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise InvalidInput("scan must be a scan's number")
    return int(text)


async def report(call: ConsoleCall) -> Page | web.StreamResponse:
    form = await call.form()
    values = {k: _text(form, k, limit) for k, limit in _REPORT_FIELDS.items()}
    try:
        request = ReportRequest(
            code=values["code"],
            gtin=values["gtin"] or None,
            lot=values["lot"] or None,
            scan_id=_scan_id(values["scan"]),
            place=values["place"],
            note=values["note"],
            contact=values["contact"],
        )
        filed = await call.engine.reports.file(_who(call), request, _photos(form))
    except VerisealError as exc:
        if exc.http_status >= 500:
            raise
        return _report_page(call, values, _problem(call, exc), exc.http_status)
    # the report's own page thanks the reporter and names the number (no resubmission
    # on reload: post, then redirect)
    return call.redirect(f"/console/reports/{filed.id}?filed=1")


_PROBLEMS = {
    "report_invalid": (
        "Name the item: its code, its product or your scan of it.",
        "请填写商品信息：防伪码、商品条码或您的查验记录。",
    ),
    "photo_invalid": (
        "A photo is not a JPEG, PNG or WebP image we can read.",
        "有照片不是可读取的 JPEG、PNG 或 WebP 图片。",
    ),
    "photo_too_large": ("A photo is larger than 8 MB.", "有照片超过 8 MB。"),
    "too_many_photos": ("At most 3 photos.", "最多上传 3 张照片。"),
    "rate_limited": (
        "You have sent many reports today: thank you, please try again tomorrow.",
        "您今天的举报次数较多，感谢支持，请明天再试。",
    ),
}


def _problem(call: ConsoleCall, exc: VerisealError) -> str:
    en, zh = _PROBLEMS.get(exc.code, (exc.message, exc.message))
    return call.t(f"{en} ({exc.message})", f"{zh}（{exc.message}）")


async def report_view(call: ConsoleCall) -> Page:
    who = _who(call)
    found = await call.engine.reports.get(who, call.int_param("id"))
    return Page(
        "consumer/report_view.html",
        {
            "r": found,
            "mine": found.user_id is not None and found.user_id == who.user_id,
            "filed": call.query.get("filed") == "1",
        },
    )


async def report_photo(call: ConsoleCall) -> web.StreamResponse:
    data, media = await call.engine.reports.photo(
        _who(call), call.int_param("id"), call.int_param("n")
    )
    # personal data: kept out of every cache, shown inline as the image it is
    headers = {"Cache-Control": "private, no-store", "Content-Disposition": "inline"}
    return web.Response(body=data, content_type=media, headers=headers)


# -- messages --------------------------------------------------------------------------
def _messages(call: ConsoleCall) -> UserMessages:
    return UserMessages(call.engine.notifier, call.engine.accounts.store)


def _type_name(call: ConsoleCall, mtype: MessageType) -> str:
    found = spec(mtype)
    return call.t(found.name_en, found.name_zh) if found else str(mtype)


async def messages(call: ConsoleCall) -> Page:
    who = _who(call)
    query = call.query.get("q", "").strip()[:200]
    unread_only = call.query.get("unread") == "1"
    limit = page_size(call)
    error = ""
    box = _messages(call)
    try:
        found = await box.history(who, HistoryFilter(
            query=query or None, read=False if unread_only else None,
            before_id=page_cursor(call), limit=limit,
        ))  # fmt: skip
    except SearchQueryInvalid:
        found = []
        error = call.t("Type a word to search for.", "请输入要搜索的词。")
    return Page(
        "consumer/messages.html",
        {
            "messages": found,
            "names": {m.id: _type_name(call, m.type) for m in found},
            "q": query,
            "unread_only": unread_only,
            "unread": await box.unread(who),
            "error": error,
            "next_cursor": found[-1].id if len(found) >= limit else None,
        },
    )


def _ids(form: MultiMapping[Any]) -> list[int]:
    out = []
    for value in form.getall("id", []):
        if not isinstance(value, str) or not value.isascii() or not value.isdigit():
            raise InvalidInput("id must be a message's number")
        out.append(int(value))
    return out[:1000]


async def mark_read(call: ConsoleCall) -> web.StreamResponse:
    form = await call.form()
    box = _messages(call)
    if form.get("all") == "1":
        await box.mark_all_read(_who(call))
    else:
        await box.mark(_who(call), _ids(form), form.get("read", "1") != "0")
    back = _text(form, "back", 500)
    to = back if back.startswith("/console/messages") else "/console/messages"
    return call.redirect(to)


def _settings_page(
    call: ConsoleCall, prefs: list[Preference], error: str = "", status: int = 200
) -> Page:
    window = next((p.dnd for p in prefs if p.dnd is not None), None)
    rows = [
        {
            "type": str(p.type),
            "name": _type_name(call, p.type),
            "channels": {str(c) for c in p.channels},
            "never_held": never_held(p.type),
        }
        for p in prefs
    ]
    return Page(
        "consumer/message_settings.html",
        {
            "rows": rows,
            "channels": [str(c) for c in Channel],
            "dnd": window,
            "tz": window.tz if window else call.tz.key,
            "error": error,
        },
        status,
    )


async def settings(call: ConsoleCall) -> Page:
    return _settings_page(call, await _messages(call).preferences(_who(call)))


async def save_settings(call: ConsoleCall) -> Page | web.StreamResponse:
    """Channels per message type, and one quiet-hours window for every type a window
    may hold (security notices never wait)."""
    who = _who(call)
    box = _messages(call)
    prefs = await box.preferences(who)
    form = await call.form()
    try:
        window = None
        if form.get("dnd") == "on":
            window = DndWindow.parse(
                _text(form, "dnd_start", 5), _text(form, "dnd_end", 5), call.tz.key
            )
        for pref in prefs:
            chosen = [v for v in form.getall(f"ch:{pref.type}", []) if isinstance(v, str)]
            held = not never_held(pref.type)
            await box.set_preference(
                who,
                pref.type,
                parse_channels(chosen),
                window if held else None,
                clear_dnd=held and window is None,
            )
    except NotifyInputInvalid as exc:
        text = call.t(
            f"Check the hours: {exc.message}",
            f"请检查免打扰时段（开始与结束不能相同）：{exc.message}",
        )
        return _settings_page(call, prefs, text, exc.http_status)
    return call.redirect("/console/messages/settings", "Saved.", "已保存。")


A = Action
VIEWS = [
    ConsoleView("GET", "/console/scan", scan_form, A.SCANS_OWN),
    ConsoleView("POST", "/console/scan", scan, A.SCANS_OWN),
    ConsoleView("GET", "/console/my/scans", my_scans, A.SCANS_OWN),
    ConsoleView("GET", "/console/product/{gtin}", product, A.SCANS_OWN),
    ConsoleView("GET", "/console/report", report_form, A.REPORTS_FILE),
    ConsoleView("POST", "/console/report", report, A.REPORTS_FILE),
    # the reporter or the brand's alert readers: the report service decides
    ConsoleView("GET", "/console/reports/{id}", report_view),
    ConsoleView("GET", "/console/reports/{id}/photo/{n}", report_photo),
    ConsoleView("GET", "/console/messages", messages, A.MESSAGES_OWN),
    ConsoleView("POST", "/console/messages/read", mark_read, A.MESSAGES_OWN),
    ConsoleView("GET", "/console/messages/settings", settings, A.MESSAGES_OWN),
    ConsoleView("POST", "/console/messages/settings", save_settings, A.MESSAGES_OWN),
]
PAGES = [
    ConsolePage("/console/scan", "Scan a code", "扫码验证", A.SCANS_OWN, "home", 20),
    ConsolePage("/console/my/scans", "My scans", "我的查验", A.SCANS_OWN, "home", 30),
    ConsolePage("/console/report", "Report a fake", "举报假货", A.REPORTS_FILE, "home", 40),
    ConsolePage("/console/messages", "Messages", "消息", A.MESSAGES_OWN, "messages", 10),
    ConsolePage("/console/messages/settings", "Notification settings", "通知设置",
                A.MESSAGES_OWN, "messages", 20),
]  # fmt: skip
