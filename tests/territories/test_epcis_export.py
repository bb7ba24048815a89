"""Shipments and receipts between dealers are in the EPCIS 2.0 export (the territories
plugin's ``epcis_events`` hook), valid against GS1's schema and context, in event-time
order among the core's events, on both ledger backends."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from jsonschema import Draft7Validator

from tests.lifecycle.test_epcis import SCHEMA_PATH, context_terms, undefined_terms
from tests.territories.conftest import World
from tests.territories.test_shipments_diversion import sscc
from veriseal.accounts.models import SYSTEM
from veriseal.lifecycle.aggregation import Children, PackRequest
from veriseal.lifecycle.events import BatchRange, Where
from veriseal_territories.shipments import MoveOptions

TZ = dt.timezone(dt.timedelta(hours=8))


def parties(brand: str, org: int, key: str) -> list[dict[str, str]]:
    urn = f"urn:veriseal:org:{brand}:{org}"
    return [
        {"type": "owning_party", key: urn},
        {"type": "possessing_party", key: urn},
        {"type": "location", key: urn},
    ]


async def export(w: World, **window: dt.datetime) -> dict[str, Any]:
    out = io.BytesIO()
    await w.engine.lifecycle.exporter().write(w.brand, out, **window)
    doc: dict[str, Any] = json.loads(out.getvalue())
    return doc


async def test_shipments_and_receipts_are_exported_as_epcis_events(network: World) -> None:
    w, moves = network, network.t.shipments
    brand, slug = w.brand, w.brand.slug
    gd, zj, r1 = [await w.dealer_org(c) for c in ("GD01", "ZJ01", "GZ-R1")]
    root = (await w.engine.accounts.brand_org(brand)).id
    base = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)

    def at(minutes: int) -> dt.datetime:
        return base + dt.timedelta(minutes=minutes)

    def when(minutes: int) -> MoveOptions:
        return MoveOptions(at=at(minutes))

    agg, line = w.engine.lifecycle.aggregation, Where()
    case_a, case_b = sscc(1), sscc(2)
    await agg.pack(
        brand, PackRequest(case_a, Children((BatchRange(w.batch.id, 0, 23),))), line, at(0)
    )
    loose = w.codes(100, 5)
    await moves.ship(SYSTEM, brand, "GD01", [case_a, *loose], options=when(1))
    # packed later in time than the shipment, recorded after it: exported after it too
    await agg.pack(
        brand, PackRequest(case_b, Children((BatchRange(w.batch.id, 24, 47),))), line, at(2)
    )
    await moves.receive(SYSTEM, brand, [case_a, *loose], at_ref="GD01", options=when(3))
    await moves.ship(SYSTEM, brand, "GZ-R1", loose[:2], from_ref="GD01", options=when(4))
    await moves.receive(SYSTEM, brand, loose[:2], at_ref="GZ-R1", options=when(5))
    taken = await moves.receive(SYSTEM, brand, loose[2:3], at_ref="ZJ01", options=when(6))
    assert [t.from_org for t in taken.taken] == [gd]
    again = await moves.receive(SYSTEM, brand, [case_a], at_ref="GD01", options=when(7))
    assert again.items == 24 and again.already == 24  # moved nothing: no event

    doc = await export(w)
    validator = Draft7Validator(
        json.loads(SCHEMA_PATH.read_text("utf-8")), format_checker=Draft7Validator.FORMAT_CHECKER
    )
    errors = [e.message for e in validator.iter_errors(doc)]
    assert errors == []
    assert undefined_terms(doc, context_terms()) == []

    events = doc["epcisBody"]["eventList"]
    steps = [(e["type"], e["bizStep"], e.get("disposition")) for e in events]
    assert steps == [
        ("AggregationEvent", "packing", "in_progress"),
        ("ObjectEvent", "shipping", "in_transit"),
        ("AggregationEvent", "packing", "in_progress"),
        ("ObjectEvent", "receiving", "in_progress"),
        ("ObjectEvent", "shipping", "in_transit"),
        ("ObjectEvent", "receiving", "in_progress"),
        ("ObjectEvent", "receiving", "in_progress"),
    ]
    times = [dt.datetime.fromisoformat(e["eventTime"]) for e in events]
    assert times == [at(m) for m in range(7)]

    serials = [u.split("/21/")[1].split("?")[0] for u in w.codes(0, 105)]
    item = [f"https://id.gs1.org/01/{w.batch.gtin}/21/{s}" for s in serials]
    ship, receipt, onward, r1_receipt, taken_event = (events[i] for i in (1, 3, 4, 5, 6))
    # the brand's warehouse ships a case (its items listed with its SSCC) and 5 items
    assert ship["action"] == "OBSERVE"
    assert ship["epcList"] == [*item[0:24], *item[100:105], f"https://id.gs1.org/00/{case_a}"]
    assert ship["sourceList"] == parties(slug, root, "source")
    assert ship["destinationList"] == parties(slug, gd, "destination")
    assert ship["eventTimeZoneOffset"] == "+00:00"  # movements keep UTC
    # GD01 receives what the brand shipped it: the source is the shipper
    assert receipt["epcList"] == ship["epcList"]
    assert receipt["sourceList"] == parties(slug, root, "source")
    assert receipt["destinationList"] == parties(slug, gd, "destination")
    # dealer to dealer: GD01 -> its retailer, and the retailer's receipt names GD01
    assert onward["epcList"] == item[100:102]
    assert onward["sourceList"] == parties(slug, gd, "source")
    assert onward["destinationList"] == parties(slug, r1, "destination")
    assert r1_receipt["epcList"] == item[100:102]
    assert r1_receipt["sourceList"] == parties(slug, gd, "source")
    assert r1_receipt["destinationList"] == parties(slug, r1, "destination")
    # ZJ01 scans in an item GD01 held: GD01 is the source
    assert taken_event["epcList"] == [item[102]]
    assert taken_event["sourceList"] == parties(slug, gd, "source")
    assert taken_event["destinationList"] == parties(slug, zj, "destination")

    ids = [e["eventID"] for e in events]
    assert len(set(ids)) == len(ids)
    assert [e["eventID"] for e in (await export(w))["epcisBody"]["eventList"]] == ids
    # the export's time window applies to the plugin's events too
    window = await export(w, since=at(3), until=at(5))
    assert [e["eventID"] for e in window["epcisBody"]["eventList"]] == ids[3:5]
