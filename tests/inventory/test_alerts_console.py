"""The safety-stock and replenishment pages on a real console server
(tests/console/conftest.py): brand staff set the brand default through the form (a bad
number is shown with its message and nothing is saved), the overview shows the level
with its safety stock, closing line and state, the replenishment page shows the numbers
behind each suggestion, and a distributor sees only its own organisation's rows."""

from __future__ import annotations

import re

from tests.console import conftest as shell
from tests.console.conftest import ConsoleLive
from veriseal import demo
from veriseal.accounts.models import SYSTEM
from veriseal_inventory.models import StockLine
from veriseal_inventory.service import of

console = shell.console  # the console shell's fixture, used here by its name
GTIN = demo.DEMO_GTIN


async def test_safety_stock_and_replenishment_pages(console: ConsoleLive) -> None:
    inv = of(console.engine.plugins.context("inventory"))
    brand = (await console.engine.brands.list())[0]
    main = await inv.warehouses.of_org(brand.id, console.orgs["brand"])
    dist_wh = await inv.warehouses.of_org(brand.id, console.orgs["dist"])
    await inv.stock.receive(SYSTEM, main, [StockLine(GTIN, 30)])
    await inv.stock.receive(SYSTEM, dist_wh, [StockLine(GTIN, 30)])
    await inv.stock.issue(SYSTEM, main, [StockLine(GTIN, 26)])  # 4 left, 26 sold

    admin = await console.client("brand_admin")
    form = {
        "gtin": GTIN,
        "warehouse": "",
        "safety_stock": "5",
        "reorder_point": "8",
        "reorder_qty": "10",
        "lead_time_days": "0",
        "review_days": "7",
        "pack_size": "1",
    }
    status, page = await admin.post("/console/inventory/safety-stock", {**form, "pack_size": "x"})
    assert status == 409 and "invalid_input" in page
    for odd in ("²", "١٢", "-1", "1" * 13):  # digits of other scripts are not numbers here
        status, page = await admin.post(
            "/console/inventory/safety-stock", {**form, "safety_stock": odd}
        )
        assert status == 409 and "invalid_input" in page, odd
    assert (await admin.get("/console/inventory/safety-stock"))[1].count('data-state="unset"') == 2
    status, page = await admin.post("/console/inventory/safety-stock", form)
    assert status == 200
    rows = dict(re.findall(r'data-warehouse="([^"]+)" data-gtin="\d+" data-state="(\w+)"', page))
    assert rows == {main.code: "low", dist_wh.code: "ok"}
    assert 'data-open="yes"' in page
    # the stock page shows the same state next to each level
    status, page = await admin.get("/console/inventory/stock")
    assert status == 200
    states = re.findall(r'class="state" data-state="(\w+)"', page)
    assert sorted(states) == ["low", "ok"]
    status, page = await admin.get("/console/inventory/replenish", params={"warehouse": main.code})
    assert status == 200 and f'data-warehouse="{main.code}"' in page
    text = re.sub(r"\s+", " ", page)
    # 26 sold in 28 days; demand ceil(26/28 x 7) = 7; target 5 + 7 = 12; position 4 -> 8,
    # at least the reorder quantity 10
    assert "26" in text and ("= 10" in text)
    assert re.search(r'class="quantity"><strong>10</strong>', page)

    dist = await console.client("distributor")
    status, page = await dist.get("/console/inventory/safety-stock")
    assert status == 200 and f'data-warehouse="{dist_wh.code}"' in page
    assert f'data-warehouse="{main.code}"' not in page
    status, page = await dist.post("/console/inventory/safety-stock", form)  # the default
    assert status == 409 and "forbidden" in page
    status, page = await dist.get("/console/inventory/replenish", params={"all": "1"})
    assert status == 200 and f'data-warehouse="{main.code}"' not in page
    status, _ = await dist.get("/console/inventory/replenish", params={"basis": "guess"})
    assert status == 400
