"""Shipments with range holdings, diversion alerts from scans and inbound scans, the
alert workflow, clone interplay and history analysis, on both ledger backends."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io

import pytest

from tests.territories.conftest import (
    CHANGSHA,
    GUANGZHOU,
    HANGZHOU,
    SHENZHEN,
    World,
    drain,
    single_sightings,
)
from veriseal.accounts.models import SYSTEM, Role
from veriseal.codes.gtin import gs1_check_digit
from veriseal.ledger.dialects import POSTGRES
from veriseal.lifecycle.aggregation import Children, PackRequest
from veriseal.lifecycle.events import BatchRange, Where
from veriseal.models import AlertKind, ClonePolicy, Location, LocationSource, ScanChannel
from veriseal.notifications.inbox import Inbox
from veriseal.scanning.service import ScanContext
from veriseal_territories import diversion
from veriseal_territories.analysis import analyse
from veriseal_territories.shipments import MoveOptions


def sscc(n: int) -> str:
    body = f"09506000{n:09d}"
    return body + str(gs1_check_digit(body))


async def pack_pallet(w: World) -> str:
    """Items 0-23 and 24-47 in two cases on one pallet; returns the pallet's SSCC."""
    aggregation, where = w.engine.lifecycle.aggregation, Where()
    for case, first in ((1, 0), (2, 24)):
        ranges = (BatchRange(w.batch.id, first, first + 23),)
        await aggregation.pack(w.brand, PackRequest(sscc(case), Children(ranges)), where)
    await aggregation.pack(w.brand, PackRequest(sscc(100), Children((), (sscc(1), sscc(2)))), where)
    return sscc(100)


async def scan(
    w: World,
    code: str,
    where: tuple[float, float],
    source: str = "gps",
    accuracy: float | None = 20.0,
    actor: str = "device:phone",
) -> int:
    loc = Location(where[0], where[1], accuracy, LocationSource(source))
    result = await w.engine.scans.scan(code, ScanContext(ScanChannel.WEB, actor, loc))
    return result.scan_id


async def test_pallet_ships_as_ranges_and_receipts_replay(network: World) -> None:
    w, t = network, network.t
    pallet = await pack_pallet(w)
    out_1, in_1 = MoveOptions(client_id="hh-1"), MoveOptions(client_id="in-1")
    out = await t.shipments.ship(SYSTEM, w.brand, "GD01", [pallet], options=out_1)
    assert (out.items, out.replayed) == (48, False)
    gd = await w.dealer_org("GD01")
    assert await t.shipments.holdings(w.brand.id, gd) == [
        {
            "batch_id": w.batch.id,
            "first": 0,
            "last": 47,
            "movement_id": out.movement_ids[0],
            "state": "in_transit",
        }
    ]
    again = await t.shipments.ship(SYSTEM, w.brand, "GD01", [pallet], options=out_1)
    assert again.replayed and again.movement_ids == out.movement_ids
    received = await t.receive(SYSTEM, w.brand, [pallet], at_ref="GD01", options=in_1)
    assert (received.received, received.taken, received.already) == (48, [], 0)
    assert (await t.shipments.holder(w.batch.id, 7))[0:3:2] == (gd, "in")  # type: ignore[index]
    replay = await t.receive(SYSTEM, w.brand, [pallet], at_ref="GD01", options=in_1)
    assert replay.replayed
    twice = await t.receive(SYSTEM, w.brand, [pallet], at_ref="GD01")
    assert (twice.already, twice.received) == (48, 0)
    # GD01 passes one case to its retailer: the holding splits into two rows
    await t.shipments.ship(SYSTEM, w.brand, "GZ-R1", [sscc(1)], from_ref="GD01")
    held = await t.shipments.holdings(w.brand.id, gd)
    assert [(h["first"], h["last"]) for h in held] == [(24, 47)]
    r1 = await w.dealer_org("GZ-R1")
    assert [(h["first"], h["last"]) for h in await t.shipments.holdings(w.brand.id, r1)] == [
        (0, 23)
    ]
    # a dealer cannot ship what it does not hold; nothing is written
    with pytest.raises(Exception) as err:
        await t.shipments.ship(SYSTEM, w.brand, "ZJ01", w.codes(20, 6), from_ref="GD01")
    assert getattr(err.value, "code", None) == "not_held", err.value
    assert "20-23" in err.value.args[0]
    assert [(h["first"], h["last"]) for h in await t.shipments.holdings(w.brand.id, gd)] == [
        (24, 47)
    ]
    # single item codes work as well as SSCCs; a typo names its line
    ok = await t.shipments.ship(SYSTEM, w.brand, "ZJ01", w.codes(100, 3))
    assert ok.items == 3
    with pytest.raises(Exception) as err:
        await t.shipments.ship(SYSTEM, w.brand, "ZJ01", [*w.codes(103, 1), "not-a-code"])
    assert getattr(err.value, "code", None) == "item_unknown"


async def test_a_consignment_seen_outside_raises_one_alert_that_grows(network: World) -> None:
    w, t = network, network.t
    root = await w.engine.accounts.brand_org(w.brand)
    boss = await w.engine.accounts.create_user(
        SYSTEM,
        contact="boss@acme.example",
        display_name="Boss",
        role=Role.BRAND_ADMIN,
        org_id=root.id,
    )
    pallet = await pack_pallet(w)
    await t.shipments.ship(SYSTEM, w.brand, "GD01", [pallet])
    codes = w.codes(0, 48)
    await scan(w, codes[1], GUANGZHOU)  # at home: nothing
    await scan(w, codes[2], SHENZHEN)
    await scan(w, codes[30], HANGZHOU, actor="device:a")
    await scan(w, codes[31], HANGZHOU, actor="device:a")  # the same witness: one person
    await drain(w.engine)  # the diversion checks run on the event stream
    assert await t.alerts.list(SYSTEM, w.brand.id) == []  # one witness is never proof
    tipping = await scan(w, codes[32], HANGZHOU, actor="device:b")
    await drain(w.engine)
    [alert] = await t.alerts.list(SYSTEM, w.brand.id)
    ev = alert.evidence
    assert (alert.state, alert.source, alert.level, alert.items) == ("open", "scan", "suspected", 3)
    assert alert.scan_id == tipping and alert.index == 32  # the scan that raised it
    assert ev["holder"]["code"] == "GD01" and ev["territory"]["regions"] == ["CN-GD"]
    assert [u["index"] for u in ev["units"]] == [30, 31, 32]
    assert ev["assessment"]["witnesses"] == 2 and ev["assessment"]["score"] == 3.0
    seen = ev["units"][0]["seen"]
    assert seen["province"] == "CN-ZJ" and seen["source"] == "gps" and seen["km_outside"] > 100
    assert ev["units"][0]["by"]["class"] == "sale"
    [message] = await Inbox(w.engine.ledger).history(boss.id)
    assert message.type == "diversion_alert" and "GD01" in message.body
    assert message.data == {**message.data, "alert_id": alert.id, "level": "suspected"}
    # a fourth unit by a third witness: the same alert, escalated and announced again
    await scan(w, codes[33], HANGZHOU, actor="device:c")
    await scan(w, codes[33], HANGZHOU, actor="device:c")  # the same unit again: counted once
    await drain(w.engine)
    [strong] = await t.alerts.list(SYSTEM, w.brand.id, level="strong")
    assert strong.id == alert.id and strong.items == 4
    assert "escalated" in (await t.alerts.get(SYSTEM, w.brand.id, alert.id)).history[-1]["note"]
    assert len(await Inbox(w.engine.ledger).history(boss.id)) == 2
    # units the brand still holds are nobody's diversion
    await scan(w, w.codes(500, 1)[0], HANGZHOU)
    await drain(w.engine)
    assert len(await t.alerts.list(SYSTEM, w.brand.id)) == 1


async def test_scans_that_are_not_sales_are_not_evidence(network: World) -> None:
    """Inspectors' test purchases and the holder's own line handling its goods."""
    w, t = network, network.t
    await t.shipments.ship(SYSTEM, w.brand, "GD01", [await pack_pallet(w)])
    root = await w.engine.accounts.brand_org(w.brand)
    staff = []
    for n, (role, org) in enumerate(
        [(Role.INSPECTOR, root.id), (Role.INSPECTOR, root.id),
         (Role.DISTRIBUTOR, await w.dealer_org("GD01")),
         (Role.RETAILER, await w.dealer_org("GZ-R1"))]
    ):  # fmt: skip
        user = await w.engine.accounts.create_user(
            SYSTEM, contact=f"u{n}@acme.example", display_name=f"U{n}", role=role, org_id=org
        )
        staff.append(f"user:{user.id}")
    for n, actor in enumerate(staff):
        await scan(w, w.codes(n, 1)[0], HANGZHOU, actor=actor)
    await drain(w.engine)
    assert await t.alerts.list(SYSTEM, w.brand.id) == []
    # a dealer outside GD01's line with the goods in hand counts (double)
    other = await w.engine.accounts.create_user(
        SYSTEM, contact="zj@acme.example", display_name="ZJ", role=Role.DISTRIBUTOR,
        org_id=await w.dealer_org("ZJ01"),
    )  # fmt: skip
    await scan(w, w.codes(10, 1)[0], HANGZHOU, actor=f"user:{other.id}")
    await scan(w, w.codes(11, 1)[0], HANGZHOU, actor="device:shopper")
    await drain(w.engine)
    [alert] = await t.alerts.list(SYSTEM, w.brand.id)
    assert alert.evidence["assessment"]["score"] == 3.0
    assert {u["by"]["class"] for u in alert.evidence["units"]} == {"other_dealer", "sale"}


async def test_rights_as_they_stood_when_the_goods_arrived(network: World) -> None:
    """Goods received while a grant was in force are not diverted when it ends."""
    w, t = network, network.t
    await single_sightings(w)
    now = dt.datetime.now(dt.UTC)
    await t.grants.grant(
        SYSTEM, w.brand.id, "GD01", "*", "CN-HN", valid_from=now - dt.timedelta(days=9),
        valid_until=now + dt.timedelta(seconds=2),
    )  # fmt: skip
    await t.shipments.ship(SYSTEM, w.brand, "GD01", w.codes(0, 4))
    await asyncio.sleep(2.5)  # the Hunan grant has ended
    await scan(w, w.codes(0, 1)[0], CHANGSHA, actor="device:a")
    await drain(w.engine)
    assert await t.alerts.list(SYSTEM, w.brand.id) == []
    # goods that arrive after it ended are judged without it
    await t.shipments.ship(SYSTEM, w.brand, "GD01", w.codes(10, 2))
    await scan(w, w.codes(10, 1)[0], CHANGSHA, actor="device:b")
    await drain(w.engine)
    [alert] = await t.alerts.list(SYSTEM, w.brand.id)
    assert alert.index == 10


async def test_tolerances(network: World) -> None:
    w, t = network, network.t
    await t.shipments.ship(SYSTEM, w.brand, "GD01", [await pack_pallet(w)])
    await single_sightings(w)
    codes = w.codes(0, 48)
    # a vague GPS fix is no evidence; an IP fix whose disc reaches the territory neither
    await scan(w, codes[4], HANGZHOU, accuracy=5000)
    await scan(w, codes[3], CHANGSHA, source="ip", accuracy=300_000)
    await drain(w.engine)
    assert await t.alerts.list(SYSTEM, w.brand.id) == []
    # a fix just across the border: uncertain within the buffer
    border = (25.42, 112.95)  # Yizhang, Hunan, ~15 km north of the Guangdong border
    region = w.engine.committer.resolver().resolve(*border)  # type: ignore[misc]
    assert region is not None and region.province != "CN-GD"
    await t.diversion.set_tolerances(SYSTEM, w.brand.id, buffer_km=40)
    await scan(w, codes[5], border)
    await drain(w.engine)
    assert await t.alerts.list(SYSTEM, w.brand.id) == []
    # IP-derived positions weigh ip_weight: two of them make one observation's worth
    await t.diversion.set_tolerances(SYSTEM, w.brand.id, buffer_km=0, ip_weight=0.5, near_km=0)
    await scan(w, codes[6], HANGZHOU, source="ip", accuracy=50_000, actor="device:x")
    await drain(w.engine)
    assert await t.alerts.list(SYSTEM, w.brand.id) == []  # half an observation
    await scan(w, codes[7], HANGZHOU, source="ip", accuracy=50_000, actor="device:y")
    await drain(w.engine)
    [alert] = await t.alerts.list(SYSTEM, w.brand.id)
    assert alert.evidence["assessment"]["score"] == 1.0 and alert.items == 2
    with pytest.raises(Exception) as err:
        await t.diversion.set_tolerances(SYSTEM, w.brand.id, ip_weight=2)
    assert getattr(err.value, "code", None) == "tolerance_invalid"


async def test_inbound_scan_by_another_dealer(network: World) -> None:
    w, t = network, network.t
    pallet = await pack_pallet(w)
    await t.shipments.ship(SYSTEM, w.brand, "GD01", [pallet])
    await t.receive(SYSTEM, w.brand, [pallet], at_ref="GD01")
    # ZJ01 (Zhejiang) scans in a case GD01 holds: no shipment to it, outside GD01's land
    r = await t.receive(SYSTEM, w.brand, [sscc(2)], at_ref="ZJ01")
    gd, zj = await w.dealer_org("GD01"), await w.dealer_org("ZJ01")
    assert [(x.from_org, x.items) for x in r.taken] == [(gd, 24)]
    [alert_id] = r.diversion_alerts
    alert = await t.alerts.get(SYSTEM, w.brand.id, alert_id)
    assert (alert.source, alert.items, alert.org_id) == ("receipt", 24, gd)
    assert alert.evidence["received_by"]["code"] == "ZJ01"
    assert alert.evidence["seen"] == {"at": alert.evidence["seen"]["at"], "home_regions": ["CN-ZJ"]}
    assert (await t.shipments.holder(w.batch.id, 30))[0] == zj  # type: ignore[index]
    # the retailer under GD01, in Guangzhou, taking goods from GD01: inside, no alert
    r2 = await t.receive(SYSTEM, w.brand, [sscc(1)], at_ref="GZ-R1")  # no location
    assert r2.taken and r2.diversion_alerts == []


async def test_workflow_confirm_penalty_suspends_and_export(network: World) -> None:
    w, t = network, network.t
    await t.shipments.ship(SYSTEM, w.brand, "GD01", [await pack_pallet(w)])
    await single_sightings(w)
    await scan(w, w.codes(10, 1)[0], HANGZHOU)
    await drain(w.engine)  # the diversion checks run on the event stream
    [alert] = await t.alerts.list(SYSTEM, w.brand.id)
    with pytest.raises(Exception) as err:
        await t.alerts.transition(SYSTEM, w.brand.id, alert.id, "confirmed", "seen it")
    assert getattr(err.value, "code", None) == "alert_transition"
    await t.alerts.transition(SYSTEM, w.brand.id, alert.id, "investigating", "calling GD01")
    with pytest.raises(Exception) as err:
        await t.alerts.transition(SYSTEM, w.brand.id, alert.id, "confirmed", "")
    assert getattr(err.value, "code", None) == "alert_transition"  # a note is required
    done = await t.alerts.transition(
        SYSTEM,
        w.brand.id,
        alert.id,
        "confirmed",
        "sold to a Hangzhou wholesaler",
        {"amount": 5000, "currency": "cny"},
        "suspend",
    )
    assert done.state == "confirmed"
    assert [h["state"] for h in done.history] == ["open", "investigating", "confirmed"]
    assert done.history[-1]["penalty"] == {"amount": 5000, "currency": "CNY", "reason": ""}
    decision = await t.grants.authorize(w.brand.id, "GD01", w.batch.gtin, "CN-GD")
    assert decision.reason == "grant_not_in_force"
    with pytest.raises(Exception) as err:
        await t.alerts.transition(SYSTEM, w.brand.id, alert.id, "dismissed", "oops")
    assert getattr(err.value, "code", None) == "alert_transition"  # final
    text = await t.alerts.export(SYSTEM, w.brand.id, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["id"], r["state"], r["dealer_code"], r["province"]) for r in rows] == [
        (str(alert.id), "confirmed", "GD01", "CN-ZJ")
    ]
    assert await t.alerts.list(SYSTEM, w.brand.id, state="open") == []
    # an inspector may read alerts, not decide them; a retailer neither
    inspector_user = await w.engine.accounts.create_user(
        SYSTEM,
        contact="insp@acme.example",
        display_name="Insp",
        role=Role.INSPECTOR,
        org_id=(await w.engine.accounts.brand_org(w.brand)).id,
    )
    inspector = await w.engine.accounts.principal(inspector_user)
    assert len(await t.alerts.list(inspector, w.brand.id)) == 1
    with pytest.raises(Exception) as err:
        await t.alerts.transition(inspector, w.brand.id, alert.id, "dismissed", "no")
    assert getattr(err.value, "code", None) == "forbidden"


async def test_clone_alert_dismisses_the_diversion_alert(network: World) -> None:
    w, t = network, network.t
    await w.engine.ledger.set_clone_policy(w.brand.id, None, ClonePolicy(max_verifications=2))
    await t.shipments.ship(SYSTEM, w.brand, "GD01", [await pack_pallet(w)])
    copied, other = w.codes(11, 2)
    await scan(w, copied, HANGZHOU, actor="device:a")
    await scan(w, other, HANGZHOU, actor="device:b")
    await drain(w.engine)  # the diversion checks run on the event stream
    [alert] = await t.alerts.list(SYSTEM, w.brand.id)
    await scan(w, copied, (30.2745, 120.1555))
    await scan(w, copied, (30.2749, 120.1559))  # the third verification: clone_count
    await drain(w.engine)  # the diversion checks run on the event stream
    again = await t.alerts.get(SYSTEM, w.brand.id, alert.id)
    # without the copied code one unit is left: no longer an alert
    assert again.state == "dismissed" and "clone alert" in again.history[-1]["note"]
    assert again.evidence["assessment"]["units"] == 1
    # the same clone alert again (a redelivery) sets nothing aside and rewrites no
    # evidence row (on PostgreSQL an UPDATE makes a new row version: xmin moves)
    [clone] = await w.engine.ledger.list_alerts(w.brand.id, kind=AlertKind.CLONE_COUNT)
    code = clone.alert.code
    before = await _evidence_versions(w, code)
    assert before and all(excluded for excluded, _ in before)
    details = {"kind": "clone_count", "code": code}
    assert await t.diversion.on_core_alert(w.brand.id, clone.id, details) == 0
    assert await _evidence_versions(w, code) == before


async def _evidence_versions(w: World, code: str) -> list[tuple[int, str]]:
    """The code's evidence rows: (excluded, row version), in id order. The version is
    PostgreSQL's ``xmin``; SQLite keeps none, so there only ``excluded`` is compared."""
    version = "xmin::text" if w.engine.ledger.dialect is POSTGRES else "''"
    async with w.engine.ledger.read() as tx:
        rows = await tx.fetch(
            f"SELECT excluded, {version} AS v FROM territories_evidence WHERE code = ? ORDER BY id",
            code,
        )
    return [(int(r["excluded"]), str(r["v"])) for r in rows]


async def test_history_analysis_ranks_dealers(network: World) -> None:
    w, t = network, network.t
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    await t.shipments.ship(SYSTEM, w.brand, "GD01", [await pack_pallet(w)])
    await t.shipments.ship(SYSTEM, w.brand, "ZJ01", w.codes(200, 10))
    codes = w.codes(0, 48)
    for i in range(5):
        await scan(w, codes[i], HANGZHOU)  # GD01's goods in Zhejiang
    await scan(w, codes[6], CHANGSHA)
    await scan(w, codes[7], GUANGZHOU)
    zj = w.codes(200, 10)
    await scan(w, zj[0], HANGZHOU)
    await scan(w, zj[1], GUANGZHOU)  # ZJ01's goods in Guangdong
    found = await analyse(t.ctx, t.diversion, SYSTEM, w.brand.id, start)
    assert [(f.code, len(f.outside_units), f.outside_scans, f.scans) for f in found] == [
        ("GD01", 6, 6, 7),
        ("ZJ01", 1, 1, 2),
    ]
    assert found[0].regions.most_common() == [("CN-ZJ", 5), ("CN-HN", 1)]
    # only what was scanned after --since counts
    assert await analyse(t.ctx, t.diversion, SYSTEM, w.brand.id, dt.datetime.now(dt.UTC)) == []


async def test_export_takes_every_page(network: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """An export is every alert, read a page at a time (it used to stop at 1,000)."""
    w, t = network, network.t
    await single_sightings(w)
    for code in w.codes(10, 3):  # three consignments: three alerts
        await t.shipments.ship(SYSTEM, w.brand, "GD01", [code])
        await scan(w, code, HANGZHOU)
    await drain(w.engine)  # the diversion checks run on the event stream
    every = [a.id for a in await t.alerts.list(SYSTEM, w.brand.id)]
    assert len(every) == 3
    monkeypatch.setattr(diversion, "EXPORT_PAGE", 2)
    rows = list(csv.DictReader(io.StringIO(await t.alerts.export(SYSTEM, w.brand.id, "csv"))))
    assert [int(r["id"]) for r in rows] == every
    lines = (await t.alerts.export(SYSTEM, w.brand.id, "jsonl")).splitlines()
    assert len(lines) == 3
