"""The EPCIS-style event ledger: what happened to which units, where and why.

Every activation (commissioning), decommission, pack and unpack is appended here as one
event with EPCIS 2.0 / CBV 2.0 vocabulary, and never updated. Units are stored as
RANGES of consecutive indexes of a batch (``event_ranges``), and logistic units by SSCC
(``event_units``), so an event naming a million labels is one event row and a few range
rows. State is derived from these facts (see :mod:`veriseal.lifecycle.activation`).

Services append inside their own write transaction (:meth:`EventStore.append` takes the
open ``Tx``), so an event and the derived state it implies commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from veriseal.codes.gtin import gs1_check_digit
from veriseal.ledger import rows, stream_store
from veriseal.ledger.base import Ledger, Row, Tx
from veriseal.lifecycle.errors import LocationInvalid
from veriseal.lifecycle.index_ranges import IndexRange


class EventType(StrEnum):
    OBJECT = "ObjectEvent"
    AGGREGATION = "AggregationEvent"


class Action(StrEnum):
    ADD = "ADD"
    OBSERVE = "OBSERVE"
    DELETE = "DELETE"


class BizStep(StrEnum):
    """CBV 2.0 business steps used here (bare words: the EPCIS 2.0 JSON form)."""

    COMMISSIONING = "commissioning"
    DECOMMISSIONING = "decommissioning"
    PACKING = "packing"
    UNPACKING = "unpacking"


class Disposition(StrEnum):
    ACTIVE = "active"  # commissioned: the code is live
    INACTIVE = "inactive"  # decommissioned: the label was spoiled and is void
    DESTROYED = "destroyed"  # decommissioned: the label was physically destroyed
    IN_PROGRESS = "in_progress"  # packed, on its way through the plant


class UnitState(StrEnum):
    """What a state-changing event says about its ranges (``event_ranges.state``)."""

    ACTIVE = "active"
    DECOMMISSIONED = "decommissioned"


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")


def location_uri(text: object) -> str | None:
    """A read point / business location as EPCIS wants it: a URI as given, or a 13-digit
    GLN made into its canonical GS1 Digital Link (``https://id.gs1.org/414/<GLN>``).
    ``LocationInvalid`` for anything else (JSON numbers and objects included)."""
    if text is not None and not isinstance(text, str):
        raise LocationInvalid(f"a location is a URI or a GLN as text, not {type(text).__name__}")
    if text is None or not text.strip():
        return None
    value = text.strip()
    if value.isdigit() and len(value) == 13:
        if int(value[-1]) != gs1_check_digit(value[:-1]):
            raise LocationInvalid(f"GLN {value}: wrong check digit")
        return f"https://id.gs1.org/414/{value}"
    if not _URI.match(value) or len(value) > 500:
        raise LocationInvalid(
            f"{value[:60]!r}: give a URI (urn:epc:id:sgln:..., https://...) or a 13-digit GLN"
        )
    return value


@dataclass(frozen=True, slots=True)
class BatchRange:
    """Indexes ``first..last`` (inclusive) of one batch."""

    batch_id: int
    first: int
    last: int

    @property
    def range(self) -> IndexRange:
        return IndexRange(self.first, self.last)

    @property
    def count(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True, slots=True)
class Where:
    """Where and by whom: EPCIS readPoint / bizLocation, and the acting user or device."""

    read_point: str | None = None
    biz_location: str | None = None
    actor: str = "cli"

    @classmethod
    def parse(cls, read_point: object, biz_location: object, actor: str) -> Where:
        return cls(location_uri(read_point), location_uri(biz_location), actor)


@dataclass(frozen=True, slots=True)
class NewEvent:
    brand_id: int
    event_type: EventType
    action: Action
    biz_step: BizStep
    disposition: Disposition | None
    event_time: dt.datetime  # aware
    where: Where = field(default_factory=Where)
    parent: str | None = None  # the SSCC of an aggregation's parent
    reason: str | None = None
    ranges: tuple[BatchRange, ...] = ()
    units: tuple[str, ...] = ()  # SSCCs of logistic units named as children

    @property
    def unit_count(self) -> int:
        return sum(r.count for r in self.ranges) + len(self.units)


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    recorded_at: dt.datetime
    event: NewEvent


def tz_offset(when: dt.datetime) -> str:
    """``+08:00`` style offset of an aware datetime (EPCIS eventTimeZoneOffset)."""
    delta = when.utcoffset() or dt.timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _offset_zone(text: str) -> dt.timezone:
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text[1:].split(":")
    return dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes)))


def _announce(event_id: int, new: NewEvent) -> stream_store.NewStreamEvent:
    """The stream event (kind ``lifecycle``) announcing an appended event."""
    payload = {"biz_step": str(new.biz_step), "action": str(new.action), "units": new.unit_count}
    return stream_store.NewStreamEvent("lifecycle", new.brand_id, event_id, payload)


class EventStore:
    """Appends events inside a caller's transaction; reads them back for exports."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    @staticmethod
    async def append(
        tx: Tx, new: NewEvent, state: UnitState | None = None, *, now: dt.datetime | None = None
    ) -> int:
        """Append ``new`` (its ranges tagged with ``state``) in ``tx``; return its id."""
        row = await tx.fetchrow(
            "INSERT INTO events (brand_id, event_type, action, biz_step, disposition,"
            " event_time, tz_offset, recorded_at, read_point, biz_location, parent, reason,"
            " actor, unit_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            new.brand_id,
            str(new.event_type),
            str(new.action),
            str(new.biz_step),
            None if new.disposition is None else str(new.disposition),
            new.event_time,
            tz_offset(new.event_time),
            now or dt.datetime.now(dt.UTC),
            new.where.read_point,
            new.where.biz_location,
            new.parent,
            new.reason,
            new.where.actor,
            new.unit_count,
        )
        assert row is not None
        event_id = int(row["id"])
        if new.ranges:
            await tx.executemany(
                "INSERT INTO event_ranges (event_id, batch_id, first_index, last_index, state)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (event_id, r.batch_id, r.first, r.last, None if state is None else str(state))
                    for r in new.ranges
                ],
            )
        if new.units:
            await tx.executemany(
                "INSERT INTO event_units (event_id, sscc) VALUES (?, ?)",
                [(event_id, sscc) for sscc in new.units],
            )
        await stream_store.append(tx, [_announce(event_id, new)])
        return event_id

    @staticmethod
    async def append_many(
        tx: Tx,
        events: Sequence[NewEvent],
        state: UnitState | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> list[int]:
        """Append many events in ``tx`` with three bulk statements (ids reserved up
        front) instead of two round trips per event; return their ids in order."""
        if not events:
            return []
        ids = await tx.reserve_ids("events", len(events))
        recorded = now or dt.datetime.now(dt.UTC)
        await tx.executemany(
            "INSERT INTO events (id, brand_id, event_type, action, biz_step, disposition,"
            " event_time, tz_offset, recorded_at, read_point, biz_location, parent, reason,"
            " actor, unit_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    event_id,
                    e.brand_id,
                    str(e.event_type),
                    str(e.action),
                    str(e.biz_step),
                    None if e.disposition is None else str(e.disposition),
                    e.event_time,
                    tz_offset(e.event_time),
                    recorded,
                    e.where.read_point,
                    e.where.biz_location,
                    e.parent,
                    e.reason,
                    e.where.actor,
                    e.unit_count,
                )
                for event_id, e in zip(ids, events, strict=True)
            ],
        )
        tag = None if state is None else str(state)
        await tx.executemany(
            "INSERT INTO event_ranges (event_id, batch_id, first_index, last_index, state)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (event_id, r.batch_id, r.first, r.last, tag)
                for event_id, e in zip(ids, events, strict=True)
                for r in e.ranges
            ],
        )
        await tx.executemany(
            "INSERT INTO event_units (event_id, sscc) VALUES (?, ?)",
            [(event_id, u) for event_id, e in zip(ids, events, strict=True) for u in e.units],
        )
        await stream_store.append(
            tx, [_announce(event_id, e) for event_id, e in zip(ids, events, strict=True)]
        )
        return ids

    async def list(
        self,
        brand_id: int,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[Event]:
        """The brand's events with ``id > after_id`` in id (recording) order, at most
        ``limit``, optionally only those whose event time is in ``[since, until)``."""
        clauses = ["brand_id = ?", "id > ?"]
        args: list[object] = [brand_id, after_id]
        if since is not None:
            clauses.append("event_time >= ?")
            args.append(since)
        if until is not None:
            clauses.append("event_time < ?")
            args.append(until)
        async with self._ledger.read() as tx:
            found = await tx.fetch(
                f"SELECT * FROM events WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?",
                *args,
                limit,
            )
            if not found:
                return []
            lo, hi = int(found[0]["id"]), int(found[-1]["id"])
            range_rows = await tx.fetch(
                "SELECT event_id, batch_id, first_index, last_index FROM event_ranges"
                " WHERE event_id BETWEEN ? AND ? ORDER BY event_id, id",
                lo,
                hi,
            )
            unit_rows = await tx.fetch(
                "SELECT event_id, sscc FROM event_units WHERE event_id BETWEEN ? AND ?"
                " ORDER BY event_id, sscc",
                lo,
                hi,
            )
        ranges: dict[int, list[BatchRange]] = {}
        for r in range_rows:
            ranges.setdefault(int(r["event_id"]), []).append(
                BatchRange(int(r["batch_id"]), int(r["first_index"]), int(r["last_index"]))
            )
        units: dict[int, list[str]] = {}
        for r in unit_rows:
            units.setdefault(int(r["event_id"]), []).append(r["sscc"])
        return [_event(r, ranges.get(int(r["id"]), []), units.get(int(r["id"]), [])) for r in found]


def _event(r: Row, ranges: Sequence[BatchRange], units: Sequence[str]) -> Event:
    zone = _offset_zone(r["tz_offset"])
    disposition = r["disposition"]
    return Event(
        int(r["id"]),
        rows.ts(r["recorded_at"]),
        NewEvent(
            brand_id=int(r["brand_id"]),
            event_type=EventType(r["event_type"]),
            action=Action(r["action"]),
            biz_step=BizStep(r["biz_step"]),
            disposition=None if disposition is None else Disposition(disposition),
            event_time=rows.ts(r["event_time"]).astimezone(zone),
            where=Where(r["read_point"], r["biz_location"], r["actor"]),
            parent=r["parent"],
            reason=r["reason"],
            ranges=tuple(ranges),
            units=tuple(units),
        ),
    )
