"""Adding one dealer from a form and adopting an organisation made in the accounts
pages (veriseal_territories.dealers), on both ledger backends."""

from __future__ import annotations

import pytest

from tests.territories.conftest import World
from veriseal.accounts.models import SYSTEM, OrgKind, Role


async def test_add_one_dealer_with_the_imports_checks(network: World) -> None:
    w, t = network, network.t
    d = await t.dealers.add(SYSTEM, w.brand.id, {"code": "SZ-R1", "name": "深圳门店",
                                                  "kind": "retailer", "parent": "GD01",
                                                  "regions": "440300"})  # fmt: skip
    assert (d.kind, d.regions, d.parent_org_id) == (
        OrgKind.RETAILER, ("440300",), await w.dealer_org("GD01")
    )  # fmt: skip
    for fields, words in (
        ({"code": "SZ-R1", "name": "again"}, "in use"),
        ({"code": "X1", "name": "x", "parent": "NOPE"}, "NOPE"),
        ({"code": "X2", "name": "x", "kind": "distributor", "parent": "GZ-R1"}, "retailer"),
        ({"code": "bad code", "name": "x"}, "code"),
        ({"code": "X3", "name": "x", "regions": "Atlantis"}, "Atlantis"),
    ):
        with pytest.raises(Exception) as err:
            await t.dealers.add(SYSTEM, w.brand.id, fields)
        assert getattr(err.value, "code", None) in ("dealer_invalid", "region_not_found")
        assert words in str(err.value), (fields, str(err.value))
    # a distributor adds a shop under itself, not under its sibling
    gd_user = await w.engine.accounts.create_user(
        SYSTEM, contact="13711110000", display_name="gd", role=Role.DISTRIBUTOR,
        org_id=await w.dealer_org("GD01"),
    )  # fmt: skip
    gd = await w.engine.accounts.principal(gd_user)
    await t.dealers.add(gd, w.brand.id, {"code": "FS-R1", "name": "佛山", "kind": "retailer",
                                         "parent": "GD01"})  # fmt: skip
    with pytest.raises(Exception) as err:
        await t.dealers.add(gd, w.brand.id, {"code": "NB-R1", "name": "宁波", "kind": "retailer",
                                             "parent": "ZJ01"})  # fmt: skip
    assert getattr(err.value, "code", None) == "forbidden"


async def test_adopt_an_organisation_of_the_accounts_tree(network: World) -> None:
    w, t, accounts = network, network.t, network.engine.accounts
    root = await accounts.brand_org(w.brand)
    dist = await accounts.create_org(SYSTEM, root.id, OrgKind.DISTRIBUTOR, "华北经销商")
    shop = await accounts.create_org(SYSTEM, dist.id, OrgKind.RETAILER, "北京门店")
    with pytest.raises(Exception) as err:  # parents first
        await t.dealers.adopt(SYSTEM, w.brand.id, shop.id, {"code": "BJ-R1"})
    assert "parent" in str(err.value)
    d = await t.dealers.adopt(SYSTEM, w.brand.id, dist.id, {"code": "BJ01", "regions": "CN-BJ"})
    assert (d.name, d.kind, d.regions, d.status) == ("华北经销商", OrgKind.DISTRIBUTOR,
                                                     ("CN-BJ",), "active")  # fmt: skip
    s = await t.dealers.adopt(SYSTEM, w.brand.id, shop.id, {"code": "BJ-R1", "name": "朝阳店"})
    assert (s.name, s.parent_org_id) == ("朝阳店", dist.id)
    assert (await t.dealers.find(w.brand.id, "BJ-R1")).org_id == shop.id
    for org_id, fields in ((dist.id, {"code": "BJ02"}), (root.id, {"code": "ROOT"}),
                           (shop.id, {"code": "BJ-R1"})):  # fmt: skip
        with pytest.raises(Exception) as err:
            await t.dealers.adopt(SYSTEM, w.brand.id, org_id, fields)
        assert getattr(err.value, "code", None) == "dealer_invalid"
    other = await accounts.create_org(SYSTEM, root.id, OrgKind.DISTRIBUTOR, "x")
    with pytest.raises(Exception) as err:
        await t.dealers.adopt(SYSTEM, w.brand.id, other.id, {"code": "GD01"})
    assert "in use" in str(err.value)
