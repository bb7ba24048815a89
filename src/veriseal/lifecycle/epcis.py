"""EPCIS 2.0 JSON-LD export of the event ledger.

The document is an ``EPCISDocument`` (schemaVersion 2.0) whose ``@context`` is GS1's
EPCIS 2.0 context plus a ``veriseal`` prefix for our one extension field
(``veriseal:reason``, why labels were decommissioned). It validates against GS1's EPCIS
2.0 JSON schema (tests/data/epcis/, checked by tests/lifecycle/test_epcis.py).

Identifiers are canonical GS1 Digital Link URIs, as CBV 2.0 recommends:
items ``https://id.gs1.org/01/<GTIN>/21/<serial>``, logistic units
``https://id.gs1.org/00/<SSCC>``. Events store ranges of indexes, so serials are derived
here (they are a function of key, batch and index): exporting needs the unlocked keyring.
``eventID`` is a UUIDv5 of the brand and the event id, so a re-export names events
identically and a receiver can de-duplicate.

Output is streamed: an event's EPC list is written in chunks, so an activation of a
million labels never holds a million strings in memory.

Plugins add events through the ``epcis_events`` hook (:class:`EpcisEvent`; the
territories plugin adds its shipments and receipts). The core's events come in recording
(id) order; each plugin's come in event-time order; the document
interleaves them by event time (a stable merge: at equal times the core's come first,
then the plugins' in plugin order), so a shipment follows the packing it ships. A
plugin's ``eventID`` is a UUIDv5 of the brand, the plugin's name and its event key.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from veriseal.cache import LruDict
from veriseal.catalog.keys import KeyService
from veriseal.catalog.minting import Minter
from veriseal.ledger.base import Ledger
from veriseal.lifecycle.events import BatchRange, Event, EventStore, EventType, tz_offset
from veriseal.lifecycle.logistic_units import canonical_uri
from veriseal.models import Brand

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
VERISEAL_NS = "https://ns.veriseal.dev/epcis/"
SCHEMA_VERSION = "2.0"
_EVENT_NAMESPACE = uuid.UUID("5b3c1f0e-6a43-5d2e-9a57-76657269736c")
_CHUNK = 1 << 16
_PAGE = 1000

Progress = Callable[[int], None]


#: The plugins' event streams of a brand in ``[since, until)``: (plugin name, events).
@dataclass(frozen=True)
class EpcisEvent:
    """One EPCIS 2.0 ``ObjectEvent`` a plugin adds to the brand's EPCIS export.

    The core writes ``type``, ``eventTime``, ``eventTimeZoneOffset`` (from the aware
    ``event_time``), ``recordTime`` (if ``recorded_at`` is given), ``eventID`` (a UUIDv5
    of the brand, the plugin's name and ``key``, so a re-export names the event
    identically: ``key`` MUST be stable and unique among the plugin's events) and
    ``epcList``: the item URIs of ``items`` (streamed, never held in memory) followed by
    the logistic unit URIs of ``units`` (SSCCs), exactly as for the core's events.
    ``fields`` holds the rest, JSON-ready and in EPCIS 2.0 / CBV 2.0 JSON form
    (``action``, ``bizStep``, ``disposition``, ``readPoint``, ``bizLocation``,
    ``sourceList``, ``destinationList``, ...); it MUST NOT set a key the core writes
    (``plugin_invalid``), and the document must still validate against GS1's schema."""

    key: str
    event_time: dt.datetime
    fields: dict[str, Any]
    items: tuple[BatchRange, ...] = ()
    units: tuple[str, ...] = ()
    recorded_at: dt.datetime | None = None


EventSources = Callable[
    [Brand, dt.datetime | None, dt.datetime | None],
    Sequence[tuple[str, AsyncIterator[EpcisEvent]]],
]


def event_id_uri(brand: Brand, event_id: int) -> str:
    return f"urn:uuid:{uuid.uuid5(_EVENT_NAMESPACE, f'{brand.slug}/{event_id}')}"


def plugin_event_id_uri(brand: Brand, plugin: str, key: str) -> str:
    """A plugin event's eventID: never equal to a core event's (whose name is a number)."""
    return f"urn:uuid:{uuid.uuid5(_EVENT_NAMESPACE, f'{brand.slug}/{plugin}/{key}')}"


def plugin_event_header(brand: Brand, plugin: str, event: EpcisEvent) -> dict[str, Any]:
    """A plugin event's JSON object without its ``epcList``."""
    out: dict[str, Any] = {
        "type": str(EventType.OBJECT),
        "eventTime": _time(event.event_time),
        "eventTimeZoneOffset": tz_offset(event.event_time),
    }
    if event.recorded_at is not None:
        out["recordTime"] = _time(event.recorded_at)
    out["eventID"] = plugin_event_id_uri(brand, plugin, event.key)
    out.update(event.fields)
    return out


def _time(value: dt.datetime) -> str:
    return value.isoformat(timespec="milliseconds")


def event_header(brand: Brand, event: Event) -> dict[str, Any]:
    """The event's JSON object without its EPC list (``epcList`` / ``childEPCs``)."""
    e = event.event
    out: dict[str, Any] = {
        "type": str(e.event_type),
        "eventTime": _time(e.event_time),
        "eventTimeZoneOffset": tz_offset(e.event_time),
        "recordTime": _time(event.recorded_at),
        "eventID": event_id_uri(brand, event.id),
    }
    if e.parent is not None:
        out["parentID"] = canonical_uri(e.parent)
    out["action"] = str(e.action)
    out["bizStep"] = str(e.biz_step)
    if e.disposition is not None:
        out["disposition"] = str(e.disposition)
    if e.where.read_point:
        out["readPoint"] = {"id": e.where.read_point}
    if e.where.biz_location:
        out["bizLocation"] = {"id": e.where.biz_location}
    if e.reason:
        out["veriseal:reason"] = e.reason
    return out


# A merged stream's entry: (UTC event time, source rank, sequence, source, event).
_Head = tuple[dt.datetime, int, int, str, Event | EpcisEvent]


class EpcisExporter:
    """Writes a brand's events as one EPCIS 2.0 document; keeps the minters (item URIs)
    of at most ``max_minters`` batches, the most recently used."""

    def __init__(
        self,
        ledger: Ledger,
        keys: KeyService,
        sources: EventSources | None = None,
        max_minters: int = 64,
    ) -> None:
        self._ledger = ledger
        self._keys = keys
        self._sources = sources
        self._events = EventStore(ledger)
        # an export over many batches keeps the minters of the most recent ones only
        self._minters: LruDict[int, Minter] = LruDict(max_minters)

    async def _minter(self, brand: Brand, batch_id: int) -> Minter:
        minter = self._minters.get(batch_id)
        if minter is None:
            batch = await self._ledger.get_batch(batch_id)
            keys = {k.slot: k for k in await self._keys.list(brand)}
            material = self._keys.material(keys[batch.key_slot], allow_revoked=True)
            minter = Minter(brand, batch, material)
            self._minters[batch_id] = minter
        return minter

    def _item_uris(self, minter: Minter, r: BatchRange) -> Iterator[list[str]]:
        prefix = f"https://id.gs1.org/01/{minter.batch.gtin}/21/"
        for lo in range(r.first, r.last + 1, _CHUNK):
            hi = min(r.last + 1, lo + _CHUNK)
            serials = minter.serials(np.arange(lo, hi, dtype=np.uint64))
            width = serials.shape[1]
            raw = serials.tobytes().decode("ascii")
            yield [prefix + raw[i * width : (i + 1) * width] for i in range(hi - lo)]

    async def _core(
        self, brand: Brand, since: dt.datetime | None, until: dt.datetime | None
    ) -> AsyncIterator[Event]:
        after = 0
        while True:
            page = await self._events.list(
                brand.id, since=since, until=until, after_id=after, limit=_PAGE
            )
            for event in page:
                yield event
            if len(page) < _PAGE:
                return
            after = page[-1].id

    async def _merged(
        self, brand: Brand, since: dt.datetime | None, until: dt.datetime | None
    ) -> AsyncIterator[tuple[str, Event | EpcisEvent]]:
        """The core's and the plugins' events, interleaved by event time (module doc)."""
        streams: list[tuple[str, AsyncIterator[Any]]] = [("", self._core(brand, since, until))]
        if self._sources is not None:
            streams += list(self._sources(brand, since, until))
        heap: list[_Head] = []
        seq = 0

        async def pull(rank: int) -> None:
            nonlocal seq
            name, stream = streams[rank]
            found = await anext(stream, None)
            if found is not None:
                when = found.event.event_time if isinstance(found, Event) else found.event_time
                heapq.heappush(heap, (when.astimezone(dt.UTC), rank, seq, name, found))
                seq += 1

        for rank in range(len(streams)):
            await pull(rank)
        while heap:
            _, rank, _, name, found = heapq.heappop(heap)
            yield name, found
            await pull(rank)

    async def write(
        self,
        brand: Brand,
        out: BinaryIO,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        progress: Progress | None = None,
        now: dt.datetime | None = None,
    ) -> int:
        """Write the brand's events (event time in ``[since, until)``), the plugins'
        included, as one EPCIS 2.0 JSON-LD document to ``out``; return the number of
        events written. ``progress`` is called with the number of EPCs written since its
        last call."""
        created = now or dt.datetime.now(dt.UTC)
        head = {
            "@context": [EPCIS_CONTEXT, {"veriseal": VERISEAL_NS}],
            "type": "EPCISDocument",
            "schemaVersion": SCHEMA_VERSION,
            "creationDate": _time(created),
            "epcisBody": {"eventList": []},
        }
        text = json.dumps(head, ensure_ascii=False)
        opening, closing = text.rsplit("[]", 1)
        out.write(opening.encode() + b"[")
        count = 0
        async for name, found in self._merged(brand, since, until):
            if count:
                out.write(b",")
            if isinstance(found, Event):
                e = found.event
                key = "childEPCs" if e.event_type is EventType.AGGREGATION else "epcList"
                header = event_header(brand, found)
                await self._write_epcs(brand, header, key, e.ranges, e.units, out, progress)
            else:
                header = plugin_event_header(brand, name, found)
                await self._write_epcs(
                    brand, header, "epcList", found.items, found.units, out, progress
                )
            count += 1
        out.write(b"]" + closing.encode())
        return count

    async def _write_epcs(
        self,
        brand: Brand,
        header: dict[str, Any],
        key: str,
        ranges: Sequence[BatchRange],
        units: Sequence[str],
        out: BinaryIO,
        progress: Progress | None,
    ) -> None:
        """``header`` with ``key`` (the EPC list: item URIs of ``ranges``, then the
        logistic unit URIs of ``units``) streamed after it."""
        text = json.dumps(header, ensure_ascii=False)
        out.write(text[:-1].encode() + f', "{key}": ['.encode())
        first = True
        for r in ranges:
            minter = await self._minter(brand, r.batch_id)
            for uris in self._item_uris(minter, r):
                body = ",".join(json.dumps(u) for u in uris)
                out.write((body if first else "," + body).encode())
                first = False
                if progress:
                    progress(len(uris))
        for sscc in units:
            out.write(((", " if not first else "") + json.dumps(canonical_uri(sscc))).encode())
            first = False
        out.write(b"]}")
