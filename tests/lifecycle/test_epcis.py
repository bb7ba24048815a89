"""The EPCIS 2.0 export validates against GS1's EPCIS 2.0 JSON schema (vendored, see
tests/data/epcis/SOURCE.md) with format checking, uses only terms of GS1's JSON-LD
context, and says what happened."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.products import make_product
from veriseal.codes.gtin import gs1_check_digit
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.extend.hookspecs import EpcisEvent, hookimpl
from veriseal.extend.manager import PluginInvalid
from veriseal.lifecycle.aggregation import Children, PackRequest
from veriseal.lifecycle.epcis import EPCIS_CONTEXT
from veriseal.lifecycle.events import BatchRange, Where
from veriseal.lifecycle.index_ranges import IndexRange
from veriseal.models import Brand

from .conftest import GTIN, PREFIX, codes, make_batch

DATA = Path(__file__).parent.parent / "data" / "epcis"
SCHEMA_PATH = DATA / "EPCIS-JSON-Schema.json"
CONTEXT_PATH = DATA / "epcis-context.jsonld"


def context_terms() -> dict[str, Any]:
    """GS1's EPCIS 2.0 JSON-LD context: term -> definition."""
    terms: dict[str, Any] = json.loads(CONTEXT_PATH.read_text("utf-8"))["@context"]
    return terms


def undefined_terms(node: Any, terms: dict[str, Any], path: str = "") -> list[str]:
    """Keys of ``node`` that are not terms of the context in scope (scoped contexts of
    a term apply inside it), and values of ``@vocab`` / ``@type`` terms (bizStep,
    disposition, source types, event types) that are not terms either. ``veriseal:``
    names are ours (the document's context defines the prefix)."""
    problems: list[str] = []
    if isinstance(node, list):
        for n, item in enumerate(node):
            problems += undefined_terms(item, terms, f"{path}[{n}]")
        return problems
    if not isinstance(node, dict):
        return problems
    for key, value in node.items():
        if key != "@context" and not key.startswith("veriseal:"):
            problems += _undefined_in_entry(key, value, terms, f"{path}/{key}")
    return problems


def _undefined_in_entry(key: str, value: Any, terms: dict[str, Any], where: str) -> list[str]:
    """undefined_terms for one ``key: value`` entry of an object, found at ``where``."""
    if key not in terms:
        return [where]
    term = terms[key]
    inner = terms
    if isinstance(term, dict) and "@context" in term:
        inner = {**terms, **term["@context"]}
        if term.get("@type") == "@vocab" and isinstance(value, str):
            return [] if value in term["@context"] else [f"{where} = {value}"]
    problems: list[str] = []
    if term == "@type" and isinstance(value, str) and value not in terms:
        problems.append(f"{where} = {value}")
    return problems + undefined_terms(value, inner, where)


def test_vendored_files_are_gs1s_as_recorded() -> None:
    """The schema and context are GS1's own files, unchanged (SHA-256 in SOURCE.md)."""
    source = (DATA / "SOURCE.md").read_text("utf-8")
    for path in (SCHEMA_PATH, CONTEXT_PATH, DATA / "LICENSE"):
        row = next(line for line in source.splitlines() if line.startswith(f"| `{path.name}`"))
        recorded = re.findall(r"`([0-9a-f]{64})`", row)
        assert recorded == [hashlib.sha256(path.read_bytes()).hexdigest()], path.name
    assert "2b888befbc071e1c2d388e027b30149b3f51dcef" in source


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


async def _export(engine: Engine, brand: Brand) -> dict[str, Any]:
    out = io.BytesIO()
    await engine.lifecycle.exporter().write(brand, out)
    doc: dict[str, Any] = json.loads(out.getvalue())
    return doc


async def test_export_validates_and_names_every_event(
    engine: Engine, brand: Brand, validator: Draft7Validator
) -> None:
    batch = await make_batch(engine, brand, size=60)
    line = Where.parse("9506000000015", "urn:epc:id:sgln:9506000.00001.0", "test")
    life = engine.lifecycle
    await life.activation.activate(batch, [IndexRange(0, 47)], line)
    await life.activation.decommission(batch, [IndexRange(50, 51)], "jammed", line)
    case_a, case_b, pallet = list((await life.ssccs.mint(brand, PREFIX, 3)).ssccs())
    await life.aggregation.pack(
        brand, PackRequest(case_a, Children((BatchRange(batch.id, 0, 23),))), line
    )
    await life.aggregation.pack(
        brand, PackRequest(case_b, Children((BatchRange(batch.id, 24, 47),))), line
    )
    await life.aggregation.pack(brand, PackRequest(pallet, Children(units=(case_a, case_b))), line)
    await life.aggregation.unpack(brand, case_b, line, Children((BatchRange(batch.id, 30, 31),)))

    doc = await _export(engine, brand)
    errors = sorted(validator.iter_errors(doc), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])
    assert undefined_terms(doc, context_terms()) == []

    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    assert doc["@context"][0] == EPCIS_CONTEXT
    events = doc["epcisBody"]["eventList"]
    steps = [(e["type"], e["action"], e["bizStep"], e.get("disposition")) for e in events]
    assert steps == [
        ("ObjectEvent", "ADD", "commissioning", "active"),
        ("ObjectEvent", "DELETE", "decommissioning", "inactive"),
        ("AggregationEvent", "ADD", "packing", "in_progress"),
        ("AggregationEvent", "ADD", "packing", "in_progress"),
        ("AggregationEvent", "ADD", "packing", "in_progress"),
        ("AggregationEvent", "DELETE", "unpacking", None),
    ]
    uris = await codes(engine, brand, batch, 0, 60)
    serials = [u.split("/21/")[1].split("?")[0] for u in uris]
    expected = [f"https://id.gs1.org/01/{batch.gtin}/21/{s}" for s in serials]
    assert events[0]["epcList"] == expected[:48]
    assert events[1]["epcList"] == expected[50:52]
    assert events[1]["veriseal:reason"] == "jammed"
    assert events[0]["readPoint"] == {"id": "https://id.gs1.org/414/9506000000015"}
    assert events[0]["bizLocation"] == {"id": "urn:epc:id:sgln:9506000.00001.0"}
    assert events[2]["parentID"] == f"https://id.gs1.org/00/{case_a}"
    assert events[2]["childEPCs"] == expected[:24]
    assert events[4]["childEPCs"] == [
        f"https://id.gs1.org/00/{case_a}",
        f"https://id.gs1.org/00/{case_b}",
    ]
    assert events[5]["childEPCs"] == expected[30:32]
    assert len({e["eventID"] for e in events}) == 6
    # a re-export names the events identically (receivers de-duplicate by eventID)
    again = await _export(engine, brand)
    assert [e["eventID"] for e in again["epcisBody"]["eventList"]] == [e["eventID"] for e in events]


async def test_validator_rejects_a_broken_document(
    engine: Engine, brand: Brand, validator: Draft7Validator
) -> None:
    """The schema check is not vacuous: malformed times, URIs and vocabulary fail."""
    batch = await make_batch(engine, brand, size=5)
    await engine.lifecycle.activation.activate(batch, [IndexRange(0, 4)], Where())
    doc = await _export(engine, brand)
    assert validator.is_valid(doc)
    for field, bad in (
        ("eventTime", "25/11/2026 08:00"),
        ("bizStep", "activating"),
        ("action", "CREATE"),
        ("eventTimeZoneOffset", "+8"),
    ):
        broken = json.loads(json.dumps(doc))
        broken["epcisBody"]["eventList"][0][field] = bad
        assert not validator.is_valid(broken), field
    broken = json.loads(json.dumps(doc))
    broken["epcisBody"]["eventList"][0]["epcList"][0] = "not a uri"
    assert not validator.is_valid(broken)
    # the event's @context is checked through GS1's "#/definitions/%40context" pointer
    broken = json.loads(json.dumps(doc))
    broken["epcisBody"]["eventList"][0]["@context"] = 5
    assert not validator.is_valid(broken)
    # and the context check is not vacuous either
    terms = context_terms()
    event = doc["epcisBody"]["eventList"][0]
    assert undefined_terms({**event, "bizstep": "commissioning"}, terms) == ["/bizstep"]
    assert undefined_terms({**event, "bizStep": "activating"}, terms) == ["/bizStep = activating"]


async def test_gs1_schema_allows_business_rules_in_sensor_reports(
    engine: Engine, brand: Brand, validator: Draft7Validator
) -> None:
    """GS1's schema (not the npm SDK's copy it replaced) allows ``bizRules``."""
    batch = await make_batch(engine, brand, size=2)
    await engine.lifecycle.activation.activate(batch, [IndexRange(0, 1)], Where())
    doc = await _export(engine, brand)
    report = {"type": "Temperature", "value": 4.5, "uom": "CEL"}
    doc["epcisBody"]["eventList"][0]["sensorElementList"] = [
        {"sensorReport": [{**report, "bizRules": "https://id.acme.example/rules/cold-chain"}]}
    ]
    errors = [e.message for e in validator.iter_errors(doc)]
    assert errors == []


async def test_empty_ledger_exports_a_valid_empty_document(
    engine: Engine, brand: Brand, validator: Draft7Validator
) -> None:
    doc = await _export(engine, brand)
    assert doc["epcisBody"]["eventList"] == []
    assert validator.is_valid(doc)


class Sightings:
    """A tiny real plugin: contributes one event per entry of ``events``."""

    def __init__(self, events: list[EpcisEvent]) -> None:
        self.events = events

    @hookimpl
    def epcis_events(self, brand: Brand) -> list[EpcisEvent]:
        del brand
        return self.events


async def _engine_with(ledger_url: str, tmp_path: Path, plugin: object) -> Engine:
    key_file = tmp_path / "plugin.key"
    create_key_file(key_file)
    cfg = Config(path=None, db_url=ledger_url, key_source=KeySource(key_file=key_file))
    return await Engine.open(cfg, extra_plugins=[("sightings", plugin)])


async def test_plugin_events_are_merged_by_event_time(
    ledger_url: str, tmp_path: Path, validator: Draft7Validator
) -> None:
    """A plugin's events (hook ``epcis_events``) are interleaved with the core's by event
    time, get the core's header and EPC list, and their own stable eventIDs."""
    base = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
    seen = {"action": "OBSERVE", "bizStep": "inspecting", "disposition": "active"}
    plugin = Sightings([])
    engine = await _engine_with(ledger_url, tmp_path, plugin)
    try:
        brand = await engine.brands.create("acme", "Acme Tea", "id.acme.example")
        await engine.catalogue.add(make_product(brand, GTIN, "Green tea"))
        batch = await make_batch(engine, brand, size=10)
        plugin.events = [
            EpcisEvent("a", base + dt.timedelta(minutes=1), seen, (BatchRange(batch.id, 2, 3),)),
            EpcisEvent("b", base + dt.timedelta(minutes=3), seen, units=(sscc(),)),
        ]
        life = engine.lifecycle
        await life.activation.activate(batch, [IndexRange(0, 9)], Where(), at=base)
        await life.activation.decommission(
            batch, [IndexRange(9, 9)], "torn", Where(), at=base + dt.timedelta(minutes=2)
        )
        doc = await _export(engine, brand)
        assert validator.is_valid(doc)
        assert undefined_terms(doc, context_terms()) == []
        events = doc["epcisBody"]["eventList"]
        assert [e["bizStep"] for e in events] == [
            "commissioning",
            "inspecting",
            "decommissioning",
            "inspecting",
        ]
        uris = await codes(engine, brand, batch, 2, 4)
        serials = [u.split("/21/")[1].split("?")[0] for u in uris]
        assert events[1]["epcList"] == [f"https://id.gs1.org/01/{GTIN}/21/{s}" for s in serials]
        assert events[3]["epcList"] == [f"https://id.gs1.org/00/{sscc()}"]
        assert events[1]["eventTime"] == "2026-05-01T08:01:00.000+00:00"
        assert "recordTime" not in events[1]
        assert len({e["eventID"] for e in events}) == 4

        # a plugin may not write the keys the core writes
        plugin.events = [EpcisEvent("c", base, {**seen, "eventID": "urn:uuid:x"})]
        with pytest.raises(PluginInvalid) as exc:
            await _export(engine, brand)
        assert exc.value.code == "plugin_invalid"
    finally:
        await engine.close()


def sscc() -> str:
    body = "09506000" + "000000042"
    return body + str(gs1_check_digit(body))
