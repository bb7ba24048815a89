"""A consumer in the console, over real HTTP: scan a demo code and find it in "my scans",
read the product, report a suspected fake with a real photo the brand admin then sees
(nobody else), search messages in Chinese, set quiet hours."""

from __future__ import annotations

import io
import re

import aiohttp
from PIL import Image

from veriseal.accounts.models import SYSTEM, Role
from veriseal.demo import DEMO_PRODUCT
from veriseal.models import AlertKind
from veriseal.notifications import HistoryFilter
from veriseal.notifications.models import MessageType

from .conftest import PW, ConsoleClient, ConsoleLive


def png(size: tuple[int, int] = (480, 360)) -> bytes:
    image = Image.new("RGB", size, (200, 200, 190))
    image.paste((160, 20, 20), (40, 40, 300, 200))  # a label, more or less
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def post_multipart(
    client: ConsoleClient, path: str, fields: dict[str, str], photos: list[bytes]
) -> tuple[int, str, str]:
    """A form with files, as a browser sends it: (status, html, final path)."""
    form = aiohttp.FormData()
    form.add_field("_csrf", client.csrf)
    for name, value in fields.items():
        form.add_field(name, value)
    for i, data in enumerate(photos):
        form.add_field("photo", io.BytesIO(data), filename=f"IMG_{i}.png",
                       content_type="image/png")  # fmt: skip
    async with client.session.post(client.base + path, data=form) as r:
        return r.status, await r.text(), r.url.path


async def another_consumer(console: ConsoleLive, name: str) -> ConsoleClient:
    login = f"{name}@demo.example"
    await console.engine.accounts.create_user(
        SYSTEM, contact=login, display_name=name, role=Role.CONSUMER, org_id=None, password=PW
    )
    console.users[name] = (login, PW)
    return await console.client(name)


async def test_a_consumer_scans_and_finds_it_in_my_scans(console: ConsoleLive) -> None:
    me = await console.client("consumer")
    status, html = await me.get("/console/scan")
    assert status == 200 and "data-scanner" in html and 'name="code"' in html
    code = console.codes[0]  # a compact code without PIN
    status, html = await me.post("/console/scan", {"code": code.uri, "lat": "30.2741",
                                                   "lon": "120.1551", "acc": "15"})  # fmt: skip
    assert status == 200 and 'data-outcome="genuine"' in html
    product_url = re.search(r'id="product-link" href="([^"]+)"', html)
    assert product_url is not None

    status, html = await me.get("/console/my/scans")
    assert status == 200 and 'id="my-scans"' in html
    serial = code.uri.split("/21/")[1].split("?")[0]
    assert "••••" + serial[-4:] in html and serial not in html  # masked
    assert "浙江" in html or "Zhejiang" in html  # the region, by name
    [row] = (
        await console.engine.scans.my_scans(
            await console.engine.accounts.principal(
                await console.engine.accounts.store.get_user(console.user_ids["consumer"])
            )
        )
    ).items
    assert row.channel == "console"

    # the product page reached from the verdict: facts and the lot's recall state
    status, html = await me.get(product_url.group(1).replace("&amp;", "&"))
    assert status == 200 and DEMO_PRODUCT in html and "250 g" in html
    assert code.lot in html and 'id="recalled"' not in html and 'id="report-link"' in html

    # a fake shows what to do, with the way to report it
    status, html = await me.post(
        "/console/scan", {"code": "https://x.example/01/09506000134352/21/FAKE1"}
    )
    assert status == 200 and 'data-outcome="invalid"' in html and 'id="report-link"' in html

    # another user sees none of it
    other = await another_consumer(console, "other")
    status, html = await other.get("/console/my/scans")
    assert status == 200 and serial[-4:] not in html and 'id="my-scans"' not in html


async def test_a_report_with_a_photo_reaches_the_brand_only(console: ConsoleLive) -> None:
    me = await console.client("consumer")
    status, html = await me.get("/console/report?gtin=09506000134352")
    assert status == 200 and 'enctype="multipart/form-data"' in html
    status, html, where = await post_multipart(
        me, "/console/report",
        {"code": console.codes[0].uri, "place": "城东农贸市场", "note": "茶叶颜色不对，包装粗糙",
         "contact": "", "gtin": "", "lot": "", "scan": ""},
        [png()],
    )  # fmt: skip
    assert status == 200 and 'id="thanks"' in html, html[:3000]
    number = re.search(r'id="report-number">(\d+)<', html)
    assert number is not None and where == f"/console/reports/{number.group(1)}"
    report_id = int(number.group(1))

    # the brand's alert, and the brand admin's message leading to the report
    brand = await console.engine.brand(None)
    [alert] = await console.engine.ledger.list_alerts(brand.id, kind=AlertKind.CONSUMER_REPORT)
    assert f'"report_id": {report_id}' in alert.alert.details
    admin = await console.client("brand_admin")
    status, html = await admin.get("/console/messages")
    assert status == 200 and f"/console/reports/{report_id}" in html
    status, html = await admin.get(f"/console/reports/{report_id}")
    assert status == 200 and "茶叶颜色不对" in html and "城东农贸市场" in html
    photo_url = f"/console/reports/{report_id}/photo/1"
    assert photo_url in html
    r = await admin.raw("GET", photo_url)
    assert r.status == 200 and r.content_type == "image/jpeg"
    assert "no-store" in r.headers["Cache-Control"]
    async with admin.session.get(admin.base + photo_url) as resp:
        shown = Image.open(io.BytesIO(await resp.read()))
    assert shown.format == "JPEG" and shown.size == (480, 360)
    async with console.engine.ledger.read() as tx:
        reads = await tx.fetch(
            "SELECT actor_id FROM audit_log WHERE action = 'report.photo_read' AND target = ?",
            f"report:{report_id}",
        )
    assert {r["actor_id"] for r in reads} == {console.user_ids["brand_admin"]}

    # the reporter reads their own; another consumer, a dealer: no
    status, _ = await me.get(f"/console/reports/{report_id}")
    assert status == 200
    stranger = await another_consumer(console, "stranger")
    retailer = await console.client("retailer")
    for client in (stranger, retailer):
        for path in (f"/console/reports/{report_id}", photo_url):
            status, html = await client.get(path)
            assert status in (403, 404), (path, status)


async def test_a_bad_photo_rerenders_the_form(console: ConsoleLive) -> None:
    me = await console.client("consumer")
    await me.get("/console/report")
    status, html, _ = await post_multipart(
        me, "/console/report", {"code": "X", "note": "保留我的说明"}, [b"<html>not a photo"]
    )
    assert status == 400 and 'role="alert"' in html and "保留我的说明" in html
    status, html, _ = await post_multipart(me, "/console/report", {"note": "?"}, [])
    assert status == 400 and 'role="alert"' in html
    async with console.engine.ledger.read() as tx:
        row = await tx.fetchrow("SELECT COUNT(*) AS n FROM fake_reports")
    assert row is not None and row["n"] == 0


async def test_messages_are_searched_in_chinese_and_marked_read(console: ConsoleLive) -> None:
    uid = console.user_ids["consumer"]
    notifier = console.engine.notifier
    await notifier.notify(uid, MessageType.SYSTEM_NOTICE, "新品上市", "春茶已到店，欢迎品尝。")
    wanted = await notifier.notify(
        uid, MessageType.SYSTEM_NOTICE, "防伪提醒", "近期发现窜货和假冒龙井，请认准防伪码。"
    )
    me = await console.client("consumer")
    status, html = await me.get("/console/messages?q=窜货")
    assert status == 200 and "防伪提醒" in html and "新品上市" not in html
    status, html = await me.get("/console/messages?q=%21%21")  # nothing to search for
    assert status == 200 and 'role="alert"' in html
    status, html = await me.post(
        "/console/messages/read", {"id": str(wanted.message_id), "read": "1",
                                   "back": "/console/messages?q=窜货"},
    )  # fmt: skip
    assert status == 200
    [found] = await notifier.inbox.history(uid, HistoryFilter(query="窜货"))
    assert found.read
    status, html = await me.get("/console/messages?unread=1")
    assert "新品上市" in html and "防伪提醒" not in html
    await me.post("/console/messages/read", {"all": "1"})
    assert await notifier.inbox.unread_count(uid) == 0


async def test_quiet_hours_and_channels_are_saved(console: ConsoleLive) -> None:
    uid = console.user_ids["consumer"]
    me = await console.client("consumer")
    status, html = await me.get("/console/messages/settings")
    assert status == 200 and 'name="dnd_start"' in html
    status, html = await me.post(
        "/console/messages/settings",
        {"dnd": "on", "dnd_start": "22:30", "dnd_end": "07:00",
         "ch:system_notice": "inbox", "ch:security_notice": "inbox"},
    )  # fmt: skip
    assert status == 200 and 'value="22:30"' in html
    prefs = console.engine.notifier.preferences
    notice = await prefs.get(uid, MessageType.SYSTEM_NOTICE)
    assert notice.dnd is not None and notice.dnd.start.strftime("%H:%M") == "22:30"
    assert notice.channels == ("inbox",)
    security = await prefs.get(uid, MessageType.SECURITY_NOTICE)
    assert security.dnd is None  # never held
    # a window that starts when it ends is refused, and nothing changes
    status, html = await me.post(
        "/console/messages/settings", {"dnd": "on", "dnd_start": "08:00", "dnd_end": "08:00"}
    )
    assert status == 400 and 'role="alert"' in html
    assert (await prefs.get(uid, MessageType.SYSTEM_NOTICE)).dnd == notice.dnd
    # switched off
    await me.post("/console/messages/settings", {"ch:system_notice": "inbox"})
    assert (await prefs.get(uid, MessageType.SYSTEM_NOTICE)).dnd is None
