"""Consumer scans of a batch's never-activated or voided codes: one alert per batch,
updated as the scans come, announced once on the event stream; on each backend."""

from __future__ import annotations

import asyncio
import json

from tests.lifecycle.conftest import codes, make_batch
from tests.lifecycle.test_activation import LINE
from veriseal.engine import Engine
from veriseal.ledger import stream_store
from veriseal.lifecycle.index_ranges import IndexRange
from veriseal.models import AlertKind, Brand, ClonePolicy, ScanChannel
from veriseal.scanning.service import ScanContext
from veriseal.scanning.verification import Outcome

ROLL = AlertKind.UNACTIVATED_SCAN


def phone(i: int) -> ScanContext:
    return ScanContext(ScanChannel.WEB, f"device:buyer{i}")


async def alert_events(engine: Engine) -> list[stream_store.StreamEvent]:
    async with engine.ledger.read() as tx:
        return await stream_store.read_after(tx, 0, await stream_store.head(tx), {"alert"}, 1000)


async def test_a_stolen_roll_raises_one_alert_for_its_batch(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand, "ROLL")
    await engine.lifecycle.activation.set_required(brand, batch, True)
    await engine.lifecycle.activation.activate(batch, [IndexRange(50, 99)], LINE)
    stolen = await codes(engine, brand, batch, 0, 20)  # never activated
    live = await codes(engine, brand, batch, 50, 55)
    # 50 scans of the 20 codes, many at once (as a market's buyers would), and line staff
    # checking labels on a handheld, which does not count
    scans = [stolen[i % 20] for i in range(50)]
    results = await asyncio.gather(*(engine.scans.scan(u, phone(i)) for i, u in enumerate(scans)))
    assert {r.verification.outcome for r in results} == {Outcome.NOT_ACTIVATED}  # unchanged
    staff = ScanContext(ScanChannel.HANDHELD, "user:7", client_scan_id="line-1")
    await engine.scans.scan(stolen[0], staff)
    for uri in live:  # activated genuine codes raise nothing
        assert (await engine.scans.scan(uri, phone(99))).verification.genuine

    [alert] = await engine.ledger.list_alerts(brand.id, kind=ROLL)
    details = json.loads(alert.alert.details)
    assert (details["scans"], details["codes"], details["decommissioned_codes"]) == (50, 20, 0)
    assert details["batch_id"] == batch.id and details["index_ranges"] == ["0-19"]
    ids = sorted(r.scan_id for r in results)
    assert (details["first_scan"], details["last_scan"]) == (ids[0], ids[-1])
    assert len(details["sample_codes"]) == 20 and ids[-1] in alert.alert.evidence
    assert set(alert.alert.evidence) <= set(ids) and len(alert.alert.evidence) == 21
    # announced once, like the clone alerts; not again for each scan it counts
    events = [e for e in await alert_events(engine) if e.payload["kind"] == str(ROLL)]
    assert [(e.ref, e.brand_id) for e in events] == [(alert.id, brand.id)]
    assert await engine.ledger.list_alerts(brand.id, kind=AlertKind.LOCAL_COPIES) == []


async def test_voided_codes_count_and_the_policy_sets_the_threshold(
    engine: Engine, brand: Brand
) -> None:
    batch = await make_batch(engine, brand, "VOID")
    await engine.lifecycle.activation.decommission(batch, [IndexRange(3, 5)], "jam", LINE)
    await engine.ledger.set_clone_policy(brand.id, None, ClonePolicy(max_unactivated_scans=2))
    void = await codes(engine, brand, batch, 3, 6)
    for i in range(2):
        result = await engine.scans.scan(void[i], phone(i))
        assert result.verification.outcome is Outcome.DECOMMISSIONED
    assert await engine.ledger.list_alerts(brand.id, kind=ROLL) == []  # not more than 2 yet
    await engine.scans.scan(void[2], phone(2))
    [alert] = await engine.ledger.list_alerts(brand.id, kind=ROLL)
    details = json.loads(alert.alert.details)
    assert (details["scans"], details["codes"], details["decommissioned_codes"]) == (3, 3, 3)
    assert details["index_ranges"] == ["3-5"]

    await engine.ledger.set_clone_policy(brand.id, None, ClonePolicy(max_unactivated_scans=None))
    other = await make_batch(engine, brand, "VOID2")
    await engine.lifecycle.activation.decommission(other, [IndexRange(0, 0)], "jam", LINE)
    [code] = await codes(engine, brand, other, 0, 1)
    await engine.scans.scan(code, phone(0))
    assert len(await engine.ledger.list_alerts(brand.id, kind=ROLL)) == 1  # the rule is off
