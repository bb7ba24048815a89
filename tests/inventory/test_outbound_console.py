"""The outbound sheet pages on a real console server over loopback HTTP, on both
backends: the brand creates a sheet to a dealer, reads the picking list, issues it and
prints the PDF (its QR decoded by a real barcode reader); the dealer checks it in on
the scan page by the QR's text, twice, booking the goods once; a sibling dealer cannot
open it; a shortage is shown and refused; a post without the CSRF token changes
nothing. The pages also pass axe in Chromium at a phone's width."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from tests.console.conftest import ConsoleLive
from tests.inventory.conftest import TEA, World
from tests.inventory.console_live import phone_sweep, serve
from tests.printing.readback import pdf_pages, zxing
from veriseal.accounts.models import Role
from veriseal_inventory.models import StockLine
from veriseal_inventory.outbound import NewLine
from veriseal_inventory.outbound_store import Consignee
from veriseal_inventory.stock_store import MovementQuery

NUMBER = re.compile(r"OUT\d{8}-\d{4,}")
LIST = "/console/inventory/outbound"


@pytest.fixture
async def live(world: World) -> AsyncIterator[ConsoleLive]:
    root = (await world.engine.accounts.brand_org(world.shop.brand)).id
    people = {"admin": (Role.BRAND_ADMIN, root), "gd": (Role.DISTRIBUTOR, world.shop.orgs["GD01"]),
              "zj": (Role.DISTRIBUTOR, world.shop.orgs["ZJ01"])}  # fmt: skip
    async with serve(world.engine, people, "outbound.example") as served:
        yield served


def _new(w: World, qty: int) -> dict[str, str]:
    return {"warehouse": "MAIN", "org": str(w.shop.orgs["GD01"]), "gtin": TEA,
            "qty": str(qty), "codes": "batch 1: 1-5", "note": "轻放"}  # fmt: skip


async def test_outbound_pages(world: World, live: ConsoleLive) -> None:
    w = world
    await w.inv.stock.receive(w.shop.people["admin"], w.main, [StockLine(TEA, 8, "L1")])
    admin, gd, zj = [await live.client(x) for x in ("admin", "gd", "zj")]
    status, page = await admin.get(LIST)
    assert status == 200 and 'id="new-sheet"' in page and "华南总代" in page
    # bad input: a 4xx with a code, nothing created
    good = _new(w, 5)
    for bad in ({**good, "qty": "x"}, {**good, "gtin": "123"}, {**good, "org": "", "name": ""},
                {**good, "warehouse": "NOPE"}):  # fmt: skip
        status, page = await admin.post(LIST, bad)
        assert 400 <= status < 500 and re.search(r"\[[a-z_]+\]", page), bad
    assert await w.inv.outbound.sheets(w.shop.people["admin"], w.shop.brand) == []
    status, page = await admin.post(LIST, _new(w, 5))
    found = NUMBER.search(page)
    assert status == 200 and found and 'id="picking"' in page, page[-2000:]
    no = found.group(0)
    assert 'data-pick="1-main-L1"' in page and 'id="issue"' in page
    sheet_url = f"{LIST}/{no}"
    status, _ = await admin.post(f"{sheet_url}/issue", {}, csrf=False)
    assert status == 403
    assert (await w.inv.outbound.get(w.shop.people["admin"], w.shop.brand, no)).status == "picking"
    status, page = await zj.get(sheet_url)
    assert status == 403 and "轻放" not in page
    status, page = await admin.post(f"{sheet_url}/issue", {"handler": "老陈"})
    assert status == 200 and 'id="pdf"' in page and "老陈" in page and 'id="issue"' not in page
    async with gd.session.get(gd.base + f"{sheet_url}/pdf") as r:  # the consignee may print
        assert r.status == 200 and r.content_type == "application/pdf"
        data = await r.read()
    assert [b.text for b in zxing(pdf_pages(data, dpi=200)[0])] == [f"VSOUT:{no}"]
    # the dealer scans the sheet's QR on the check-in page, twice
    status, page = await gd.get("/console/inventory/receive")
    assert status == 200 and "data-scanner" in page
    status, page = await zj.post("/console/inventory/receive", {"code": f"VSOUT:{no}"})
    assert status == 403 and "received" not in page
    for _ in range(2):
        status, page = await gd.post("/console/inventory/receive", {"code": f"VSOUT:{no}"})
        assert status == 200 and 'id="received"' in page
    gd_wh = await w.warehouse_of("GD01")
    query = MovementQuery([gd_wh.id], None, no, None, 10)
    inbound = await w.inv.stock.movements(w.shop.people["gd"], w.shop.brand, query)
    assert [(m.kind, m.gtin, m.lot, m.quantity) for m in inbound] == [("inbound", TEA, "L1", 5)]
    status, page = await gd.get(LIST)
    assert status == 200 and f'data-sheet="{no}"' in page
    status, page = await zj.get(LIST)
    assert status == 200 and no not in page
    # a shortage: shown on the sheet, refused on issue, nothing written
    _, page = await admin.post(LIST, _new(w, 4))  # 3 left
    short = NUMBER.search(page)
    assert short and 'id="short"' in page
    status, page = await admin.post(f"{LIST}/{short.group(0)}/issue", {})
    assert status == 409 and "[stock_insufficient]" in page
    out = await w.inv.stock.movements(
        w.shop.people["admin"], w.shop.brand, MovementQuery(None, None, short.group(0), None, 10)
    )
    assert out == []
    status, page = await admin.post(f"{LIST}/{short.group(0)}/cancel", {"reason": "缺货"})
    assert status == 200 and "缺货" in page and 'id="issue"' not in page


async def test_outbound_pages_at_phone_width(world: World, live: ConsoleLive) -> None:
    """A sheet's page while picking (with a shortage), once issued, the list and the
    check-in page, in Chromium at a phone's width: axe finds nothing serious, no CSP
    violation or script error (scan.js loads), nothing wider than the phone."""
    w = world
    admin_p = w.shop.people["admin"]
    await w.inv.stock.receive(admin_p, w.main, [StockLine(TEA, 8, "L1")])
    to_gd = Consignee("", "广州市天河区体育西路 1 号", "张三", w.shop.orgs["GD01"])
    issued = await w.inv.outbound.create(admin_p, w.shop.brand, w.main, to_gd,
                                         [NewLine(TEA, 5, codes="batch 1: 1-5")])  # fmt: skip
    await w.inv.outbound.issue(admin_p, w.shop.brand, issued.number)
    short = await w.inv.outbound.create(admin_p, w.shop.brand, w.main, to_gd,
                                        [NewLine(TEA, 9)])  # fmt: skip
    pages = {"admin": [f"{LIST}/{short.number}", f"{LIST}/{issued.number}", LIST],
             "gd": [f"{LIST}/{issued.number}", "/console/inventory/receive"]}  # fmt: skip
    failures = await phone_sweep(live, "admin", pages["admin"])
    # the check-in page offers the camera (scan.js ran)
    failures += await phone_sweep(live, "gd", pages["gd"], then=".scanner-start")
    assert not failures, "\n".join(failures)
