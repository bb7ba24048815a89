"""The logistics console pages on a real console server (tests/console/conftest.py: the
demo brand, its dealers and a password user per role, SQLite file): who may open each
page, the waybill's timeline, ETA, alerts and map, and the forms (CSRF; a refusal is a
4xx with its stable code and changes nothing)."""

from __future__ import annotations

import re

from tests.console import conftest as shell
from tests.console.conftest import ConsoleLive
from tests.logistics.console_world import BASE, waybill
from veriseal.accounts.models import SYSTEM
from veriseal_logistics.service import of

console = shell.console  # the console shell's fixture, used here by its name


def _checkpoints(page: str) -> list[tuple[str, str]]:
    """The map's dots: (numbers, off-route flag)."""
    return re.findall(r'<g class="checkpoint[^"]*" data-n="([\d ]+)" data-off-route="(\d)"', page)


async def test_roles_see_the_pages_they_hold(console: ConsoleLive) -> None:
    w = await waybill(console, "SF1000000001")
    pages = [BASE, f"{BASE}/waybills/{w.id}", f"{BASE}/alerts", f"{BASE}/new",
             f"{BASE}/settings"]  # fmt: skip
    allowed = {
        "brand_admin": {0, 1, 2, 3, 4},
        "factory_operator": {0, 1, 2, 3},
        "distributor": {0, 1, 2, 3},  # the waybill goes to its organisation
        "retailer": {0, 2},  # the waybill is its parent's, not its subtree's
        "distributor2": {0, 2, 3},  # another subtree: the waybill page is refused
        "inspector": set(),
        "consumer": set(),
    }
    for role, ok in allowed.items():
        c = await console.client(role)
        for i, path in enumerate(pages):
            status, page = await c.get(path)
            assert status == (200 if i in ok else 403), (role, path, status)
            if status == 403:
                assert "forbidden" in page or "403" in page
        status, page = await c.get(BASE)
        if status == 200:
            shown = f'data-waybill="{w.id}"' in page
            assert shown == (role in ("brand_admin", "factory_operator", "distributor")), role


async def test_the_waybill_page_timeline_eta_and_map(console: ConsoleLive) -> None:
    w = await waybill(console, "SF1000000002")
    admin = await console.client("brand_admin")
    status, page = await admin.get(f"{BASE}/waybills/{w.id}", params={"lang": "zh"})
    assert status == 200
    # the timeline in event-time order, numbered, with the labels and the carrier's text
    order = re.findall(r'data-checkpoint="(\d+)" data-status="(\w+)"', page)
    assert order == [("1", "picked_up"), ("2", "in_transit"), ("3", "in_transit"),
                     ("4", "at_destination_city")]  # fmt: skip
    assert "已揽收" in page and "到达派件城市" in page and "raw-2" in page and "手工录入" in page
    assert page.index("深圳转运中心") < page.index("成都转运中心") < page.index("长沙转运中心")
    # the ETA shown to the receiver and its basis
    assert re.search(r'<dd id="eta"><strong>预计 \d+月\d+日', page)
    assert 'id="eta-basis"' in page
    # the map: the provinces, the route, the corridor, four dots, Chengdu's off the route
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="route-map"' in page
    for code in ("CN-GD", "CN-HN", "CN-SC"):
        assert f'data-code="{code}"' in page, code
    assert '<polyline class="route"' in page and '<path class="corridor"' in page
    assert _checkpoints(page) == [("1", "0"), ("2", "0"), ("3", "1"), ("4", "0")]
    assert 'data-checkpoint="3" data-status="in_transit" data-off-route="1"' in page
    status, page = await admin.get(f"{BASE}/waybills/{w.id}", params={"lang": "en"})
    assert "Picked up" in page and re.search(r"<strong>expected \d+", page)
    assert (await admin.get(f"{BASE}/waybills/999999"))[0] == 404


async def test_the_list_filters_pages_and_exports(console: ConsoleLive) -> None:
    for i in range(3):
        await waybill(console, f"SF20000000{i:02d}", reference=f"SO-{i}", events=i == 0)
    admin = await console.client("brand_admin")
    status, page = await admin.get(BASE, params={"limit": "2"})
    assert status == 200 and page.count('data-waybill="') == 2
    more = re.search(r'id="next-page" href="([^"]+)"', page)
    assert more is not None
    status, rest = await admin.get(more.group(1).replace("&amp;", "&"))
    assert status == 200 and rest.count('data-waybill="') == 1
    status, page = await admin.get(BASE, params={"status": "at_destination_city"})
    assert page.count('data-waybill="') == 1 and "SF2000000000" in page
    status, page = await admin.get(BASE, params={"reference": "SO-2"})
    assert page.count('data-waybill="') == 1 and "SF2000000002" in page
    for bad in ({"status": "lost"}, {"alert": "maybe"}, {"limit": "0"}, {"export": "pdf"}):
        assert (await admin.get(BASE, params=bad))[0] == 400, bad
    r = await admin.raw("GET", BASE + "?export=csv")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
    async with admin.session.get(console.base + BASE + "?export=csv&lang=en") as got:
        text = (await got.read()).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("No.,Status,Carrier")
    assert all(f"SF20000000{i:02d}" in text for i in range(3))
    r = await admin.raw("GET", BASE + "?export=xlsx")
    assert r.status == 200 and "spreadsheetml" in r.headers["Content-Type"]


async def test_the_waybill_form(console: ConsoleLive) -> None:
    lg = of(console.engine.plugins.context("logistics"))
    brand = (await console.engine.brands.list())[0]
    op = await console.client("factory_operator")
    status, page = await op.get(f"{BASE}/new")
    assert status == 200 and 'name="_csrf"' in page
    admin = await console.client("brand_admin")
    page = (await admin.get(f"{BASE}/new"))[1]  # the receivers: the brand's dealers
    assert f'<option value="{console.orgs["shop2"]}">' in page
    page = (await (await console.client("distributor")).get(f"{BASE}/new"))[1]  # its subtree
    assert f'<option value="{console.orgs["shop"]}">' in page
    assert f'<option value="{console.orgs["shop2"]}">' not in page
    form = {"carrier": "yuantong", "tracking_no": "YT3000000001", "origin": "Shenzhen",
            "destination": "440300", "via": "广州，韶关", "promised": "2026-12-20",
            "reference": "SO-9", "to_org": str(console.orgs["dist"])}  # fmt: skip
    # without the CSRF token: refused, nothing stored
    status, page = await op.post(f"{BASE}/new", form, csrf=False)
    assert status == 403 and "csrf_failed" in page
    assert await lg.waybills.find(brand.id, "yuantong", "YT3000000001") is None
    for bad, code in [({"destination": "Atlantis"}, "logistics_place_unknown"),
                      ({"promised": "20/12/2026"}, "invalid_input"),
                      ({"tracking_no": "x"}, "logistics_waybill_invalid"),
                      ({"carrier": "Yuan Tong!"}, "logistics_waybill_invalid"),
                      ({"reference": "r" * 65}, "invalid_input"),
                      ({"via": ",".join(["广州"] * 11)}, "invalid_input"),
                      ({"via": "广州, Atlantis"}, "logistics_place_unknown"),
                      ({"to_org": "dist"}, "invalid_input")]:  # fmt: skip
        status, page = await op.post(f"{BASE}/new", {**form, **bad})
        assert status == 400 and code in page, (bad, status)
        assert 'value="Shenzhen"' in page  # the form keeps what was typed
        assert await lg.waybills.find(brand.id, "yuantong", "YT3000000001") is None
    status, page = await op.post(f"{BASE}/new", form)
    assert status == 200 and "YT3000000001" in page and 'id="timeline-h"' in page
    w = await lg.waybills.find(brand.id, "yuantong", "YT3000000001")
    assert w is not None and w.reference == "SO-9" and w.destination.city == "440300"
    assert w.to_org == console.orgs["dist"] and len(w.waypoints) == 2
    # the same again is the same waybill; other details are a conflict
    status, _ = await op.post(f"{BASE}/new", form)
    assert status == 200
    status, page = await op.post(f"{BASE}/new", {**form, "reference": "SO-10"})
    assert status == 409 and "logistics_waybill_exists" in page
    retailer = await console.client("retailer")
    assert (await retailer.post(f"{BASE}/new", form))[0] == 403


async def test_alerts_are_listed_and_closed_with_a_note(console: ConsoleLive) -> None:
    w = await waybill(console, "SF4000000001")
    lg = of(console.engine.plugins.context("logistics"))
    brand = (await console.engine.brands.list())[0]
    await lg.alerts.check(brand.id)
    found = await lg.alerts.listing(SYSTEM, brand, status="open")
    off = [a for a in found if a.waybill_id == w.id and a.kind == "off_route"]
    assert len(off) == 1
    alert = off[0]
    dist = await console.client("distributor")
    status, page = await dist.get(f"{BASE}/alerts", params={"lang": "en"})
    assert status == 200 and f'data-alert="{alert.id}"' in page and "Off route" in page
    assert "SF4000000001" in page
    assert "place: 成都转运中心" in page  # the evidence, the stray checkpoint named
    status, page = await dist.get(f"{BASE}/waybills/{w.id}")
    assert f'id="alert-{alert.id}"' in page
    status, page = await dist.get(BASE, params={"alert": "open"})
    assert f'data-waybill="{w.id}" data-status="at_destination_city" data-alerts="' in page
    # a retailer reads but may not close; without CSRF nothing closes
    retailer = await console.client("retailer")
    assert (await retailer.post(f"{BASE}/alerts/{alert.id}/close", {"note": "x"}))[0] == 403
    status, _ = await dist.post(f"{BASE}/alerts/{alert.id}/close", {"note": "x"}, csrf=False)
    assert status == 403
    status, page = await dist.post(f"{BASE}/alerts/{alert.id}/close",
                                   {"note": "x" * 501, "waybill": str(w.id)})  # fmt: skip
    assert status == 400 and "invalid_input" in page
    assert [a.id for a in await lg.alerts.listing(SYSTEM, brand, status="open")
            if a.id == alert.id] == [alert.id]  # fmt: skip
    status, page = await dist.post(
        f"{BASE}/alerts/{alert.id}/close",
        {"note": "carrier rerouted via Chengdu", "waybill": str(w.id)},
    )
    assert status == 200 and 'id="timeline-h"' in page  # back on the waybill
    closed = await lg.alerts.listing(SYSTEM, brand, status="closed")
    assert alert.id in [a.id for a in closed]
    status, page = await dist.post(f"{BASE}/alerts/{alert.id}/close", {"note": "again"})
    assert status == 409 and "logistics_alert_closed" in page
    # (a dealer's listing holds the alerts of its waybills with open alerts only: the
    # service's scope; the brand reads closed ones)
    admin = await console.client("brand_admin")
    status, page = await admin.get(f"{BASE}/alerts", params={"status": "closed"})
    assert f'data-alert="{alert.id}"' in page
    assert (await dist.get(f"{BASE}/alerts", params={"kind": "teleport"}))[0] == 400


async def test_settings_rules_and_secrets(console: ConsoleLive) -> None:
    lg = of(console.engine.plugins.context("logistics"))
    brand = (await console.engine.brands.list())[0]
    admin = await console.client("brand_admin")
    status, page = await admin.get(f"{BASE}/settings")
    assert status == 200 and 'data-rule="off_route_km"' in page
    rules = (await lg.settings.rules(brand.id)).to_dict()
    form = {k: ("on" if v is True else str(v)) for k, v in rules.items() if v is not False}
    for bad in ("abc", "1e999", "-5", "١٢"):
        status, page = await admin.post(f"{BASE}/settings", {**form, "off_route_km": bad})
        assert status == 400 and "logistics_rules_invalid" in page, bad
    assert (await lg.settings.rules(brand.id)).to_dict() == rules
    changed = {**form, "off_route_km": "200", "min_samples": "30"}
    del changed["stalled"]  # an unchecked box: the stall alert off
    status, _ = await admin.post(f"{BASE}/settings", changed)
    assert status == 200
    now = await lg.settings.rules(brand.id)
    assert (now.off_route_km, now.min_samples, now.stalled) == (200.0, 30, False)
    # a secret: set, shown only as set
    status, page = await admin.post(
        f"{BASE}/settings/secrets", {"which": "webhook_secret", "value": "s3cret-value-42"}
    )
    assert status == 200 and "s3cret-value-42" not in page
    assert 'data-secret="webhook_secret" data-set="1"' in page
    assert 'data-secret="kuaidi100_salt" data-set="0"' in page
    status, page = await admin.post(
        f"{BASE}/settings/secrets", {"which": "webhook_secret", "value": "short"}
    )
    assert status == 400 and "logistics_rules_invalid" in page
    assert (await lg.settings.secrets(brand.id)).webhook_secret == "s3cret-value-42"
    status, page = await admin.post(
        f"{BASE}/settings/secrets", {"which": "webhook_secret", "clear": "1"}
    )
    assert status == 200 and 'data-secret="webhook_secret" data-set="0"' in page
    status, page = await admin.post(f"{BASE}/settings", form, csrf=False)
    assert status == 403
    dist = await console.client("distributor")
    assert (await dist.post(f"{BASE}/settings", form))[0] == 403


async def test_hostile_input_is_a_4xx_with_a_code_and_changes_nothing(console: ConsoleLive) -> None:
    w = await waybill(console, "SF6000000001")
    lg = of(console.engine.plugins.context("logistics"))
    brand = (await console.engine.brands.list())[0]
    admin = await console.client("brand_admin")
    huge = "9" * 30
    for path, params in [
        (f"{BASE}/waybills/{huge}", {}),
        (BASE, {"cursor": huge}),
        (BASE, {"cursor": "-1"}),
        (BASE, {"reference": "x" * 65}),
        (BASE, {"reference": "a\x00b"}),
        (f"{BASE}/alerts", {"cursor": "abc"}),
        (f"{BASE}/alerts", {"status": "'; DROP TABLE logistics_alerts; --"}),
    ]:
        status, page = await admin.get(path, params=params)
        assert status == 400 and "invalid_input" in page, (path, params, status)
    before = await lg.waybills.listing(SYSTEM, brand, limit=500)
    good = {"carrier": "sf", "tracking_no": "SF6000000002", "origin": "深圳", "destination": "长沙"}
    for data in [
        {**good, "carrier": "a\x00"},
        {**good, "origin": "深圳" * 60},
        {**good, "origin": "", "destination": ""},
        {**good, "to_org": huge},
    ]:  # fmt: skip
        status, page = await admin.post(f"{BASE}/new", data)
        assert 400 <= status < 500 and re.search(r"\[[a-z_]+\]", page), (data, status)
        assert "Traceback" not in page and "sqlite" not in page.lower()
    assert await lg.waybills.listing(SYSTEM, brand, limit=500) == before
    status, page = await admin.post(f"{BASE}/alerts/{huge}/close", {"note": "x"})
    assert 400 <= status < 500, status
    status, page = await admin.post(f"{BASE}/alerts/424242/close", {"note": "x"})
    assert status == 404 and "logistics_alert_unknown" in page
    status, page = await admin.get(f"{BASE}/waybills/{w.id}")
    assert status == 200
