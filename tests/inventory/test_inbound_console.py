"""The inbound pages on a real console server over loopback HTTP, on both backends: the
brand receives goods through the form, the receipt page shows the ISO 2859-1 plan for
the product's AQL and for another one chosen on the page, a refused decision says its
code and changes nothing, a post without the CSRF token changes nothing, a factory
operator records a partial acceptance, lines needing no inspection are released, a
dealer cannot open the brand's receipt; the pages at phone width in Chromium.

Plans are typed from the published level II table (see test_sampling.py): lot 281-500
is H, n 50; AQL 1.0 Ac 1 Re 2; AQL 0.65 an arrow down to J, n 80 (Ac 1 Re 2)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from tests.console.conftest import ConsoleClient, ConsoleLive
from tests.inventory.conftest import TEA, WINE, World
from tests.inventory.console_live import phone_sweep, serve
from veriseal.accounts.models import Role
from veriseal_inventory.inbound_models import LineStatus
from veriseal_inventory.models import StockLine

NUMBER = re.compile(r"IN\d{8}-\d{4}")
LIST = "/console/inventory/inbound"


@pytest.fixture
async def live(world: World) -> AsyncIterator[ConsoleLive]:
    """The world's engine served by the console, with a password user per role."""
    root = (await world.engine.accounts.brand_org(world.shop.brand)).id
    people = {"admin": (Role.BRAND_ADMIN, root), "operator": (Role.FACTORY_OPERATOR, root),
              "gd": (Role.DISTRIBUTOR, world.shop.orgs["GD01"])}  # fmt: skip
    async with serve(world.engine, people, "inbound.example") as served:
        yield served


async def _post_lines(c: ConsoleClient, form: list[tuple[str, str]]) -> tuple[int, str]:
    """Post the receive form with its repeated line fields (gtin, qty, lot)."""
    data = [("_csrf", c.csrf), *form]
    async with c.session.post(c.base + LIST, data=data, allow_redirects=True) as r:
        text = await r.text()
    c._remember(text)
    return r.status, text


def _plan(page: str, line: int) -> tuple[int, int, int]:
    section = re.search(rf'id="line-{line}".*?</section>', page, re.S)
    assert section, page[-3000:]
    found = re.search(r'data-sample="(\d+)" data-ac="(\d+)" data-re="(\d+)"', section.group(0))
    assert found, section.group(0)
    return int(found.group(1)), int(found.group(2)), int(found.group(3))


async def _levels(w: World, gtin: str) -> tuple[int, int, int]:
    found = await w.inv.stock.levels(w.shop.people["admin"], w.shop.brand, gtin=gtin,
                                     warehouse=w.main)  # fmt: skip
    return (found[0].sellable, found[0].quarantine, found[0].rejected) if found else (0, 0, 0)


async def test_receive_inspect_and_release_in_the_console(world: World,
                                                          live: ConsoleLive) -> None:  # fmt: skip
    w = world
    await w.inv.inbound.set_setting(w.shop.people["admin"], w.shop.brand, TEA, required=True,
                                    aql="1.0")  # fmt: skip
    admin = await live.client("admin")
    status, page = await admin.get(LIST)
    assert status == 200 and 'id="receive"' in page
    client_id = re.search(r'name="client_id" value="([0-9a-f]+)"', page)
    assert client_id
    form = [("warehouse", "MAIN"), ("supplier", "茶厂"), ("client_id", client_id.group(1)),
            ("gtin", TEA), ("qty", "400"), ("lot", "L3"),
            ("gtin", WINE), ("qty", "6"), ("lot", "")]  # fmt: skip
    # a bad line: a 4xx with its code, nothing received
    for qty in ("4x", "²"):  # a superscript is a digit to str.isdigit, not to int()
        status, page = await _post_lines(admin, [(k, qty if v == "400" else v) for k, v in form])
        assert 400 <= status < 500 and "[invalid_input]" in page
    assert await w.inv.inbound.list(w.shop.people["admin"], w.shop.brand) == []
    status, page = await _post_lines(admin, form)  # "release" unchecked: WINE waits too
    found = NUMBER.search(page)
    assert status == 200 and found, page[-2000:]
    no = found.group(0)
    status, again = await _post_lines(admin, form)  # the same form again: the same receipt
    assert NUMBER.findall(again)[0] == no and await _levels(w, TEA) == (0, 400, 0)
    assert _plan(page, 1) == (50, 1, 2)
    status, page = await admin.get(f"{LIST}/{no}", params={"line": "1", "aql": "0.65"})
    assert status == 200 and _plan(page, 1) == (80, 1, 2)
    status, page = await admin.get(f"{LIST}/{no}", params={"line": "1", "aql": "0.3"})
    assert status == 200 and "[inbound_invalid]" in page and _plan(page, 1) == (50, 1, 2)

    operator = await live.client("operator")
    await operator.get(f"{LIST}/{no}")
    action = f"{LIST}/{no}/inspect"
    bad = {"line": "1", "aql": "1.0", "level": "II", "defects": "2", "decision": "accept_all"}
    status, page = await operator.post(action, bad)
    assert status == 409 and "[inbound_invalid]" in page
    status, _ = await operator.post(action, {**bad, "decision": "reject_all", "reason": "x"},
                                    csrf=False)  # fmt: skip
    assert status == 403
    view = await w.inv.inbound.get(w.shop.people["admin"], w.shop.brand, no)
    assert view.inspections == {} and await _levels(w, TEA) == (0, 400, 0)
    part = {**bad, "decision": "accept_part", "accepted": "390", "rejected": "10",
            "reason": "外箱破损"}  # fmt: skip
    status, page = await operator.post(action, part)
    assert status == 200 and 'id="line-1" data-status="partial"' in page
    assert await _levels(w, TEA) == (390, 0, 10)
    # WINE needs no inspection: released from the page
    status, page = await admin.get(f"{LIST}/{no}")
    assert 'id="release"' in page
    status, page = await admin.post(f"{LIST}/{no}/release", {})
    assert status == 200 and 'id="line-2" data-status="released"' in page
    assert 'id="receipt" data-status="done"' in page and await _levels(w, WINE) == (6, 0, 0)
    view = await w.inv.inbound.get(w.shop.people["admin"], w.shop.brand, no)
    assert [x.status for x in view.lines] == [LineStatus.PARTIAL, LineStatus.RELEASED]

    # a dealer: no receipt of the brand's warehouse, and no way to open it
    gd = await live.client("gd")
    status, page = await gd.get(LIST)
    assert status == 200 and no not in page
    r = await gd.raw("GET", f"{LIST}/{no}")
    assert r.status == 403


async def test_inbound_pages_at_phone_width(world: World, live: ConsoleLive) -> None:
    """The list (with the receive form) and a receipt awaiting inspection (plan and
    form) in Chromium at 412 px: axe finds nothing serious, no CSP violation or script
    error, nothing wider than the phone."""
    w = world
    await w.inv.inbound.set_setting(w.shop.people["admin"], w.shop.brand, TEA, required=True)
    view = await w.inv.inbound.receive(w.shop.people["admin"], w.shop.brand, "MAIN",
                                       [StockLine(TEA, 120, "L1"), StockLine(WINE, 3)])  # fmt: skip
    paths = [LIST, f"{LIST}/{view.receipt.receipt_no}"]
    failures = await phone_sweep(live, "admin", paths)
    assert not failures, "\n".join(failures)


async def test_a_return_receipt_shows_its_reference_without_the_quantity_form(
    world: World, live: ConsoleLive
) -> None:
    w, b = world, world.shop.batches[TEA].id
    made = await w.inv.returns.receive_return(w.shop.people["admin"], w.shop.brand.id, "RMA-7",
                                              {b: [(0, 4)]}, supplier="GD01",
                                              client_id="ret-7")  # fmt: skip
    admin = await live.client("admin")
    status, page = await admin.get(f"{LIST}/{made.receipt_no}")
    assert status == 200
    assert re.search(r'id="receipt-reference">RMA-7<', page) and 'id="receipt-kind"' in page
    # decided unit by unit through the return: no inspection by quantity here
    assert f"{made.receipt_no}/inspect" not in page and "按单品判定" in page
    # an ordinary receipt: no reference ("-"), no kind, the inspection form
    await w.inv.inbound.set_setting(w.shop.people["admin"], w.shop.brand, WINE, required=True)
    plain = await w.inv.inbound.receive(w.shop.people["admin"], w.shop.brand, "MAIN",
                                        [StockLine(WINE, 5, "L1")])  # fmt: skip
    status, page = await admin.get(f"{LIST}/{plain.receipt.receipt_no}")
    assert status == 200 and 'id="receipt-reference">-<' in page
    assert 'id="receipt-kind"' not in page and f"{plain.receipt.receipt_no}/inspect" in page
