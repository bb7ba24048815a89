"""Dealers from CSV, sales authorizations and the order-time authorize() check, on both
ledger backends."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.territories.conftest import DEALERS_CSV, GTIN, OTHER_GTIN, World, approve
from veriseal.accounts.models import SYSTEM, Role
from veriseal.catalog.errors import CsvInvalid
from veriseal_territories.grants import TerritoryUnauthorized


async def test_import_builds_the_tree_and_updates_by_code(world: World) -> None:
    t, brand = world.t, world.brand
    report = await t.dealers.import_csv(SYSTEM, brand.id, DEALERS_CSV)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    tree = await t.dealers.tree(SYSTEM, brand.id)
    labels = [(depth, d.code if d else None) for depth, _, d in tree]
    assert labels == [(0, None), (1, "GD01"), (2, "GZ-R1"), (1, "ZJ01")]
    gd = await t.dealers.find(brand.id, "GD01")
    assert (gd.regions, gd.contact, gd.phone, str(gd.kind)) == (
        ("CN-GD",),
        "张三",
        "13800000001",
        "distributor",
    )
    zj = await t.dealers.find(brand.id, "ZJ01")
    assert zj.regions == ("CN-ZJ",)  # GB/T 2260 330000 normalised to ISO
    org = await world.engine.accounts.store.get_org(gd.org_id)
    assert org.profile["dealer_code"] == "GD01"
    again = await t.dealers.import_csv(SYSTEM, brand.id, DEALERS_CSV)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = DEALERS_CSV.replace("13800000001", "13800009999")
    third = await t.dealers.import_csv(SYSTEM, brand.id, changed)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 2)
    assert (await t.dealers.find(brand.id, "GD01")).phone == "13800009999"


async def test_a_bad_file_imports_nothing_unless_asked(world: World) -> None:
    t, brand = world.t, world.brand
    bad = DEALERS_CSV + "SH01,上海,wholesaler,,,,CN-SH,\nSH02,上海门店,retailer,NOPE,,,CN-SH,\n"
    bad += "X1,环一,distributor,X2,,,,\nX2,环二,distributor,X1,,,,\nGD02,,distributor,,,,,\n"
    with pytest.raises(CsvInvalid) as err:
        await t.dealers.import_csv(SYSTEM, brand.id, bad)
    lines = {e["line"]: e["reason"] for e in err.value.details["errors"]}
    assert set(lines) == {5, 6, 7, 8, 9}
    assert "kind" in lines[5] and "NOPE" in lines[6] and "cycle" in lines[7] + lines[8]
    assert "name is empty" in lines[9]
    assert await t.dealers.all(brand.id) == {}
    report = await t.dealers.import_csv(SYSTEM, brand.id, bad, skip_bad=True)
    assert report.created == 3 and len(report.errors) == 5
    # moving a dealer or changing its kind is refused per row
    moved = "code,name,kind,parent\nGZ-R1,广州门店,retailer,ZJ01\nGD01,华南总代,retailer,\n"
    with pytest.raises(CsvInvalid) as err:
        await t.dealers.import_csv(SYSTEM, brand.id, moved)
    reasons = " ".join(e["reason"] for e in err.value.details["errors"])
    assert "moving a dealer is not supported" in reasons and "kind cannot change" in reasons


async def test_grant_needs_verification_and_permission(world: World) -> None:
    t, brand, engine = world.t, world.brand, world.engine
    await t.dealers.import_csv(SYSTEM, brand.id, DEALERS_CSV)
    with pytest.raises(Exception) as err:
        await t.grants.grant(SYSTEM, brand.id, "GD01", "*", "CN-GD")
    assert getattr(err.value, "code", None) == "not_verified"
    assert await t.grants.grants(brand.id) == []
    gd_org = await world.dealer_org("GD01")
    await approve(engine, gd_org, 1)
    # a dealer may not authorize itself; a brand admin of the brand may
    dealer_user = next(
        u for u in await engine.accounts.list_users(SYSTEM, gd_org) if u.role is Role.DISTRIBUTOR
    )
    dealer = await engine.accounts.principal(dealer_user)
    with pytest.raises(Exception) as err:
        await t.grants.grant(dealer, brand.id, "GD01", "*", "CN-GD")
    assert getattr(err.value, "code", None) == "forbidden"
    root = await engine.accounts.brand_org(brand)
    boss_user = await engine.accounts.create_user(
        SYSTEM,
        contact="boss@acme.example",
        display_name="Boss",
        role=Role.BRAND_ADMIN,
        org_id=root.id,
    )
    boss = await engine.accounts.principal(boss_user)
    g = await t.grants.grant(boss, brand.id, "GD01", f"gtin:{GTIN}", "440000")
    assert (g.region, g.product, g.state) == ("CN-GD", f"gtin:{GTIN}", "active")
    for product, region, code in (
        ("gtin:123", "CN-GD", "grant_invalid"),
        ("*", "XX-NOWHERE", "region_not_found"),
        ("*", "custom:nope", "grant_invalid"),
        ("gtin:4006381333931", "CN-GD", "product_not_found"),
    ):
        with pytest.raises(Exception) as err:
            await t.grants.grant(boss, brand.id, "GD01", product, region)
        assert getattr(err.value, "code", None) == code, (product, region)


async def test_authorize(network: World) -> None:
    t, brand = network.t, network.brand
    ok = await t.grants.authorize(brand.id, "GD01", GTIN, "CN-GD/Guangzhou")
    assert ok.allowed and ok.reason == "authorized" and ok.territory == ("CN-GD",)
    assert (await t.grants.authorize(brand.id, "GD01", GTIN, point=(23.13, 113.26))).allowed
    out = await t.grants.authorize(brand.id, "GD01", GTIN, "CN-ZJ")
    assert (out.allowed, out.reason) == (False, "outside_territory")
    assert "outside" in out.message and "GD01" in out.message
    wine = await t.grants.authorize(brand.id, "GD01", OTHER_GTIN, "CN-GD")
    assert (wine.allowed, wine.reason) == (False, "no_grant")
    # the retailer has no grants: it sells in its distributor's territory
    assert (await t.grants.authorize(brand.id, "GZ-R1", GTIN, "440000")).allowed
    # a country-wide destination is larger than a province territory
    assert not (await t.grants.authorize(brand.id, "GD01", GTIN, "CN")).allowed
    with pytest.raises(TerritoryUnauthorized) as err:
        await t.grants.require_authorized(brand.id, "GD01", GTIN, "CN-ZJ")
    assert err.value.code == "territory_unauthorized" and err.value.http_status == 403
    # time: a grant not yet valid, then suspended, reinstated and revoked
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    g = await t.grants.grant(SYSTEM, brand.id, "ZJ01", "*", "CN-SH", valid_from=later)
    assert (await t.grants.authorize(brand.id, "ZJ01", GTIN, "CN-SH")).reason == "outside_territory"
    assert (await t.grants.authorize(brand.id, "ZJ01", GTIN, "CN-SH", at=later)).allowed
    gd = next(g for g in await t.grants.grants(brand.id) if g.region == "CN-GD")
    await t.grants.change(SYSTEM, brand.id, gd.id, "suspend", "audit")
    assert (
        await t.grants.authorize(brand.id, "GD01", GTIN, "CN-GD")
    ).reason == "grant_not_in_force"
    await t.grants.change(SYSTEM, brand.id, gd.id, "reinstate")
    assert (await t.grants.authorize(brand.id, "GD01", GTIN, "CN-GD")).allowed
    await t.grants.change(SYSTEM, brand.id, gd.id, "revoke", "contract ended")
    assert (
        await t.grants.authorize(brand.id, "GD01", GTIN, "CN-GD")
    ).reason == "grant_not_in_force"
    with pytest.raises(Exception) as err:
        await t.grants.change(SYSTEM, brand.id, gd.id, "reinstate")
    assert getattr(err.value, "code", None) == "grant_invalid"  # revocation is final
    await t.dealers.set_status(SYSTEM, brand.id, "ZJ01", "suspended")
    assert (await t.grants.authorize(brand.id, "ZJ01", GTIN, "CN-ZJ")).reason == "dealer_inactive"
    listed = await t.grants.list(SYSTEM, brand.id, include_inactive=True)
    assert {(d.code, g.state) for d, g in listed} >= {("GD01", "revoked"), ("ZJ01", "active")}
    del g
