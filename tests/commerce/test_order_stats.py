"""Order statistics on both backends (expected figures summed here from the orders
themselves), a dealer's view limited to its subtree, and the ``veriseal orders`` CLI's
brand-side commands on a fresh ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.commerce.conftest import TEA, WINE, Shop
from tests.commerce.orders_world import draft, priced
from veriseal import SYSTEM_PRINCIPAL
from veriseal_cli.main import cli
from veriseal_commerce.order_stats import StatsInvalid, StatsQuery, order_stats


async def test_stats_by_each_group(shop: Shop) -> None:
    await priced(shop)
    placed = []
    for who, lines in (("gd", [(TEA, 3)]), ("gd", [(TEA, 1), (WINE, 2)]), ("shop", [(WINE, 5)])):
        order = await draft(shop, who, lines=lines)
        placed.append(await shop.c.orders.submit(shop.people[who], order.order_no))
    await draft(shop, "zj", region="CN-ZJ")  # a draft is not counted
    await shop.c.orders.cancel(shop.people["gd"], placed[0].order_no)
    placed[0] = await shop.c.orders.load(SYSTEM_PRINCIPAL, placed[0].order_no)

    async def got(by: str, who: str = "admin") -> dict[str, tuple[int, int, int]]:
        rows = await order_stats(shop.ctx, shop.people[who], StatsQuery(shop.brand.id, by))
        return {r.key: (r.orders, r.units, r.amount) for r in rows}

    def expect(key: object) -> dict[str, tuple[int, int, int]]:
        out: dict[str, tuple[int, int, int]] = {}
        for o in placed:
            k = str(key(o))  # type: ignore[operator]
            n, u, a = out.get(k, (0, 0, 0))
            out[k] = (n + 1, u + sum(ln.quantity for ln in o.lines), a + o.total)
        return out

    assert await got("status") == expect(lambda o: o.status)
    assert await got("dealer") == expect(lambda o: o.org_id)
    assert await got("region") == expect(lambda o: o.region)
    today = dt.datetime.now(dt.UTC)
    assert await got("day") == expect(lambda o: f"{o.created_at:%Y-%m-%d}")
    assert set(await got("month")) == {f"{today:%Y-%m}"}
    by_product: dict[str, tuple[int, int, int]] = {}
    for o in placed:
        for ln in o.lines:
            n, u, a = by_product.get(ln.gtin, (0, 0, 0))
            by_product[ln.gtin] = (n + 1, u + ln.quantity, a + ln.amount)
    assert await got("product") == by_product
    # a retailer sees its own orders only; its parent distributor its subtree's
    assert await got("dealer", "shop") == {str(shop.orgs["GZ-R1"]): expect(
        lambda o: o.org_id)[str(shop.orgs["GZ-R1"])]}  # fmt: skip
    assert await got("dealer", "zj") == {}
    assert set(await got("dealer", "gd")) == {str(shop.orgs["GD01"]), str(shop.orgs["GZ-R1"])}
    with pytest.raises(StatsInvalid):
        await got("colour")


def test_orders_cli_brand_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke
    init = run(cli, ["init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example"])
    assert init.exit_code == 0, init.output
    expired = run(cli, ["orders", "expire"])
    assert expired.exit_code == 0 and "0 expired" in expired.output
    listed = run(cli, ["orders", "list"])
    assert listed.exit_code == 0 and listed.output == ""
    stats = run(cli, ["orders", "stats", "--json"])
    assert stats.exit_code == 0 and stats.output.strip() == "[]"
    missing = run(cli, ["orders", "show", "SO-NONE"])
    assert missing.exit_code != 0 and "[order_not_found]" in missing.output
    bad = run(cli, ["orders", "stats", "--since", "yesterday"])
    assert bad.exit_code != 0 and "[invalid_input]" in bad.output
