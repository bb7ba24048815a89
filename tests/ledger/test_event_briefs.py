"""A ``scan`` event carries its scan's brief, so the scan consumer reads no row: the
brief taken from the event must be exactly what ``scan_briefs`` reads of the stored
scan, on both backends, for any scan; an event without one (appended before events
carried them) or with one of another shape is read instead.

The truth is the ledger's own read of the stored rows (``scan_briefs``), which does not
look at the events."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ledger.test_contract import brand_with_product, new_batch, seal
from tests.ledger.test_scan_contract import T0, scan
from veriseal.ledger import Ledger, stream_store
from veriseal.ledger.scan_store import event_brief
from veriseal.models import Location, LocationSource, NewScan, Region, ScanChannel

_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
scans = st.fixed_dictionaries(
    {
        "minutes": st.integers(-10_000, 10_000),
        "offset": st.integers(-14 * 60, 14 * 60),  # the client's own zone, any
        "micro": st.integers(0, 999_999),
        "outcome": st.sampled_from(["genuine", "suspected_clone", "invalid", "recalled"]),
        "channel": st.sampled_from(list(ScanChannel)),
        "gtin": st.none() | st.just("09506000134352"),
        "unit": st.none() | st.integers(0, 2**31 - 1),
        "where": st.none() | st.tuples(st.floats(-90, 90), st.floats(-180, 180)),
        "province": st.none() | _text.map(lambda t: "CN-" + t[:20]),
        "other_brand": st.booleans(),
    }
)


async def _events(ledger: Ledger, after: int) -> list[stream_store.StreamEvent]:
    async with ledger.read() as tx:
        head = await stream_store.head(tx, after)
        return await stream_store.read_after(tx, after, head, {"scan"}, 10_000)


async def _brands(ledger: Ledger) -> tuple[int, int, int]:
    """Two brands and a batch of the first (made once per ledger)."""
    known = {b.slug: b for b in await ledger.list_brands()}
    if "acme" not in known:
        acme = await brand_with_product(ledger, "acme")
        await ledger.create_batch(new_batch(acme, "L1"), seal)
        known = {"acme": acme, "other": await ledger.create_brand("other", "O", "id.o.example")}
    batch = (await ledger.list_batches(known["acme"].id))[0]
    return known["acme"].id, known["other"].id, batch.id


def _scan(k: int, spec: dict[str, Any], mine: int, other: int, batch: int) -> NewScan:
    zone = dt.timezone(dt.timedelta(minutes=int(spec["offset"])))
    at = T0 + dt.timedelta(minutes=int(spec["minutes"]), microseconds=int(spec["micro"]))
    where, unit, province = spec["where"], spec["unit"], spec["province"]
    return scan(
        0, code=f"C{k}", outcome=spec["outcome"], channel=spec["channel"],
        brand_id=other if spec["other_brand"] else mine, gtin=spec["gtin"],
        at=at.astimezone(zone),
        batch_id=batch if unit is not None else None, index=unit,
        location=None if where is None else Location(where[0], where[1], 20.0, LocationSource.GPS),
        region=None if province is None else Region("CN", str(province), "某地"),
    )  # fmt: skip


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(scans, min_size=1, max_size=6))
async def test_the_brief_an_event_carries_is_the_stored_scans(
    ledger: Ledger, specs: list[dict[str, Any]]
) -> None:
    mine, other, batch = await _brands(ledger)
    async with ledger.read() as tx:
        start = await stream_store.head(tx)
    appended = [_scan(k, spec, mine, other, batch) for k, spec in enumerate(specs)]
    await ledger.append_scans(appended)
    events = await _events(ledger, start)
    assert len(events) == len(appended)
    assert all(event_brief(e) is not None for e in events)  # new events carry one
    for brand in (mine, other):
        ids = [e.ref for e in events if e.brand_id == brand]
        want = await ledger.scan_briefs(brand, ids=ids)
        assert await ledger.event_briefs(brand, events) == want


async def test_events_without_a_brief_of_this_shape_are_read(ledger: Ledger) -> None:
    """Events appended before they carried briefs, or carrying one of another shape, are
    read from the ledger; another brand's events and other kinds are left out; a scan
    that no longer exists is not made up."""
    mine, other, _ = await _brands(ledger)
    here = Location(31.2304, 121.4737, 15.0, LocationSource.GPS)
    ids = await ledger.append_scans([
        scan(1, brand_id=mine, location=here, region=Region("CN", "CN-SH", "上海")),
        scan(2, brand_id=mine, channel=ScanChannel.HANDHELD),
        scan(3, brand_id=other),
        scan(4, brand_id=mine),
    ])  # fmt: skip
    events = await _events(ledger, 0)
    assert [e.ref for e in events] == ids
    want = await ledger.scan_briefs(mine, ids=ids)
    assert [b.id for b in want] == [ids[0], ids[1], ids[3]]

    def without(e: stream_store.StreamEvent, brief: object) -> stream_store.StreamEvent:
        payload = {k: v for k, v in e.payload.items() if k != "brief"}
        if brief is not None:
            payload["brief"] = brief
        return dataclasses.replace(e, payload=payload)

    old = [without(events[0], None), without(events[1], ["too", "short"]),
           without(events[2], None), events[3]]  # fmt: skip
    assert event_brief(old[0]) is None and event_brief(old[1]) is None
    assert await ledger.event_briefs(mine, old) == want
    gone = dataclasses.replace(events[3], ref=max(ids) + 1000)  # names no stored scan
    assert event_brief(gone) is not None  # carried: taken as it is
    assert [b.id for b in await ledger.event_briefs(mine, [without(gone, None)])] == []
    alert = dataclasses.replace(events[0], kind="alert")
    assert await ledger.event_briefs(mine, [alert]) == []
