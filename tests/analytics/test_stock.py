"""Stock-movement analytics on both backends: stock posted through inventory's real
service, the stream drained, every cube row and figure equal to the movements made
here; each post publishes ``inventory.posted`` once (reservations none); redelivery
books nothing twice; the check finds a tampered row and a lost booking and the repair
mends both; the API, the CLI and the console page show the figures; the pure booking
function against an independent sum (hypothesis)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from tests.analytics.conftest import World
from tests.commerce.conftest import TEA, WINE, open_engine
from tests.inventory.console_live import phone_sweep, serve
from veriseal.accounts.models import SYSTEM, Role
from veriseal.engine import Engine
from veriseal.server.app import Limits, make_app
from veriseal_analytics.periods import Period
from veriseal_analytics.stock_booking import Flow, figures, post_rows
from veriseal_analytics.stock_rebuild import rebuild
from veriseal_analytics.stock_stats import StockRanking, stock_stats
from veriseal_cli.main import cli
from veriseal_inventory.models import Meta, MovementKind, StockLine, Warehouse
from veriseal_inventory.service import Inventory
from veriseal_inventory.service import of as inventory_of
from veriseal_inventory.stock import MoveRequest

TZ = ZoneInfo("Asia/Shanghai")
API, PAGE = "/api/v1/analytics", "/console/analytics/stock"
PLUGINS = ("territories", "commerce", "inventory", "analytics")


@pytest.fixture
async def engine(ledger_url: str, tmp_path: Path) -> AsyncIterator[Engine]:
    async with open_engine(ledger_url, tmp_path, PLUGINS) as e:
        yield e


def _today() -> str:
    return dt.datetime.now(TZ).date().isoformat()


def _period() -> Period:
    today = dt.datetime.now(TZ).date()
    return Period(today - dt.timedelta(days=6), today)


async def _warehouses(world: World) -> tuple[Inventory, Warehouse, Warehouse]:
    inv = inventory_of(world.shop.engine.plugins.context("inventory"))
    brand = world.shop.brand
    root = (await world.shop.engine.accounts.brand_org(brand)).id
    main = await inv.warehouses.of_org(brand.id, root)
    dealer = await inv.warehouses.of_org(brand.id, world.shop.orgs["GD01"])
    return inv, main, dealer


async def _movements(world: World) -> tuple[Inventory, Warehouse, Warehouse]:
    """Receive 100 tea and 40 wine (20 into quarantine) at MAIN, release the 20 from
    quarantine, ship 30 tea, transfer 10 tea to GD01's warehouse, adjust +2 and -5 tea
    (a found case, a damaged one) and hold 7 tea for an order (a reservation)."""
    inv, main, dealer = await _warehouses(world)
    await inv.stock.receive(SYSTEM, main, [StockLine(TEA, 100, "L1"), StockLine(WINE, 20, "L1")],
                            MoveRequest("PO-1"))  # fmt: skip
    await inv.stock.receive(SYSTEM, main, [StockLine(WINE, 20, "L2")],
                            MoveRequest("PO-2", location="quarantine"))  # fmt: skip
    await inv.stock.transfer(SYSTEM, main, main, [StockLine(WINE, 20, "L2")],
                             MoveRequest("QC-1", location="quarantine"))  # fmt: skip
    await inv.stock.issue(SYSTEM, main, [StockLine(TEA, 30)], MoveRequest("SO-1"))
    await inv.stock.transfer(SYSTEM, main, dealer, [StockLine(TEA, 10)], MoveRequest("TR-1"))
    await inv.stock.receive(SYSTEM, main, [StockLine(TEA, 2, "L1")], MoveRequest("ADJ-1"),
                            kind=MovementKind.ADJUSTMENT)  # fmt: skip
    async with world.shop.engine.ledger.write() as tx:
        lost = await inv.stock.take(tx, main, [StockLine(TEA, 5)])
        damaged = Meta(MovementKind.ADJUSTMENT, "user:1", "ADJ-2", "damaged")
        await inv.stock.post(tx, main.brand_id, lost, damaged)
    await inv.reservations.reserve(world.shop.brand.id, "ORDER-1", [(TEA, 7)],
                                   dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))  # fmt: skip
    await world.shop.drain()
    return inv, main, dealer


async def _cube(world: World) -> dict[tuple[int, str, str], tuple[int, int]]:
    async with world.ctx.db.read() as tx:
        rows = await tx.fetch("SELECT day, warehouse_id, gtin, kind, units_in, units_out"
                              " FROM analytics_stock_cube WHERE brand_id = ?",
                              world.shop.brand.id)  # fmt: skip
    assert {str(r["day"]) for r in rows} == {_today()}
    return {(int(r["warehouse_id"]), str(r["gtin"]), str(r["kind"])):
            (int(r["units_in"]), int(r["units_out"])) for r in rows}  # fmt: skip


async def test_posts_become_the_stock_cube_and_its_figures(world: World) -> None:
    _, main, dealer = await _movements(world)
    assert await _cube(world) == {
        (main.id, TEA, "inbound"): (100, 0), (main.id, WINE, "inbound"): (40, 0),
        (main.id, TEA, "outbound"): (0, 30),
        (main.id, TEA, "transfer"): (0, 10), (dealer.id, TEA, "transfer"): (10, 0),
        (main.id, TEA, "adjustment"): (2, 5),
    }  # fmt: skip
    # (the quarantine release nets to nothing; the reservation is no movement)
    async with world.shop.engine.ledger.read() as tx:
        events = await tx.fetch("SELECT kind, ref, payload FROM stream_events"
                                " WHERE kind = 'inventory.posted' ORDER BY position")  # fmt: skip
    assert len(events) == 7  # one per stock post; the reservation published nothing
    first = json.loads(events[0]["payload"]) if isinstance(events[0]["payload"], str) else (
        events[0]["payload"])  # fmt: skip
    assert first["kind"] == "inbound" and first["complete"] and first["post_id"] == events[0]["ref"]
    assert sorted((x["gtin"], x["location_kind"], x["quantity"]) for x in first["lines"]) == [
        (TEA, "stock", 100), (WINE, "stock", 20)]  # fmt: skip
    stats, admin, brand = stock_stats(world.ctx), world.shop.people["admin"], world.shop.brand
    got = await stats.summary(admin, brand, _period(), "previous")
    want = {"received": 140, "returned": 0, "shipped": 30, "adjusted_in": 2, "adjusted_out": 5,
            "transferred_in": 10, "transferred_out": 10, "units_in": 152, "units_out": 45,
            "net": 107}  # fmt: skip
    assert {k: got[k] for k in want} == want
    assert got["previous"]["units_in"] == 0 and got["change"]["net"] is None
    by_wh = await stats.ranking(admin, brand, StockRanking("warehouse", _period(), lang="en"))
    assert [(r["key"], r["net"]) for r in by_wh] == [(str(main.id), 97), (str(dealer.id), 10)]
    assert by_wh[0]["label"].startswith(main.code)
    by_product = await stats.ranking(admin, brand, StockRanking("product", _period()))
    assert [(r["key"], r["shipped"], r["net"]) for r in by_product] == [(TEA, 30, 67),
                                                                       (WINE, 0, 40)]  # fmt: skip
    trend = await stats.trend(admin, brand, _period())
    assert len(trend) == 7 and trend[-1]["bucket"] == _today() and trend[-1]["net"] == 107
    assert sum(r["units_out"] for r in trend) == 45


async def test_redelivery_books_nothing_twice_and_rebuild_repairs(world: World) -> None:
    await _movements(world)
    before = await _cube(world)
    async with world.shop.engine.ledger.write() as tx:
        await tx.execute(
            "UPDATE stream_cursors SET position = 0 WHERE consumer = 'analytics.stock'"
        )
    await world.shop.drain()
    assert await _cube(world) == before
    ctx, brand = world.ctx, world.shop.brand
    clean = await rebuild(ctx, brand)
    assert clean.clean and clean.posts == 7 and clean.cube_rows == 6
    # a row drifts: the check finds it and changes nothing; the repair mends it
    async with ctx.db.write() as tx:
        await tx.execute("UPDATE analytics_stock_cube SET units_out = units_out + 3"
                         " WHERE kind = 'outbound'")  # fmt: skip
    checked = await rebuild(ctx, brand)
    assert checked.difference_count == 1 and not checked.repaired
    assert checked.differences[0]["stored"] == [0, 33]
    assert checked.differences[0]["expected"] == [0, 30]
    assert (await rebuild(ctx, brand)).difference_count == 1
    assert (await rebuild(ctx, brand, repair=True)).repaired
    assert await _cube(world) == before and (await rebuild(ctx, brand)).clean
    # a booking lost entirely: found, and booked by the repair
    async with ctx.db.write() as tx:
        await tx.execute("DELETE FROM analytics_stock_posts")
        await tx.execute("DELETE FROM analytics_stock_cube")
    lost = await rebuild(ctx, brand)
    assert len(lost.missing) == 7 and lost.difference_count == 0
    await rebuild(ctx, brand, repair=True)
    assert await _cube(world) == before and (await rebuild(ctx, brand)).clean
    # a booking inventory does not know of is listed, never deleted
    async with ctx.db.write() as tx:
        await tx.execute("INSERT INTO analytics_stock_posts (post_id, brand_id, day, at)"
                         " VALUES (?, ?, ?, ?)", 999_999, brand.id, _today(),
                         dt.datetime.now(dt.UTC))  # fmt: skip
    assert (await rebuild(ctx, brand, repair=True)).unknown == [999_999]


async def test_api_and_page_show_the_figures(world: World) -> None:
    await _movements(world)
    s = world.shop
    token, _ = await s.engine.accounts.create_token(s.people["admin"], "t", ["*"])
    dealer_token, _ = await s.engine.accounts.create_token(s.people["gd"], "t", ["*"])
    headers = {"Authorization": f"Bearer {token}"}
    async with TestClient(TestServer(make_app(s.engine, Limits(per_minute=0)))) as c:
        r = await c.get(f"{API}/stock?period=7d", headers=headers)
        assert r.status == 200 and (await r.json())["net"] == 107
        r = await c.get(f"{API}/stock/top?by=product&period=7d", headers=headers)
        assert [x["key"] for x in (await r.json())["rows"]] == [TEA, WINE]
        r = await c.get(f"{API}/stock/trend?period=7d", headers=headers)
        assert (await r.json())["rows"][-1]["units_in"] == 152
        r = await c.post(f"{API}/stock/rebuild", headers=headers, json={"check": True})
        assert r.status == 200 and (await r.json())["clean"]
        r = await c.get(f"{API}/stock?period=nonsense", headers=headers)
        assert r.status == 400 and (await r.json())["error"]["code"] == "analytics_period_invalid"
        r = await c.get(f"{API}/stock/top?by=dealer", headers=headers)
        assert r.status == 400
        r = await c.get(f"{API}/stock", headers={"Authorization": f"Bearer {dealer_token}"})
        assert r.status == 403
    root = (await s.engine.accounts.brand_org(s.brand)).id
    people = {"admin": (Role.BRAND_ADMIN, root), "gd": (Role.DISTRIBUTOR, s.orgs["GD01"])}
    async with serve(s.engine, people, "stock.example") as live:
        status, page = await (await live.client("admin")).get(PAGE + "?period=7d")
        assert status == 200
        assert 'id="kpi-received">140<' in page and 'id="kpi-net">107<' in page
        assert f'data-key="{TEA}" data-net="67"' in page
        for block in ("chart-trend", "chart-product", "trend-table", "warehouses-table"):
            assert f'id="{block}"' in page, block
        status, _ = await (await live.client("admin")).get(PAGE + "?period=yesterday")
        assert status == 400
        status, _ = await (await live.client("gd")).get(PAGE)
        assert status == 403
        # at a phone's width in Chromium: axe finds nothing serious, no script error
        ready = "[data-chart-ready], [data-chart-error]"
        assert await phone_sweep(live, "admin", [PAGE + "?period=7d"], then=ready) == []


def test_report_stock_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``report`` group's stock commands on an empty ledger."""
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke
    init = run(cli, ["init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example"])
    assert init.exit_code == 0, init.output
    got = run(cli, ["report", "stock", "--json", "--compare", "none"])
    assert got.exit_code == 0, got.output
    assert (json.loads(got.output)["units_in"], json.loads(got.output)["net"]) == (0, 0)
    trend = run(cli, ["report", "stock", "--by", "trend", "--period", "7d", "--json"])
    assert trend.exit_code == 0 and len(json.loads(trend.output)) == 7
    text = run(cli, ["report", "stock"])
    assert text.exit_code == 0 and "Net change" in text.output
    check = run(cli, ["report", "stock-rebuild", "--check", "--json"])
    assert check.exit_code == 0 and json.loads(check.output)["clean"]
    bad = run(cli, ["report", "stock", "--period", "yesterday"])
    assert bad.exit_code != 0 and "[analytics_period_invalid]" in bad.output


def test_a_transfer_counts_where_goods_entered_or_left() -> None:
    rows = post_rows("2026-01-02", "transfer", [(1, TEA, -5), (2, TEA, 5), (1, TEA, 5)])
    assert rows == {("2026-01-02", 2, TEA, "transfer"): Flow(5, 0)}
    assert figures({"transfer": Flow(5, 0)})["net"] == 5


changes = st.lists(st.tuples(st.integers(1, 3), st.sampled_from([TEA, WINE]),
                             st.integers(-50, 50)), max_size=12)  # fmt: skip


@given(changes)
def test_post_rows_against_an_independent_sum(moves: list[tuple[int, str, int]]) -> None:
    rows = post_rows("2026-01-02", "adjustment", moves)
    for w in (1, 2, 3):
        for g in (TEA, WINE):
            net = sum(q for ww, gg, q in moves if (ww, gg) == (w, g))
            f = rows.get(("2026-01-02", w, g, "adjustment"))
            if net == 0:
                assert f is None
            else:
                assert f is not None and f.units_in - f.units_out == net
                assert min(f.units_in, f.units_out) == 0
    assert all(k[0] == "2026-01-02" and k[3] == "adjustment" for k in rows)
