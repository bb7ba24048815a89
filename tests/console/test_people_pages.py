"""The console's people pages against a real server: users and roles, the organisation
tree, real-name review with audited document views, broadcasts and the audit log, each
seen by the roles that may and may not use them."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

from multidict import CIMultiDictProxy
from PIL import Image
from playwright.async_api import async_playwright

from tests.server.test_browser import CHROMIUM, FLAGS
from veriseal.accounts.models import SYSTEM, AuditQuery, KycStatus, Principal, Role, UserStatus
from veriseal.notifications import HistoryFilter

from .conftest import PW, ConsoleClient, ConsoleLive


async def fetch(client: ConsoleClient, path: str) -> tuple[int, CIMultiDictProxy[str], bytes]:
    """Status, headers and body of a GET, not followed (for files)."""
    async with client.session.get(client.base + path, allow_redirects=False) as r:
        return r.status, r.headers, await r.read()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (480, 300), (40, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def select_values(html: str, name: str) -> list[str]:
    """The option values of the ``<select name=...>`` in ``html``."""
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert found, f"no select {name}"
    return [v for v in re.findall(r'<option value="([^"]*)"', found.group(1)) if v]


async def _principal(console: ConsoleLive, name: str) -> Principal:
    accounts = console.engine.accounts
    return await accounts.principal(await accounts.store.get_user(console.user_ids[name]))


async def test_brand_admin_creates_a_retailer_through_the_form(console: ConsoleLive) -> None:
    admin = await console.client("brand_admin")
    status, html = await admin.get("/console/users/new")
    assert status == 200
    roles = select_values(html, "role")
    assert "retailer" in roles and "brand_admin" in roles and "platform_admin" not in roles
    assert str(console.orgs["shop"]) in select_values(html, "org")
    status, html = await admin.post(
        "/console/users/new",
        {
            "contact": "138 0000 1111",
            "display_name": "新店员 Clerk",
            "role": "retailer",
            "org": str(console.orgs["shop"]),
            "password": PW,
        },
    )
    assert status == 200 and "新店员 Clerk" in html and "/role" in html  # its own page
    found = await console.engine.accounts.store.find_user("+8613800001111")
    assert found is not None
    user = found[0]
    assert (user.role, user.org_id, user.status) == (
        Role.RETAILER,
        console.orgs["shop"],
        UserStatus.ACTIVE,
    )
    # the new user signs in with the password the admin set
    clerk = await console.anonymous()
    await clerk.get("/console/signin")
    status, html = await clerk.post(
        "/console/signin", {"identifier": "13800001111", "password": PW}
    )
    assert status == 200 and "/console/signout" in html
    # the same contact again: the form comes back with the problem, nothing is added
    status, html = await admin.post(
        "/console/users/new",
        {
            "contact": "13800001111",
            "display_name": "Again",
            "role": "retailer",
            "org": str(console.orgs["shop"]),
        },
    )
    assert status == 409 and 'role="alert"' in html and 'value="Again"' in html
    # a brand role does not belong to a dealer organisation: inline error
    status, html = await admin.post(
        "/console/users/new",
        {
            "contact": "x@demo.example",
            "display_name": "X",
            "role": "inspector",
            "org": str(console.orgs["shop"]),
        },
    )
    assert status == 400 and 'role="alert"' in html
    assert await console.engine.accounts.store.find_user("x@demo.example") is None


async def test_distributor_sees_its_subtree_only(console: ConsoleLive) -> None:
    dist = await console.client("distributor")
    status, html = await dist.get("/console/users")
    assert status == 200
    names = re.findall(r'<a href="/console/users/\d+">([^<]+)</a>', html)
    assert sorted(names) == ["Distributor", "Retailer"]
    status, _ = await dist.get(f"/console/users?org={console.orgs['dist2']}")
    assert status == 403
    status, _ = await dist.get(f"/console/users/{console.user_ids['retailer2']}")
    assert status == 403
    status, html = await dist.get("/console/users?role=retailer&q=RETAIL")
    assert re.findall(r'<a href="/console/users/\d+">([^<]+)</a>', html) == ["Retailer"]
    status, html = await dist.get("/console/orgs")
    assert status == 200 and "杭州门店 Hangzhou" in html and "华南经销商 South" not in html
    assert "华东经销商 East" in html
    for path in ("/console/kyc", "/console/audit", "/console/broadcast"):
        status, html = await dist.get(path)
        assert status == 403, path
    _, home = await dist.get("/console/")
    assert 'href="/console/users"' in home and 'href="/console/kyc"' not in home


async def test_users_list_filters_pages_and_exports(console: ConsoleLive) -> None:
    admin = await console.client("brand_admin")
    status, html = await admin.get("/console/users?limit=2")
    assert status == 200 and 'rel="next"' in html
    cursor = re.search(r'href="([^"]*cursor=\d+[^"]*)" rel="next"', html)
    assert cursor
    status, second = await admin.get(cursor.group(1).replace("&amp;", "&"))
    first_names = re.findall(r'<a href="/console/users/\d+">([^<]+)</a>', html)
    second_names = re.findall(r'<a href="/console/users/\d+">([^<]+)</a>', second)
    assert len(first_names) == 2 and not set(first_names) & set(second_names)
    status, headers, body = await fetch(
        admin, f"/console/users?export=csv&org={console.orgs['dist']}"
    )
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert sorted(row[1] for row in rows[1:]) == ["Distributor", "Retailer"]
    status, headers, body = await fetch(admin, "/console/users?export=xlsx&role=inspector")
    assert status == 200 and body[:2] == b"PK"
    status, _ = await admin.get("/console/users?role=wizard")
    assert status == 400
    status, html = await admin.get("/console/users?q=%00Retail")  # NUL: dropped, not a 500
    assert status == 200 and "Retailer2" in html and "Consumer" not in html


async def test_platform_admin_sees_everyone_and_picks_a_tree(console: ConsoleLive) -> None:
    platform = await console.client("platform_admin")
    status, html = await platform.get("/console/users?q=consumer")
    assert status == 200 and ">Consumer</a>" in html  # outside any organisation
    status, html = await platform.get("/console/orgs")
    assert status == 200 and 'name="root"' in html
    status, html = await platform.get(f"/console/orgs?root={console.orgs['dist2']}")
    assert status == 200 and "广州门店 Guangzhou" in html and "杭州门店" not in html
    retailer = await console.client("retailer")
    status, _ = await retailer.get("/console/users")
    assert status == 403


async def test_kyc_document_views_are_audited(console: ConsoleLive) -> None:
    kyc = console.engine.kyc
    sub = await kyc.submit_enterprise(
        await _principal(console, "distributor"), "华东经销有限公司", "91350100M000100Y43", jpeg()
    )
    admin = await console.client("brand_admin")
    status, html = await admin.get("/console/kyc")
    assert status == 200 and f'href="/console/kyc/{sub.id}"' in html
    status, html = await admin.get(f"/console/kyc/{sub.id}")
    assert status == 200 and f'src="/console/kyc/{sub.id}/document/1"' in html
    assert "91350100M000100Y43" not in html  # the full number never reaches a page
    accounts = console.engine.accounts
    reads = AuditQuery(action="kyc.document_read", target=f"kyc:{sub.id}")
    assert await accounts.audit_log(SYSTEM, reads) == []  # the page alone reads nothing
    status, headers, body = await fetch(admin, f"/console/kyc/{sub.id}/document/1")
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Disposition"].startswith("inline")
    assert Image.open(io.BytesIO(body)).size == (480, 300)
    [row] = await accounts.audit_log(SYSTEM, reads)
    assert row.actor_id == console.user_ids["brand_admin"] and row.client == "127.0.0.1"
    assert row.details["document"] == 1
    # the audit page shows it, and the submission's page lists it
    status, html = await admin.get("/console/audit?action=kyc.document_read")
    assert status == 200 and 'data-action="kyc.document_read"' in html
    assert f"kyc:{sub.id}" in html and "Brand Admin" in html
    _, html = await admin.get(f"/console/kyc/{sub.id}")
    assert "kyc.document_read" in html
    # no such document; a distributor (no reviewer) is refused and nothing is logged
    status, headers, body = await fetch(admin, f"/console/kyc/{sub.id}/document/2")
    assert status == 404
    dist = await console.client("distributor")
    status, headers, body = await fetch(dist, f"/console/kyc/{sub.id}/document/1")
    assert status == 403 and headers["Content-Type"].startswith("text/html")
    assert len(await accounts.audit_log(SYSTEM, reads)) == 1


async def test_a_consumers_document_is_the_platforms_to_read(console: ConsoleLive) -> None:
    kyc = console.engine.kyc
    sub = await kyc.submit_person(
        await _principal(console, "consumer"), "张三", "11010519491231002X", jpeg()
    )
    admin = await console.client("brand_admin")
    status, _, _ = await fetch(admin, f"/console/kyc/{sub.id}/document/1")
    assert status == 403
    _, html = await admin.get("/console/kyc")
    assert f'href="/console/kyc/{sub.id}"' not in html
    platform = await console.client("platform_admin")
    status, _, _ = await fetch(platform, f"/console/kyc/{sub.id}/document/1")
    assert status == 200


async def test_review_approve_and_reject_with_reason(console: ConsoleLive) -> None:
    kyc = console.engine.kyc
    dealer = await _principal(console, "distributor2")
    sub = await kyc.submit_enterprise(dealer, "South Co.", "91350100M000100Y43", jpeg())
    admin = await console.client("brand_admin")
    status, html = await admin.post(f"/console/kyc/{sub.id}/review", {"decision": "reject"})
    assert status == 400 and 'role="alert"' in html
    assert (await kyc.get(SYSTEM, sub.id)).status is KycStatus.PENDING
    status, _ = await admin.post(
        f"/console/kyc/{sub.id}/review", {"decision": "reject", "reason": "执照照片模糊"}
    )
    assert status == 200
    rejected = await kyc.get(SYSTEM, sub.id)
    assert (rejected.status, rejected.reason) == (KycStatus.REJECTED, "执照照片模糊")
    again = await kyc.submit_enterprise(dealer, "South Co.", "91350100M000100Y43", jpeg())
    status, html = await admin.post(f"/console/kyc/{again.id}/review", {"decision": "approve"})
    assert status == 200 and f'href="/console/kyc/{again.id}"' not in html  # off the list
    assert (await kyc.get(SYSTEM, again.id)).status is KycStatus.APPROVED


async def test_distributor_cannot_grant_brand_admin(console: ConsoleLive) -> None:
    dist = await console.client("distributor")
    status, html = await dist.get("/console/users/new")
    assert status == 200
    assert sorted(select_values(html, "role")) == ["distributor", "retailer"]
    assert str(console.orgs["dist2"]) not in select_values(html, "org")
    for org in ("dist", "brand"):
        status, html = await dist.post(
            "/console/users/new",
            {
                "contact": f"boss-{org}@demo.example",
                "display_name": "Boss",
                "role": "brand_admin",
                "org": str(console.orgs[org]),
            },
        )
        assert status == 403 and 'data-code="forbidden"' in html
        assert await console.engine.accounts.store.find_user(f"boss-{org}@demo.example") is None
    # a retailer in someone else's subtree: refused as well
    status, _ = await dist.post(
        "/console/users/new",
        {
            "contact": "far@demo.example",
            "display_name": "Far",
            "role": "retailer",
            "org": str(console.orgs["shop2"]),
        },
    )
    assert status == 403
    # ... while its own subtree is fine
    status, html = await dist.post(
        "/console/users/new",
        {
            "contact": "near@demo.example",
            "display_name": "Near",
            "role": "retailer",
            "org": str(console.orgs["shop"]),
        },
    )
    assert status == 200 and "Near" in html
    # role changes are the admins' (the distributor's page offers none)
    target = console.user_ids["retailer"]
    _, html = await dist.get(f"/console/users/{target}")
    assert f"/console/users/{target}/role" not in html
    status, _ = await dist.post(f"/console/users/{target}/role", {"role": "brand_admin"})
    assert status == 403
    user = await console.engine.accounts.store.get_user(target)
    assert user.role is Role.RETAILER


async def test_admin_changes_role_disables_and_sees_sign_ins(console: ConsoleLive) -> None:
    admin = await console.client("brand_admin")
    target = console.user_ids["retailer2"]
    await console.client("retailer2")  # one sign-in to show
    status, html = await admin.get(f"/console/users/{target}")
    assert status == 200 and "127.0.0.1" in html  # its recent sign-ins
    status, html = await admin.post(f"/console/users/{target}/role", {"role": "inspector"})
    assert status == 400 and 'role="alert"' in html  # a brand role in a dealer org
    status, _ = await admin.post(f"/console/users/{target}/role", {"role": "distributor"})
    assert status == 200
    assert (await console.engine.accounts.store.get_user(target)).role is Role.DISTRIBUTOR
    status, _ = await admin.post(f"/console/users/{target}/status", {"status": "disabled"})
    assert status == 200
    assert (await console.engine.accounts.store.get_user(target)).status is UserStatus.DISABLED
    c = await console.anonymous()
    await c.get("/console/signin")
    login, pw = console.users["retailer2"]
    status, _ = await c.post("/console/signin", {"identifier": login, "password": pw})
    assert status == 401
    _, html = await admin.get(f"/console/audit?target=user:{target}")
    assert 'data-action="user.role"' in html and 'data-action="user.disabled"' in html
    status, _ = await admin.post(f"/console/users/{target}/status", {"status": "active"})
    assert (await console.engine.accounts.store.get_user(target)).status is UserStatus.ACTIVE


async def test_org_tree_and_adding_a_dealer(console: ConsoleLive) -> None:
    admin = await console.client("brand_admin")
    status, html = await admin.get("/console/orgs")
    assert status == 200
    for name in ("华东经销商 East", "杭州门店 Hangzhou", "华南经销商 South", "广州门店 Guangzhou"):
        assert name in html
    # nested: Hangzhou is inside East's branch, before South
    assert (
        html.index("华东经销商 East")
        < html.index("杭州门店 Hangzhou")
        < html.index("华南经销商 South")
    )
    dist = await console.client("distributor")
    status, _ = await dist.post(
        "/console/orgs",
        {"parent": str(console.orgs["dist"]), "kind": "retailer", "name": "宁波门店"},
    )
    assert status == 200
    _, html = await dist.get("/console/orgs")
    assert "宁波门店" in html
    status, _ = await dist.post(
        "/console/orgs",
        {"parent": str(console.orgs["dist2"]), "kind": "retailer", "name": "越界门店"},
    )
    assert status == 403
    status, html = await dist.post(
        "/console/orgs", {"parent": str(console.orgs["dist"]), "kind": "retailer", "name": " "}
    )
    assert status == 400 and 'role="alert"' in html
    retailer = await console.client("retailer")
    status, html = await retailer.get("/console/orgs")
    assert status == 200 and "杭州门店 Hangzhou" in html and "华东经销商 East" not in html
    assert 'action="/console/orgs"' not in html  # a retailer adds nothing


async def test_broadcast_reaches_the_subtree_only(console: ConsoleLive) -> None:
    admin = await console.client("brand_admin")
    status, html = await admin.get("/console/broadcast")
    assert status == 200 and "system_notice" in select_values(html, "type")
    form = {
        "org": str(console.orgs["dist"]),
        "type": "system_notice",
        "title_en": "Stock count",
        "title_zh": "盘点通知",
        "body_en": "Count your stock on Friday.",
        "body_zh": "请于周五盘点库存。",
    }
    status, html = await admin.post("/console/broadcast", {**form, "step": "preview"})
    assert status == 200 and 'data-recipients="2"' in html  # East's distributor and shop
    inbox = console.engine.notifier.inbox
    retailer = console.user_ids["retailer"]
    assert await inbox.history(retailer, HistoryFilter(query="盘点")) == []  # not sent yet
    status, html = await admin.post("/console/broadcast", {**form, "step": "send"})
    assert status == 200 and role_status(html)
    for name, reached in (
        ("retailer", True),
        ("distributor", True),
        ("retailer2", False),
        ("distributor2", False),
        ("brand_admin", False),
    ):
        got = await inbox.history(console.user_ids[name], HistoryFilter(query="盘点"))
        assert bool(got) is reached, name
    [message] = await inbox.history(retailer, HistoryFilter(query="盘点"))
    assert message.title == "Stock count / 盘点通知"
    assert "Count your stock" in message.body and "周五盘点" in message.body
    _, html = await admin.get("/console/audit?action=notify.")
    assert 'data-action="notify.broadcast"' in html
    status, html = await admin.post(
        "/console/broadcast", {**form, "title_en": "", "title_zh": "", "step": "send"}
    )
    assert status == 400 and 'role="alert"' in html


def role_status(html: str) -> bool:
    return 'class="flash" role="status"' in html


async def test_audit_is_the_brands_own(console: ConsoleLive) -> None:
    other = await console.engine.ledger.create_brand("other", "Other", "https://id.other.example")
    root = await console.engine.accounts.brand_org(other)
    elsewhere = await console.engine.accounts.create_user(
        SYSTEM,
        contact="elsewhere@other.example",
        display_name="Elsewhere",
        role=Role.BRAND_ADMIN,
        org_id=root.id,
    )
    admin = await console.client("brand_admin")
    status, html = await admin.get("/console/audit?action=user.")
    assert status == 200 and 'data-action="user.create"' in html
    assert f"user:{console.user_ids['retailer']}" in html
    assert f"user:{elsewhere.id}" not in html  # another brand's event
    status, _ = await admin.get("/console/audit?since=2020-13-01")
    assert status == 400
    status, html = await admin.get("/console/audit?since=2999-01-01")
    assert status == 200 and "data-action=" not in html


async def test_a_phone_browser_shows_the_document_and_the_lists(
    console: ConsoleLive, tmp_path: Path
) -> None:
    """In Debian's Chromium at phone width: the document image loads under the
    console's CSP from its audited view, and the list pages render; screenshots go
    to $VERISEAL_SCREENSHOTS (else the test's folder)."""
    shots = Path(os.environ.get("VERISEAL_SCREENSHOTS", str(tmp_path)))
    sub = await console.engine.kyc.submit_enterprise(
        await _principal(console, "distributor"), "华东经销有限公司", "91350100M000100Y43", jpeg()
    )
    login, pw = console.users["brand_admin"]
    blocked: list[str] = []
    async with async_playwright() as play:
        browser = await play.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            phone = await browser.new_context(
                locale="zh-CN", viewport={"width": 412, "height": 915}, is_mobile=True
            )
            page = await phone.new_page()
            page.on(
                "console",
                lambda m: blocked.append(m.text) if "Content Security" in m.text else None,
            )
            await page.goto(console.base + "/console/signin")
            await page.fill("input[name=identifier]", login)
            await page.fill("input[name=password]", pw)
            await page.click("form[action='/console/signin'] button[type=submit]")
            await page.wait_for_url("**/console/")
            await page.goto(f"{console.base}/console/kyc/{sub.id}")
            image = page.locator("figure.document img")
            await image.scroll_into_view_if_needed()
            await page.wait_for_function(
                "() => { const i = document.querySelector('figure.document img');"
                " return i && i.complete && i.naturalWidth > 0; }"
            )
            assert await image.evaluate("i => i.naturalWidth") == 480
            box = await image.bounding_box()
            assert box is not None and box["width"] <= 412  # fits the phone
            await page.screenshot(path=str(shots / "console-kyc-phone.png"), full_page=True)
            for path, name in (
                ("/console/users", "users"),
                ("/console/orgs", "orgs"),
                ("/console/audit", "audit"),
            ):
                await page.goto(console.base + path)
                await page.screenshot(path=str(shots / f"console-{name}-phone.png"), full_page=True)
        finally:
            await browser.close()
    assert blocked == []
    reads = AuditQuery(action="kyc.document_read", target=f"kyc:{sub.id}")
    assert len(await console.engine.accounts.audit_log(SYSTEM, reads)) >= 1
