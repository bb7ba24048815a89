"""The stocktake pages on a real console server over loopback HTTP, on both backends:
a factory operator opens a blind count, counts by quantity and by scanned codes without
ever seeing an expected quantity, and proposes it; the brand admin reads the variance
report and approves it (stock changes); an admin cannot decide its own proposal; a post
without the CSRF token changes nothing; the pages pass axe at phone width in Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.console.conftest import ConsoleLive
from tests.inventory.conftest import TEA, WINE, World
from tests.inventory.console_live import phone_sweep, serve
from tests.inventory.test_stocktake import on_hand, stocked
from veriseal.accounts.models import SYSTEM, Role
from veriseal_inventory.stocktake_models import CountLine

S = "/console/inventory/stocktakes"


@pytest.fixture
async def live(world: World) -> AsyncIterator[ConsoleLive]:
    """The world's engine served by the console, with a password user per role."""
    shop = world.shop
    root = (await shop.engine.accounts.brand_org(shop.brand)).id
    people = {"admin": (Role.BRAND_ADMIN, root), "admin2": (Role.BRAND_ADMIN, root),
              "operator": (Role.FACTORY_OPERATOR, root),
              "zj": (Role.DISTRIBUTOR, shop.orgs["ZJ01"])}  # fmt: skip
    async with serve(shop.engine, people, "stocktake.example") as served:
        yield served


async def test_a_blind_count_proposed_and_approved(world: World, live: ConsoleLive) -> None:
    w = await stocked(world)
    op, admin, zj = [await live.client(x) for x in ("operator", "admin", "zj")]
    status, html = await op.get(S)
    assert status == 200 and 'id="open-stocktake"' in html
    status, html = await op.post(S, {"warehouse": "MAIN", "mode": "system", "blind": "1"})
    assert status == 200 and 'id="blind"' in html, html[:3000]
    (count,) = await world.inv.counts.listed(SYSTEM, world.shop.brand)
    page = f"{S}/{count.id}"
    assert 'class="expected"' not in html and "当前账面" not in html and "Expected now" not in html
    status, _ = await zj.get(page)
    assert status == 403  # another organisation's warehouse
    status, html = await op.post(page + "/count", {"gtin": TEA, "lot": "L1", "location": "",
                                                   "qty": "8"}, csrf=False)  # fmt: skip
    assert (
        status in (400, 403)
        and (await world.inv.counts.show(SYSTEM, world.shop.brand, count.id)).report.counted == 0
    )
    status, html = await op.post(page + "/count", {"gtin": TEA, "lot": "L1", "location": "",
                                                   "qty": "8"})  # fmt: skip
    assert status == 200 and 'data-status="counting"' in html
    codes = "\n".join(world.shop.codes(WINE, 0, 2))
    status, html = await op.post(page + "/scan", {"codes": codes, "code": "", "location": ""})
    assert status == 200 and 'id="scan-result"' in html and 'class="expected"' not in html
    status, html = await op.post(page + "/scan", {"codes": "junk", "code": "", "location": ""})
    assert status == 409 and "item_unknown" in html
    proposal = {"reason": "月度盘点", "cost_gtin": TEA, "cost_fen": "150"}
    status, html = await op.post(page + "/submit", proposal)
    assert status == 200 and 'id="blind-note"' in html and "data-difference" not in html
    status, html = await admin.get(page + "/report")
    assert status == 200 and f'data-gtin="{TEA}" data-lot="L1" data-difference="-2"' in html
    assert 'id="decide-form"' in html and "月度盘点" in html
    status, html = await admin.post(page + "/decide", {"decision": "approve", "note": "ok"})
    assert status == 200 and 'data-status="approved"' in html
    assert await on_hand(world, w) == {(TEA, "L1"): 8, (WINE, ""): 5, (WINE, "L1"): 2}


async def test_the_proposer_cannot_decide(world: World, live: ConsoleLive) -> None:
    w = await stocked(world)
    admin, admin2 = await live.client("admin"), await live.client("admin2")
    await admin.get(S)
    status, html = await admin.post(S, {"warehouse": "MAIN", "mode": "physical"})
    assert status == 200
    (count,) = await world.inv.counts.listed(SYSTEM, world.shop.brand)
    page = f"{S}/{count.id}"
    await admin.post(page + "/count", {"gtin": WINE, "lot": "", "location": "", "qty": "4"})
    await admin.post(page + "/submit", {"reason": "短少"})
    status, html = await admin.post(page + "/decide", {"decision": "approve", "note": ""})
    assert status == 409 and "stocktake_same_person" in html
    assert await on_hand(world, w) == {(TEA, "L1"): 10, (WINE, ""): 5}
    await admin2.get(page + "/report")
    status, html = await admin2.post(page + "/decide", {"decision": "reject", "note": ""})
    assert status == 409 and "stocktake_invalid" in html  # a rejection needs a reason
    status, html = await admin2.post(page + "/decide", {"decision": "reject", "note": "复盘"})
    assert status == 200 and 'data-status="rejected"' in html
    status, html = await admin.get(page)
    assert 'id="count-form"' in html and "复盘" in html
    status, html = await admin.post(page + "/end", {"action": "close"})
    assert status == 200 and f'data-stocktake="{count.id}" data-status="closed"' in html


async def test_stocktake_pages_at_phone_width(world: World, live: ConsoleLive) -> None:
    """The list, count and report pages in Chromium at 412 px: axe finds nothing
    serious, no CSP violation or script error, nothing wider than the phone."""
    w = await stocked(world)
    counts, brand = world.inv.counts, world.shop.brand
    op, admin = world.shop.people["operator"], world.shop.people["admin"]
    st = await counts.open(admin, w)
    await counts.count(op, brand, st.id, [CountLine(TEA, 9, "L1")])
    await counts.submit(op, brand, st.id, "phone")
    # and a count still being counted, whose page holds every form
    other = await world.inv.warehouses.create(admin, brand, "PHONE", "手机仓")
    st2 = await counts.open(admin, other)
    pages = [S, f"{S}/{st.id}", f"{S}/{st.id}/report", f"{S}/{st2.id}"]
    failures = await phone_sweep(live, "admin", pages)
    assert not failures, "\n".join(failures)
