"""The prices and promotions pages on a real console server (tests/console/conftest.py):
brand staff keep lists, rows and promotions through the forms (a tie is shown with its
message and nothing is saved) and quote for any dealer; dealers browse the catalogue
with their own prices, a sibling never sees another dealer's special price, and
availability says "not tracked" without the inventory plugin."""

from __future__ import annotations

import re

from tests.console import conftest as shell
from tests.console.conftest import ConsoleLive
from veriseal import demo
from veriseal.accounts.models import SYSTEM
from veriseal_commerce.service import of

console = shell.console  # the console shell's fixture, used here by its name
GTIN = demo.DEMO_GTIN


async def test_staff_keep_prices_and_dealers_see_theirs(console: ConsoleLive) -> None:
    admin = await console.client("brand_admin")
    status, page = await admin.get("/console/commerce/prices")
    assert status == 200 and ("No price list yet." in page or "尚无价格表" in page)
    status, page = await admin.post("/console/commerce/prices/lists", {"name": "retail"})
    assert status == 200 and 'data-list="1"' in page
    row = {"list_id": "1", "gtin": GTIN, "price": "128", "min_qty": "1", "percent": "100",
           "rounding": "none"}  # fmt: skip
    status, page = await admin.post("/console/commerce/prices/rows", row)
    assert status == 200 and 'data-row="1"' in page
    special = {**row, "org_id": str(console.orgs["dist"]), "price": "99.50"}
    status, page = await admin.post("/console/commerce/prices/rows", special)
    assert status == 200 and 'data-row="2"' in page
    status, page = await admin.post("/console/commerce/prices/rows", {**row, "price": "1"})
    assert status == 409 and "price_row_tie" in page and 'data-row="3"' not in page
    tier = {**row, "min_qty": "10", "price": "118.5"}
    assert (await admin.post("/console/commerce/prices/rows", tier))[0] == 200
    status, page = await admin.post("/console/commerce/promotions", {
        "name": "Spring", "benefit": "percent_off", "percent": "10", "priority": "1"})  # fmt: skip
    assert status == 200 and 'data-promotion="1"' in page
    # analytics is enabled: the planning list is there (empty: no order yet), no warning
    assert 'id="suggested-plan"' in page and 'id="suggestions-off"' not in page
    status, page = await admin.post("/console/commerce/promotions", {
        "name": "For you", "benefit": "percent_off", "percent": "5", "suggested_only": "1",
        "suggested_k": "3"})  # fmt: skip
    assert status == 200 and 'data-suggested-only="3"' in page
    status, page = await admin.post(
        "/console/commerce/promotions",
        {"name": "Bad k", "benefit": "percent_off", "suggested_only": "1", "suggested_k": "51"},
    )
    assert status == 400 and "price_invalid" in page and "Bad k" not in page
    status, page = await admin.post("/console/commerce/promotions/2", {"action": "delete"})
    assert status == 200 and "data-suggested-only" not in page
    # the quote tool explains which row gave the price, for any dealer
    status, page = await admin.get("/console/commerce/quote", params={
        "dealer": str(console.orgs["dist"]), "lines": f"{GTIN} 2"})  # fmt: skip
    assert status == 200 and 'id="quote"' in page
    text = re.sub(r"\s+", " ", page)
    assert f"product {GTIN}, org {console.orgs['dist']}" in text  # the special row, row 2
    status, page = await admin.get("/console/commerce/quote", params={"lines": f"{GTIN} 0"})
    assert status == 400 and 'id="quote"' not in page

    dist = await console.client("distributor")
    assert (await dist.get("/console/commerce/prices"))[0] == 403
    status, page = await dist.get("/console/commerce/catalogue")
    assert status == 200 and f'data-gtin="{GTIN}"' in page
    mine = re.search(rf'data-gtin="{GTIN}".*?</li>', page, re.S)
    assert mine and ("89.55" in mine.group(0))  # 99.50 less 10%
    status, page = await dist.get(f"/console/commerce/catalogue/{GTIN}")
    assert status == 200 and 'data-qty="10"' in page and "Spring" in page
    # the inventory plugin is enabled by default: the brand's available quantity shows
    # (this console's brand holds no stock: 0)
    available = re.search(r'<strong class="available">([^<]*)</strong>', page)
    assert available is not None and available.group(1) == "0"
    other = await console.client("distributor2")
    status, page = await other.get("/console/commerce/catalogue")
    sibling = re.search(rf'data-gtin="{GTIN}".*?</li>', page, re.S)
    assert status == 200 and sibling and "89.55" not in sibling.group(0)
    assert "115.20" in sibling.group(0)  # 128.00 less 10%: the brand's price, not dist's

    # disable and delete through the forms; the row delete too
    status, page = await admin.post("/console/commerce/promotions/1", {"action": "disable"})
    assert status == 200 and ("disabled" in page or "已停用" in page)
    status, page = await admin.post("/console/commerce/promotions/1", {"action": "delete"})
    assert status == 200 and 'data-promotion="1"' not in page
    status, page = await admin.post("/console/commerce/prices/rows/2/delete", {})
    assert status == 200 and 'data-row="2"' not in page
    brand = await console.engine.brand(None)
    p = of(console.engine.plugins.context("commerce")).pricing
    assert [r.id for r in await p.rows(SYSTEM, brand)] == [1, 3]
