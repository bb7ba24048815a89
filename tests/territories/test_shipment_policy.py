"""Shipments checked at the source (veriseal_territories.shipment_policy): a shipment to
a dealer not authorized for the goods where they go is refused or flagged as the brand's
policy says, on both ledger backends, through the service, the sync, HTTP and the CLI."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.territories.conftest import GTIN, HANGZHOU, World, approve
from tests.territories.test_api_cli import token
from veriseal.accounts.models import SYSTEM, Role
from veriseal.notifications.inbox import Inbox
from veriseal.server.app import Limits, make_app
from veriseal_territories.service import sync_operations
from veriseal_territories.shipment_policy import Destination, ShipmentNotAuthorized
from veriseal_territories.shipments import MoveOptions

#: ZJ02 lives in Zhejiang but may sell tea in Fujian only; NR01 has no home region.
MORE_DEALERS = """code,name,kind,parent,contact,phone,regions,status
ZJ02,杭州经销商,distributor,,赵六,13800000004,CN-ZJ,active
NR01,无区域经销商,distributor,,钱七,13800000005,,active
NR02,无授权经销商,distributor,,孙八,13800000006,,active
"""


@pytest.fixture
async def lateral(network: World) -> World:
    """The network, plus ZJ02 (tea in CN-FJ) and NR01 (tea in CN-GD, no home region),
    and the brand's warehouse shipping items 0-19 to GD01 (authorized: CN-GD)."""
    w, t = network, network.t
    report = await t.dealers.import_csv(SYSTEM, w.brand.id, MORE_DEALERS)
    assert report.errors == []
    for n, (code, region) in enumerate((("ZJ02", "CN-FJ"), ("NR01", "CN-GD")), 10):
        await approve(w.engine, await w.dealer_org(code), n)
        await t.grants.grant(SYSTEM, w.brand.id, code, "category:Beverages/Tea", region)
    r = await t.ship(SYSTEM, w.brand, "GD01", w.codes(0, 20))
    assert r.check is not None and r.check["authorized"] is True
    assert r.check["answers"][0]["reason"] == "authorized"
    return w


async def movements(w: World) -> int:
    return len(await w.t.shipments.movements(w.brand.id))


async def test_lateral_shipment_refused_under_refuse(lateral: World) -> None:
    w, t = lateral, lateral.t
    await t.checks.set_policy(SYSTEM, w.brand.id, check="refuse")
    gd = await w.dealer_org("GD01")
    before, held = await movements(w), await t.shipments.holdings(w.brand.id, gd)
    with pytest.raises(ShipmentNotAuthorized) as err:
        await t.ship(SYSTEM, w.brand, "ZJ02", w.codes(0, 5), from_ref="GD01",
                     options=MoveOptions(client_id="hh-1"))  # fmt: skip
    e = err.value
    assert (e.code, e.http_status) == ("shipment_not_authorized", 403)
    assert e.details["product"] == GTIN and e.details["reason"] == "outside_territory"
    assert e.details["dealer"] == "ZJ02" and e.details["places"] == ["CN-ZJ"]
    assert GTIN in e.message and "outside_territory" in e.message
    # nothing written: no movement, the same holdings, no alert; a retry is judged again
    assert await movements(w) == before
    assert await t.shipments.holdings(w.brand.id, gd) == held
    assert await t.alerts.list(SYSTEM, w.brand.id) == []
    with pytest.raises(ShipmentNotAuthorized):
        await t.ship(SYSTEM, w.brand, "ZJ02", w.codes(0, 5), from_ref="GD01",
                     options=MoveOptions(client_id="hh-1"))  # fmt: skip


async def test_lateral_shipment_flagged_under_flag(lateral: World) -> None:
    w, t = lateral, lateral.t
    root = await w.engine.accounts.brand_org(w.brand)
    boss = await w.engine.accounts.create_user(
        SYSTEM, contact="boss@acme.example", display_name="Boss", role=Role.BRAND_ADMIN,
        org_id=root.id,
    )  # fmt: skip
    assert (await t.checks.policy(w.brand.id)).check == "flag"  # the default
    opts = MoveOptions(client_id="hh-2")
    r = await t.ship(SYSTEM, w.brand, "ZJ02", w.codes(3, 4), from_ref="GD01", options=opts)
    assert r.items == 4 and r.check is not None
    assert (r.check["policy"], r.check["authorized"]) == ("flag", False)
    [alert] = await t.alerts.list(SYSTEM, w.brand.id)
    assert r.to_dict()["diversion_alerts"] == [alert.id]
    ev = alert.evidence
    assert (alert.source, alert.org_id, alert.movement_id) == (
        "shipment", await w.dealer_org("GD01"), r.movement_ids[0],
    )  # fmt: skip
    assert (alert.items, alert.gtin, alert.index, alert.state) == (4, GTIN, 3, "open")
    assert ev["shipper"]["code"] == "GD01" and ev["receiver"]["code"] == "ZJ02"
    assert ev["receiver"]["regions"] == ["CN-ZJ"] and ev["products"] == [GTIN]
    assert ev["ranges"] == {str(w.batch.id): ["3-6"]}
    [answer] = ev["authorize"]
    assert (answer["place"], answer["allowed"], answer["reason"]) == (
        "CN-ZJ", False, "outside_territory",
    )  # fmt: skip
    assert answer["territory"] == ["CN-FJ"] and ev["territory"]["regions"] == ["CN-FJ"]
    assert ev["seen"]["province"] == "CN-ZJ"
    # the goods moved: ZJ02 holds them (in transit)
    zj = await w.dealer_org("ZJ02")
    assert [(h["first"], h["last"]) for h in await t.shipments.holdings(w.brand.id, zj)] == [(3, 6)]
    # the admins are told as of any diversion alert
    [message] = await Inbox(w.engine.ledger).history(boss.id)
    assert message.type == "diversion_alert" and message.data["alert_id"] == alert.id
    # a retried upload is a replay: no second movement, no second alert
    again = await t.ship(SYSTEM, w.brand, "ZJ02", w.codes(3, 4), from_ref="GD01", options=opts)
    assert again.replayed and len(await t.alerts.list(SYSTEM, w.brand.id)) == 1


async def test_allowed_when_authorized_and_destinations(lateral: World) -> None:
    w, t = lateral, lateral.t
    await t.checks.set_policy(SYSTEM, w.brand.id, check="refuse")
    # a shop without grants of its own sells in its distributor's territory (CN-GD)
    r = await t.ship(SYSTEM, w.brand, "GZ-R1", w.codes(0, 2), from_ref="GD01")
    assert r.check is not None and r.check["authorized"] is True
    # a named destination replaces the receiver's home regions
    fj = await t.ship(SYSTEM, w.brand, "ZJ02", w.codes(40, 2),
                      destination=Destination(region="CN-FJ"))  # fmt: skip
    assert fj.check is not None and fj.check["answers"][0]["place"] == "CN-FJ"
    with pytest.raises(ShipmentNotAuthorized) as err:
        await t.ship(SYSTEM, w.brand, "ZJ02", w.codes(42, 2),
                     destination=Destination(point=HANGZHOU))  # fmt: skip
    assert err.value.details["places"] == ["30.27410,120.15510"]
    # a dealer selling on to another territory's dealer is diverting, even where that
    # dealer may sell: GD01 (Guangdong) may not supply ZJ02's Fujian market
    with pytest.raises(ShipmentNotAuthorized) as err:
        await t.ship(SYSTEM, w.brand, "ZJ02", w.codes(2, 2), from_ref="GD01",
                     destination=Destination(region="CN-FJ"))  # fmt: skip
    assert err.value.details["refused_by"] == "GD01"
    # no home region, no destination: what holds anywhere is judged
    ok = await t.ship(SYSTEM, w.brand, "NR01", w.codes(4, 2), from_ref="GD01")
    assert ok.check is not None and ok.check["answers"][0]["reason"] == "destination_unknown"
    with pytest.raises(ShipmentNotAuthorized) as err:
        await t.ship(SYSTEM, w.brand, "NR02", w.codes(6, 2), from_ref="GD01")
    assert err.value.details["reason"] == "no_grant"
    # a suspended receiver is authorized for nothing
    await t.dealers.set_status(SYSTEM, w.brand.id, "GZ-R1", "suspended")
    with pytest.raises(ShipmentNotAuthorized) as err:
        await t.ship(SYSTEM, w.brand, "GZ-R1", w.codes(6, 2), from_ref="GD01")
    assert err.value.details["reason"] == "dealer_inactive"


async def test_brand_warehouse_to_unauthorized_dealer(lateral: World) -> None:
    w, t = lateral, lateral.t
    before = await movements(w)
    with pytest.raises(ShipmentNotAuthorized):  # the warehouse default: refuse
        await t.ship(SYSTEM, w.brand, "ZJ02", w.codes(100, 3))
    assert await movements(w) == before
    await t.checks.set_policy(SYSTEM, w.brand.id, warehouse_check="flag")
    r = await t.ship(SYSTEM, w.brand, "ZJ02", w.codes(100, 3))
    [alert] = await t.alerts.list(SYSTEM, w.brand.id)
    root = await w.engine.accounts.brand_org(w.brand)
    assert alert.org_id == root.id and alert.evidence["shipper"]["warehouse"] is True
    assert r.check is not None and r.check["shipper"] == "warehouse"
    await t.checks.set_policy(SYSTEM, w.brand.id, warehouse_check="off")
    off = await t.ship(SYSTEM, w.brand, "ZJ02", w.codes(103, 3))
    assert off.check is not None and off.check["skipped"] == "off"
    assert len(await t.alerts.list(SYSTEM, w.brand.id)) == 1
    assert [h["warehouse_check"] for h in await t.checks.history(w.brand.id)] == ["flag", "off"]
    assert (await t.checks.policy(w.brand.id)).check == "flag"  # the other setting kept


async def test_a_brand_without_grants_is_not_checked(world: World) -> None:
    w, t = world, world.t
    from tests.territories.conftest import DEALERS_CSV  # noqa: PLC0415

    await t.dealers.import_csv(SYSTEM, w.brand.id, DEALERS_CSV)
    r = await t.ship(SYSTEM, w.brand, "ZJ01", w.codes(0, 2))
    assert r.check is not None and r.check["skipped"] == "no_grants"


async def test_sync_reports_each_operation(lateral: World) -> None:
    w, t = lateral, lateral.t
    await t.checks.set_policy(SYSTEM, w.brand.id, check="refuse")
    ops = [
        {"client_id": "s-1", "kind": "out", "from": "GD01", "to": "GZ-R1", "items": w.codes(0, 2)},
        {"client_id": "s-2", "kind": "out", "from": "GD01", "to": "ZJ02", "items": w.codes(2, 2)},
        {"client_id": "s-3", "kind": "out", "from": "GD01", "to": "ZJ02", "items": w.codes(2, 2),
         "destination": {"region": "CN-FJ"}},
        {"client_id": "s-4", "kind": "out", "from": "GD01", "to": "ZJ02", "items": w.codes(4, 2),
         "destination": {"region": "XX-NOWHERE"}},
        {"client_id": "s-5", "kind": "out", "from": "GD01", "to": "ZJ02", "items": w.codes(4, 2),
         "destination": {"region": "CN-FJ", "lat": 1.0, "lon": 2.0}},
    ]  # fmt: skip
    results = await sync_operations(t.ctx, SYSTEM, w.brand, ops)
    assert [r["ok"] for r in results] == [True, False, False, False, False]
    assert results[1]["error"]["code"] == "shipment_not_authorized"
    assert results[1]["error"]["details"]["product"] == GTIN
    # ZJ02 may sell in Fujian, but GD01 may not supply that market (a lateral shipment)
    assert results[2]["error"]["details"]["refused_by"] == "GD01"
    assert results[3]["error"]["code"] == "region_not_found"
    assert results[4]["error"]["code"] == "invalid_input"
    assert results[0]["territory_check"]["authorized"] is True


async def test_http(lateral: World) -> None:
    w = lateral
    root = await w.engine.accounts.brand_org(w.brand)
    boss = {"Authorization": "Bearer " + await token(w, Role.BRAND_ADMIN, root.id, "b@a.example")}
    gd = {
        "Authorization": "Bearer "
        + await token(w, Role.DISTRIBUTOR, await w.dealer_org("GD01"), "13911110001")
    }
    base = "/api/v1/territories"
    async with TestClient(TestServer(make_app(w.engine, Limits(per_minute=0)))) as c:
        r = await c.get(f"{base}/shipments/policy", headers=boss)
        assert (await r.json())["check"] == "flag"
        r = await c.post(f"{base}/shipments/policy", headers=gd, json={"check": "off"})
        assert r.status == 403  # a dealer does not set the brand's policy
        r = await c.post(f"{base}/shipments/policy", headers=boss, json={"check": "never"})
        assert r.status == 400 and (await r.json())["error"]["code"] == "invalid_input"
        r = await c.post(f"{base}/shipments/policy", headers=boss, json={"check": "refuse"})
        assert r.status == 200 and (await r.json())["check"] == "refuse"
        before = await movements(w)
        # the dealer's own handheld ships laterally: refused, 4xx, nothing written
        r = await c.post(f"{base}/shipments", headers=gd,
                         json={"to": "ZJ02", "items": w.codes(0, 2)})  # fmt: skip
        body = await r.json()
        assert r.status == 403 and body["error"]["code"] == "shipment_not_authorized"
        assert body["error"]["details"]["product"] == GTIN
        assert await movements(w) == before
        r = await c.post(
            f"{base}/shipments", headers=gd, json={"to": "GZ-R1", "items": w.codes(0, 2)}
        )  # its own shop: fine
        assert r.status == 201 and (await r.json())["territory_check"]["authorized"] is True
        r = await c.post(f"{base}/shipments", headers=gd, json={
            "to": "ZJ02", "items": w.codes(2, 2), "destination": {"lat": 30.0}})  # fmt: skip
        assert r.status == 400
        spec = await (await c.get("/openapi.json")).json()
        assert "post" in spec["paths"][f"{base}/shipments/policy"]
        assert "destination" in spec["components"]["schemas"]["ShipBody"]["properties"]
        assert "destination" in json.dumps(spec["components"]["schemas"]["SyncOperation"])


async def test_a_home_region_wider_than_the_grant_is_enough(lateral: World) -> None:
    """An importer registered for a whole country and granted one province of it may
    be shipped to; a named destination outside the grant is still refused."""
    w, t = lateral, lateral.t
    await t.dealers.import_csv(
        SYSTEM, w.brand.id,
        "code,name,kind,parent,contact,phone,regions,status\n"
        "VN01,Hanoi importer,distributor,,Nguyen,0900000001,VN,active\n",
    )  # fmt: skip
    await approve(w.engine, await w.dealer_org("VN01"), 20)
    await t.grants.grant(SYSTEM, w.brand.id, "VN01", "*", "VN-HN")
    r = await t.ship(SYSTEM, w.brand, "VN01", w.codes(40, 2))
    assert r.check is not None and r.check["authorized"] is True
    assert r.check["answers"][0]["reason"] == "overlaps_territory"
    with pytest.raises(ShipmentNotAuthorized):
        await t.ship(SYSTEM, w.brand, "VN01", w.codes(42, 2),
                     destination=Destination(region="VN-SG"))  # fmt: skip
