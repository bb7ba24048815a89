"""The diversion consumer weighs a consignment once per batch (veriseal_territories.
consignments): what it writes must equal what judging and storing each scan in a
transaction of its own writes, the way the consumer did before, with every evidence
row read again per scan. Both backends; the caps made small so that they are crossed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.territories.conftest import HANGZHOU, World, drain
from tests.territories.test_shipments_diversion import GUANGZHOU, pack_pallet, scan
from veriseal.accounts.models import SYSTEM
from veriseal.models import ClonePolicy, ScanQuery
from veriseal_territories import consignments


async def _written(w: World) -> dict[str, list[Any]]:
    """Every alert, alert event and evidence row, without their generated ids."""
    async with w.engine.ledger.read() as tx:
        alerts = await tx.fetch(
            "SELECT dedup_key, source, org_id, code, scan_id, items, level, evidence"
            " FROM territories_alerts ORDER BY dedup_key"
        )
        events = await tx.fetch(
            "SELECT a.dedup_key, e.state, e.actor, e.note FROM territories_alert_events e"
            " JOIN territories_alerts a ON a.id = e.alert_id ORDER BY e.id"
        )
        evidence = await tx.fetch(
            "SELECT group_key, scan_id, org_id, excluded, weight, detail"
            " FROM territories_evidence ORDER BY scan_id"
        )
    return {
        "alerts": [{**r, "evidence": json.loads(r["evidence"])} for r in alerts],
        "events": [dict(r) for r in events],
        "evidence": [dict(r) for r in evidence],
    }


async def _forget(w: World) -> None:
    async with w.engine.ledger.write() as tx:
        for table in ("territories_alert_events", "territories_evidence", "territories_alerts"):
            await tx.execute(f"DELETE FROM {table}")


async def test_a_batch_writes_what_one_scan_at_a_time_writes(
    network: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w, t = network, network.t
    monkeypatch.setattr(consignments, "LISTED_UNITS", 4)
    monkeypatch.setattr(consignments, "MAX_EVIDENCE_ROWS", 18)
    await t.shipments.ship(SYSTEM, w.brand, "GD01", [await pack_pallet(w)])
    codes = w.codes(0, 48)
    for i in range(30):  # a consignment sold in Zhejiang, each unit to its own buyer
        await scan(w, codes[i], HANGZHOU, actor=f"device:c{i}")
        if i % 7 == 0:  # and some sold at home
            await scan(w, codes[40 + i // 7], GUANGZHOU, actor=f"device:g{i}")
    await scan(w, codes[20], HANGZHOU, actor="device:again")  # a unit seen twice

    # one at a time, in stream order: each scan judged and stored in its own transaction
    scans = {s.id: s for s in await w.engine.ledger.list_scans(w.brand.id, ScanQuery(limit=500))}
    async with w.engine.ledger.read() as tx:
        stream = await tx.fetch(
            "SELECT ref FROM stream_events WHERE kind = 'scan' ORDER BY position"
        )
    for e in stream:
        await t.diversion.check_scan(scans[int(e["ref"])])
    one_by_one = await _written(w)

    await _forget(w)
    await drain(w.engine)  # the consumer: the whole stream in one batch
    batched = await _written(w)

    [alert] = batched["alerts"]
    assert alert["level"] == "strong"
    assert len(alert["evidence"]["units"]) == 4 and alert["evidence"]["units_seen"] == 18
    assert [e["state"] for e in batched["events"]] == ["open", "open"]  # raised, escalated
    assert batched == one_by_one


async def test_a_clone_alert_inside_a_batch_is_weighed_from_there_on(network: World) -> None:
    """Evidence a clone alert sets aside in the middle of a batch no longer counts for
    the findings after it: the alert the batch leaves is what weighing every row
    afresh gives."""
    w, t = network, network.t
    await w.engine.ledger.set_clone_policy(w.brand.id, None, ClonePolicy(max_verifications=2))
    await t.shipments.ship(SYSTEM, w.brand, "GD01", [await pack_pallet(w)])
    codes = w.codes(0, 48)
    for i in range(6):
        await scan(w, codes[i], HANGZHOU, actor=f"device:c{i}")
    await drain(w.engine)
    for i in range(6, 14):  # one batch: findings before the clone alert and after it
        await scan(w, codes[i], HANGZHOU, actor=f"device:c{i}")
        if i == 9:  # unit 5, counted by the first batch, turns out copied
            await scan(w, codes[5], (30.2745, 120.1555), actor="device:x")
            await scan(w, codes[5], (30.2749, 120.1559), actor="device:y")
    await drain(w.engine)
    batched = await _written(w)
    assert [r["excluded"] for r in batched["evidence"]].count(1) == 1

    tol = await t.diversion.tolerances(w.brand.id)
    async with w.engine.ledger.write() as tx:  # weigh every stored row again
        held = consignments.Consignments()
        [key] = {r["group_key"] for r in batched["evidence"]}
        await t.diversion._reassess(tx, w.brand.id, key, tol, held)
        await held.flush(tx)
    again = await _written(w)
    [alert] = again["alerts"]
    assert alert["evidence"]["assessment"]["units"] == 13  # 14 seen, the copy set aside
    assert again == batched
