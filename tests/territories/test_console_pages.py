"""The territories plugin's console pages on a real server (tests/console/conftest.py):
dealers ship and receive by typing codes, each reader sees only its part of the channel,
brand admins decide diversion alerts and dealers read the outcome, every POST form
carries the CSRF field and no page holds inline script or style."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from tests.console import conftest as shell
from tests.console.conftest import ConsoleClient, ConsoleLive
from tests.territories.conftest import approve
from tests.territories.test_shipments_diversion import sscc
from veriseal import demo
from veriseal.accounts.models import SYSTEM
from veriseal.catalog.minting import Minter
from veriseal.lifecycle.aggregation import Children, PackRequest
from veriseal.lifecycle.events import BatchRange, Where
from veriseal_territories.service import Territories, of

#: the fixture's organisations as dealers: "dist" (with its shop "shop") in Zhejiang,
#: "dist2" (with "shop2") in Guangdong
DEALERS = {"dist": ("E01", "CN-ZJ"), "shop": ("E01-R1", "330100"),
           "dist2": ("S01", "CN-GD"), "shop2": ("S01-R1", "440100")}  # fmt: skip
#: the console shell's fixture (tests/console/conftest.py), used here by its name
console = shell.console
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def services(console: ConsoleLive) -> Territories:
    return of(console.engine.plugins.context("territories"))


async def adopt(console: ConsoleLive) -> None:
    """Dealer data for the fixture's organisations: "dist" through the brand admin's
    form, the rest through the service."""
    admin = await console.client("brand_admin")
    status, page = await admin.get("/console/territories/org")
    assert status == 200 and 'action="/console/territories/org/adopt"' in page
    code, region = DEALERS["dist"]
    status, page = await admin.post("/console/territories/org/adopt", {
        "org": str(console.orgs["dist"]), "code": code, "regions": region})  # fmt: skip
    assert status == 200 and f"dealer {code}" in page.replace("经销商 ", "dealer "), page[-3000:]
    t = services(console)
    brand = await console.engine.brand(None)
    for key in ("shop", "dist2", "shop2"):
        code, region = DEALERS[key]
        await t.dealers.adopt(SYSTEM, brand.id, console.orgs[key], {"code": code,
                                                                    "regions": region})  # fmt: skip


async def case_of(console: ConsoleLive, n: int, first: int) -> tuple[str, list[str]]:
    """A case (SSCC) of demo batch DEMO-C1's items first..first+11, packed, and the
    printed links of those items."""
    engine = console.engine
    brand = await engine.brand(None)
    batch = await engine.batches.get(brand, f"{demo.DEMO_GTIN}/DEMO-C1")
    ranges = (BatchRange(batch.id, first, first + 11),)
    await engine.lifecycle.aggregation.pack(brand, PackRequest(sscc(n), Children(ranges)), Where())
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    with Minter(brand, batch, engine.keys.material(keys[batch.key_slot])) as m:
        chunk = m.chunk(first, first + 12)
    width = chunk.uris.shape[1]
    raw = chunk.uris.tobytes().decode()
    return sscc(n), [raw[i * width : (i + 1) * width] for i in range(12)]


def rows_of(page: str, table: str) -> list[str]:
    """The body rows of the table with id ``table``."""
    found = re.search(rf'<table[^>]*id="{table}".*?<tbody>(.*?)</tbody>', page, re.S)
    assert found, page[-2000:]
    return re.findall(r"<tr\b.*?</tr>", found.group(1), re.S)


def holders(page: str) -> dict[str, int]:
    """Holder code -> units on a holdings page."""
    out: dict[str, int] = {}
    for row in rows_of(page, "holdings"):
        m = re.search(r'data-holder="([^"]*)" data-units="(\d+)"', row)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + int(m.group(2))
    return out


def check_forms(page: str, where: str) -> None:
    """Every POST form carries the CSRF field; nothing inline for the CSP to block."""
    for attrs, body in _FORM.findall(page):
        if re.search(r'method="post"', attrs, re.I):
            assert 'name="_csrf"' in body, (where, attrs)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), where
    assert not re.search(r"\sstyle=|\son[a-z]+=", page, re.I), where


async def test_a_distributor_ships_a_case_by_typing_its_code(console: ConsoleLive) -> None:
    await adopt(console)
    case, links = await case_of(console, 1, 0)
    other_case, _ = await case_of(console, 2, 12)
    admin = await console.client("brand_admin")
    # the brand's warehouse ships both cases to E01 through the same form
    _, page = await admin.get("/console/territories/ship")
    assert 'data-scanner="multi"' in page and 'name="codes"' in page and 'name="code"' in page
    status, page = await admin.post("/console/territories/ship", {
        "to": "E01", "codes": f"{case}\n{other_case}", "client_id": "t-1"})  # fmt: skip
    assert status == 200 and 'id="ship-result"' in page, page[-3000:]
    dist = await console.client("distributor")
    _, page = await dist.get("/console/territories/holdings")
    assert holders(page) == {"E01": 24}
    # E01 ships one case to its shop by typing the SSCC, and one unit by its printed link
    _, page = await dist.get("/console/territories/ship")
    assert '<option value="E01-R1">' in page and '<option value="S01"' not in page
    status, page = await dist.post("/console/territories/ship", {
        "to": "E01-R1", "code": case, "codes": "", "client_id": "t-2"})  # fmt: skip
    assert status == 200 and 'id="ship-result"' in page, page[-3000:]
    assert "12" in re.search(r'id="ship-result".*?</section>', page, re.S).group(0)  # type: ignore[union-attr]
    _, page = await dist.get("/console/territories/holdings")
    assert holders(page) == {"E01": 12, "E01-R1": 12}
    assert "in transit" in page or "在途" in page
    # the same form sent again (a double tap) is recorded once
    await dist.post("/console/territories/ship", {"to": "E01-R1", "code": case,
                                                  "client_id": "t-2"})  # fmt: skip
    _, page = await dist.get("/console/territories/holdings")
    assert holders(page) == {"E01": 12, "E01-R1": 12}
    # units it does not hold are refused in the form, which keeps what was typed
    status, page = await dist.post("/console/territories/ship", {
        "to": "E01-R1", "codes": links[0], "client_id": "t-3"})  # fmt: skip
    assert status == 409 and 'id="ship-error"' in page and htmllib.escape(links[0]) in page
    # the shop receives it; both see the movement on their shipments page
    shop = await console.client("retailer")
    _, page = await shop.get("/console/territories/receive")
    assert 'data-scanner="multi"' in page
    status, page = await shop.post("/console/territories/receive",
                                   {"code": case, "client_id": "t-4"})  # fmt: skip
    assert status == 200 and 'id="receive-result"' in page, page[-3000:]
    _, page = await shop.get("/console/territories/holdings")
    assert holders(page) == {"E01-R1": 12}
    _, page = await dist.get("/console/territories/shipments")
    assert len(rows_of(page, "movements")) == 2  # E01's own: in from the warehouse, out
    _, page = await dist.get("/console/territories/shipments?scope=subtree")
    assert len(rows_of(page, "movements")) == 3  # and the shop's scan-in
    status, text = await dist.get("/console/territories/holdings?export=csv")
    assert status == 200 and text.splitlines()[0].lstrip("\ufeff").split(",")[0] in (
        "Product", "产品"
    )  # fmt: skip


async def test_a_dealer_sees_nothing_of_another_line(console: ConsoleLive) -> None:
    await adopt(console)
    t = services(console)
    brand = await console.engine.brand(None)
    case, _ = await case_of(console, 3, 24)
    await t.ship(SYSTEM, brand, "E01", [case])
    await t.receive(SYSTEM, brand, [case], at_ref="E01")
    other, _ = await case_of(console, 4, 36)
    await t.ship(SYSTEM, brand, "S01-R1", [other])
    # S01 (Guangdong) scans in a case E01 holds: a receipt alert for E01
    taken = await t.receive(SYSTEM, brand, [case], at_ref="S01")
    [alert_id] = taken.diversion_alerts
    shop, shop2 = await console.client("retailer"), await console.client("retailer2")
    dist, dist2 = await console.client("distributor"), await console.client("distributor2")
    _, page = await shop.get("/console/territories/holdings")
    assert holders(page) == {}
    _, page = await shop2.get("/console/territories/holdings")
    assert holders(page) == {"S01-R1": 12}
    _, page = await dist.get("/console/territories/holdings")
    assert "S01" not in holders(page)
    # naming another line's organisation, or a parent, is refused
    for client, org in ((shop, "shop2"), (shop, "dist"), (shop2, "shop"), (dist, "dist2"),
                        (dist2, "shop")):  # fmt: skip
        for path in ("holdings", "shipments", "grants", "alerts"):
            status, page = await client.get(f"/console/territories/{path}?org={console.orgs[org]}")
            assert status == 403 and 'data-code="forbidden"' in page, (path, org)
    # the alert is E01's: its own line sees it, the other line neither lists nor opens it
    _, page = await dist.get("/console/territories/alerts")
    assert f'data-alert="{alert_id}"' in page
    for client in (dist2, shop, shop2):
        _, page = await client.get("/console/territories/alerts")
        assert f'data-alert="{alert_id}"' not in page
    for client in (dist2, shop2, shop):
        status, _ = await client.get(f"/console/territories/alerts/{alert_id}")
        assert status == 403
    status, _ = await dist.get("/console/territories/alerts/999999")
    assert status == 404
    # shipments: S01-R1's never show on the other line's pages
    _, page = await dist.get("/console/territories/shipments?scope=subtree")
    assert "S01-R1" not in page
    # a consumer opens none of it
    consumer = await console.client("consumer")
    for path in ("holdings", "ship", "alerts", f"alerts/{alert_id}"):
        status, _ = await consumer.get(f"/console/territories/{path}")
        assert status == 403, path


async def test_brand_admin_confirms_with_a_penalty_and_the_dealer_sees_it(
    console: ConsoleLive,
) -> None:
    await adopt(console)
    t = services(console)
    brand = await console.engine.brand(None)
    case, _ = await case_of(console, 5, 48)
    await t.ship(SYSTEM, brand, "E01", [case])
    [alert_id] = (await t.receive(SYSTEM, brand, [case], at_ref="S01")).diversion_alerts
    admin = await console.client("brand_admin")
    _, page = await admin.get("/console/territories/alerts?level=suspected")
    assert f'data-alert="{alert_id}"' in page
    _, page = await admin.get("/console/territories/alerts?state=dismissed")
    assert f'data-alert="{alert_id}"' not in page
    _, page = await admin.get(f"/console/territories/alerts/{alert_id}")
    assert 'id="investigate"' in page and 'id="confirm"' not in page and 'id="evidence"' in page
    status, page = await admin.post(f"/console/territories/diversion/{alert_id}/transition",
                                    {"to": "investigating", "note": "calling E01"})  # fmt: skip
    assert status == 200 and 'id="confirm"' in page
    # confirming needs a note: refused in the page, the penalty typed is kept
    status, page = await admin.post(f"/console/territories/diversion/{alert_id}/transition", {
        "to": "confirmed", "note": "", "penalty_amount": "5000"})  # fmt: skip
    assert status == 409 and 'value="5000"' in page
    status, page = await admin.post(f"/console/territories/diversion/{alert_id}/transition", {
        "to": "confirmed", "note": "sold to a Guangzhou wholesaler",
        "penalty_amount": "5,000.50", "penalty_currency": "cny",
        "penalty_reason": "contract clause 7", "action": ""})  # fmt: skip
    assert status == 200 and 'id="confirm"' not in page
    dist = await console.client("distributor")
    _, page = await dist.get("/console/territories/alerts?lang=en")
    assert f'data-alert="{alert_id}"' in page and "5,000.5" in page and "CNY" in page
    _, page = await dist.get(f"/console/territories/alerts/{alert_id}?lang=en")
    assert 'id="penalties"' in page and "contract clause 7" in page
    assert "sold to a Guangzhou wholesaler" in page and "the brand" in page
    assert 'action="/console/territories/diversion' not in page  # read-only for the dealer
    assert "device:" not in page and "user:" not in page  # who scanned stays the brand's
    _, page = await dist.get(f"/console/territories/alerts/{alert_id}?lang=zh")
    assert "罚款" in page and "已确认" in page
    # a dealer cannot move an alert itself
    status, _ = await dist.post(f"/console/territories/diversion/{alert_id}/transition",
                                {"to": "dismissed", "note": "no"})  # fmt: skip
    assert status == 403


async def test_grants_region_picker_and_policy(console: ConsoleLive) -> None:
    await adopt(console)
    admin = await console.client("brand_admin")
    _, page = await admin.get("/console/territories/grants/new?dealer=S01&q=%E5%B9%BF%E5%B7%9E")
    assert 'data-region="440100"' in page  # 广州 by name
    _, page = await admin.get("/console/territories/grants/new?dealer=S01&q=440300&lang=en")
    assert 'data-region="440300"' in page and "Shenzhen" in page
    _, page = await admin.get("/console/territories/grants/new?dealer=S01&region=440300")
    assert 'value="440300"' in page and 'id="picked"' in page
    # S01 is not verified (real-name): refused in the form, which keeps what was chosen
    status, page = await admin.post("/console/territories/grants/new", {
        "dealer": "S01", "product": "*", "region": "440300"})  # fmt: skip
    assert status == 403 and "The dealer is not verified" in page and 'value="440300"' in page
    await approve(console.engine, console.orgs["dist2"], 1)
    status, page = await admin.post(
        "/console/territories/grants/new?lang=en",
        {"dealer": "S01", "product": "*", "region": "440300", "valid_until": "2030-12-31"},
    )
    assert status == 200 and "granted" in page, page[-2000:]
    grant = re.search(r'data-grant="(\d+)"', page)
    assert grant and "Shenzhen · Guangdong" in page and "Jan 1, 2031, 12:00:00" in page
    status, page = await admin.post(f"/console/territories/grants/{grant.group(1)}",
                                    {"action": "suspend", "note": "audit"})  # fmt: skip
    assert status == 200 and "suspended" in page
    status, page = await admin.post(f"/console/territories/grants/{grant.group(1)}",
                                    {"action": "revoke", "note": "contract ended"})  # fmt: skip
    assert status == 200 and f'data-grant="{grant.group(1)}"' not in page  # revoked: hidden
    _, page = await admin.get("/console/territories/grants?all=1")
    assert f'data-grant="{grant.group(1)}"' in page and "revoked" in page
    # the shop under S01 inherits its territory; S01's user sees it, E01's does not
    dist2 = await console.client("distributor2")
    _, page = await dist2.get("/console/territories/grants?all=1&lang=en")
    assert 'data-dealer="S01-R1"' in page and "sells in the territory of" in page
    status, page = await admin.get("/console/territories/policy")
    assert status == 200 and 'name="warehouse_check"' in page
    status, page = await admin.post(
        "/console/territories/policy", {"check": "refuse", "warehouse_check": "flag"}
    )
    assert status == 200 and "brand_admin" not in page
    t = services(console)
    brand = await console.engine.brand(None)
    assert (await t.checks.policy(brand.id)).to_dict() == {
        "check": "refuse",
        "warehouse_check": "flag",
    }
    dist = await console.client("distributor")
    status, _ = await dist.get("/console/territories/policy")
    assert status == 403
    status, _ = await dist.get("/console/territories/grants/new")
    assert status == 403
    _, page = await dist.get("/console/territories/grants")
    assert 'data-dealer="E01"' in page and 'data-dealer="S01"' not in page
    assert "/grants/new" not in page


@pytest.mark.parametrize(
    "role", ["brand_admin", "distributor", "retailer", "inspector", "factory_operator"]
)
async def test_every_post_form_has_the_csrf_field(console: ConsoleLive, role: str) -> None:
    await adopt(console)
    t = services(console)
    brand = await console.engine.brand(None)
    case, _ = await case_of(console, 6, 60)
    await t.ship(SYSTEM, brand, "E01", [case])
    [alert_id] = (await t.receive(SYSTEM, brand, [case], at_ref="S01")).diversion_alerts
    client: ConsoleClient = await console.client(role)
    _, home = await client.get("/console/")
    paths = sorted(set(re.findall(r'href="(/console/territories/[^"?]*)"', home)))
    if role in ("brand_admin", "distributor", "retailer"):
        assert "/console/territories/holdings" in paths
    paths += [f"/console/territories/alerts/{alert_id}",
              f"/console/territories/diversion/{alert_id}", "/console/territories/grants/new",
              "/console/territories/grants/new?q=CN-GD"]  # fmt: skip
    opened = 0
    for path in paths:
        status, page = await client.get(path)
        assert status in (200, 403), (path, status)
        check_forms(page, f"{role} {path}")
        opened += status == 200
    assert opened >= 2
