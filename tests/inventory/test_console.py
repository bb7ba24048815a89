"""The stock pages on a real console server (tests/console/conftest.py: the demo brand,
a user of each role): a brand admin adds a warehouse, receives and issues goods through
the form (a refused issue shows its code and changes nothing), sees the levels, the
warehouse page and the movement log; a distributor sees only its own organisation's
warehouses and cannot move the brand's stock."""

from __future__ import annotations

import re

from tests.console import conftest as shell
from tests.console.conftest import ConsoleLive
from veriseal_inventory.service import of

console = shell.console  # the console shell's fixture, used here by its name


async def _gtin(console: ConsoleLive) -> str:
    brand = await console.engine.brand(None)
    return (await console.engine.catalogue.list(brand))[0].gtin


async def test_staff_move_stock_and_dealers_see_their_own(console: ConsoleLive) -> None:
    gtin = await _gtin(console)
    admin = await console.client("brand_admin")
    new = {"code": "SH1", "name": "上海一号仓", "address": "浦东"}
    status, page = await admin.post("/console/inventory/warehouses", new)
    assert status == 200 and 'data-location="quarantine"' in page
    move = {"kind": "receive", "warehouse": "SH1", "gtin": gtin, "qty": "12", "lot": "L9",
            "document": "IN-7", "reason": "production", "client_id": "form-1"}  # fmt: skip
    status, page = await admin.post("/console/inventory/move", move)
    assert status == 200 and 'id="done"' in page
    status, page = await admin.post("/console/inventory/move", move)  # a resubmitted form
    assert status == 200
    too_many = {**move, "kind": "issue", "qty": "13", "client_id": "f2"}
    status, page = await admin.post("/console/inventory/move", too_many)
    assert status == 409 and "[stock_insufficient]" in page
    status, page = await admin.get("/console/inventory/stock")
    row = re.search(rf'data-warehouse="SH1" data-gtin="{gtin}">(.*?)</tr>', page, re.S)
    assert row is not None and 'class="sellable">12<' in row.group(1)
    w = await of(console.engine.plugins.context("inventory")).warehouses.find(
        await console.engine.brand(None), "SH1")  # fmt: skip
    status, page = await admin.get(f"/console/inventory/warehouses/{w.id}")
    assert status == 200 and 'data-lot="L9"' in page and "IN-7" in page
    status, page = await admin.get("/console/inventory/movements", params={"document": "IN-7"})
    assert page.count("data-movement=") == 1  # the resubmitted form was a replay
    dealer = await console.client("distributor")
    status, page = await dealer.get("/console/inventory/warehouses")
    assert status == 200 and "SH1" not in page
    status, page = await dealer.get(f"/console/inventory/warehouses/{w.id}")
    assert status == 403
    status, page = await dealer.post("/console/inventory/move", {**move, "client_id": "f3"})
    assert status == 403 and "[forbidden]" in page
