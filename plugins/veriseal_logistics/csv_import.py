"""Carrier events from a CSV file (a 3PL's export, a spreadsheet of manual checkpoints).

Columns (header in any order; the Chinese names are aliases)::

    carrier (快递公司), tracking_no (运单号), time (时间), status (状态),
    description (描述), place (地点), lat (纬度), lon (经度), event_id (事件编号)

``carrier``, ``tracking_no``, ``time`` and ``status`` are required. ``time`` is ISO 8601;
without an offset it is China time (UTC+8), as a Chinese spreadsheet's times are.
``status`` is ours (``in_transit``) or 快递100's (``在途``, ``0``, ``1001``). ``place`` is
what :func:`~veriseal_logistics.places.resolve_place` reads (a city, a GB/T 2260 code,
``lat,lon``); ``lat`` and ``lon`` together locate the event exactly. ``event_id`` keys
the event (else its content does). UTF-8, with or without a byte order mark.

All or nothing: a file with any bad row (reported with its line number), any unknown
waybill, or a waybill the caller may not manage stores nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veriseal import (
    Brand,
    CsvInvalid,
    InvalidInput,
    Principal,
    RowError,
    VerisealError,
    parse_csv_rows,
)
from veriseal_logistics.intake_errors import CsvEventsInvalid, unstorable
from veriseal_logistics.kuaidi100 import CHINA
from veriseal_logistics.models import EventIn, Place
from veriseal_logistics.places import locate, resolve_place
from veriseal_logistics.statuses import Status, from_kuaidi100, parse

COLUMNS = ("carrier", "tracking_no", "time", "status", "description", "place", "lat", "lon",
           "event_id")  # fmt: skip
ALIASES = {"快递公司": "carrier", "承运商": "carrier", "运单号": "tracking_no",
           "快递单号": "tracking_no", "时间": "time", "状态": "status",
           "描述": "description", "地点": "place", "纬度": "lat", "经度": "lon",
           "事件编号": "event_id"}  # fmt: skip
REQUIRED = ("carrier", "tracking_no", "time", "status")
MAX_BYTES = 8 * 1024 * 1024
MAX_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class EventRow:
    """One row: the waybill it belongs to and the event."""

    line: int
    carrier: str
    tracking_no: str
    event: EventIn


def read_csv(text: str) -> list[EventRow]:
    """Every row of the file; :class:`CsvEventsInvalid` (``details.rows``: line and
    reason of each bad row) or ``csv_invalid`` (the header) if any is wrong."""
    rows, errors = read_rows(text)
    if errors:
        raise rows_invalid(errors)
    return rows


def read_rows(text: str) -> tuple[list[EventRow], list[RowError]]:
    """The good rows and the bad rows' errors (the header's problems raise
    ``csv_invalid``; an empty file too)."""
    if unstorable(text):
        reason = "a NUL or invalid character"
        raise CsvEventsInvalid(f"the file holds {reason}", rows=[{"line": 0, "reason": reason}])
    rows, errors = parse_csv_rows(
        text, columns=COLUMNS, aliases=ALIASES, required=REQUIRED, make=_row,
        key=_key, key_name="event_id",
    )  # fmt: skip
    if len(rows) > MAX_ROWS:
        errors.append(RowError(rows[MAX_ROWS][0], f"more than {MAX_ROWS} rows"))
    if not rows and not errors:
        raise CsvInvalid("the file has no rows")
    return [r for _, r in rows], errors


def rows_invalid(errors: Sequence[RowError]) -> CsvEventsInvalid:
    first = errors[0]
    rows = [{"line": e.line, "reason": e.reason} for e in errors[:200]]
    return CsvEventsInvalid(f"line {first.line}: {first.reason} ({len(errors)} error(s))",
                            rows=rows)  # fmt: skip


def _key(row: EventRow) -> str:
    # rows without an event id are never "repeats" of each other: the store's content
    # key makes the same event once anyway
    if row.event.key:
        return f"{row.carrier} {row.tracking_no} {row.event.key}"
    return f"line {row.line}"


def _row(line: int, f: dict[str, str]) -> EventRow:
    carrier, number = f["carrier"].strip(), f["tracking_no"].strip()
    if not carrier or not number or len(carrier) > 64 or len(number) > 64:
        raise InvalidInput("carrier and tracking_no are required (at most 64 characters)")
    at = parse_time(f["time"])
    status = parse_status(f["status"])
    description = f.get("description", "").strip()
    event_id = f.get("event_id", "").strip()
    if len(description) > 2000 or len(event_id) > 128:
        raise InvalidInput("description or event_id too long")
    place = _place(f.get("place", "").strip(), f.get("lat", ""), f.get("lon", ""))
    raw = f["status"].strip()
    event = EventIn(at, status, "" if raw == status.value else raw, description, place, "",
                    event_id)  # fmt: skip
    return EventRow(line, carrier, number, event)


def parse_time(text: str) -> dt.datetime:
    """ISO 8601 (``T`` or a space); China time when it has no offset."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"unreadable time {text.strip()[:40]!r}") from None
    if value.year < 2000:
        raise InvalidInput(f"time {text.strip()[:40]!r} is before 2000")
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA)
    return value.astimezone(dt.UTC)


def parse_status(text: str) -> Status:
    """Our status name, or 快递100's code or text."""
    t = text.strip()
    try:
        return parse(t)
    except ValueError:
        pass
    found = from_kuaidi100(t, t)
    if found is None:
        raise InvalidInput(f"unknown status {t[:40]!r}")
    return found


def _place(name: str, lat: str, lon: str) -> Place:
    if lat.strip() or lon.strip():
        try:
            y, x = float(lat), float(lon)
        except ValueError:
            raise InvalidInput("lat and lon must both be numbers") from None
        if not (math.isfinite(y) and math.isfinite(x) and -90 <= y <= 90 and -180 <= x <= 180):
            raise InvalidInput("lat or lon out of range")
        return locate(y, x, name)
    if not name:
        return Place()
    return resolve_place(name)  # PlaceUnknown: the row's error


# -- storing -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Imported:
    """What an import did: rows read, events added, duplicates (already stored) and the
    waybills touched."""

    rows: int
    added: int
    duplicates: int
    waybills: int

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "added": self.added, "duplicates": self.duplicates,
                "waybills": self.waybills}  # fmt: skip


async def import_csv(lx: Any, who: Principal, brand: Brand, text: str) -> Imported:
    """Read ``text`` and store its events (source ``csv``), all or nothing: every row is
    read and every waybill found and checked (``logistics.manage`` over it) before the
    first event is stored. ``lx``: the plugin's :class:`~veriseal_logistics.service.Logistics`."""
    from veriseal import require_permission  # noqa: PLC0415
    from veriseal_logistics.permissions import LOGISTICS_MANAGE  # noqa: PLC0415

    require_permission(who, LOGISTICS_MANAGE, brand_id=brand.id)
    rows, errors = read_rows(text)  # every problem of the file is reported at once
    groups: dict[tuple[str, str], list[EventRow]] = {}
    for r in rows:
        groups.setdefault((r.carrier, r.tracking_no), []).append(r)
    found = []
    for (carrier, number), members in groups.items():
        waybill = await lx.waybills.find(brand.id, carrier, number)
        if waybill is not None:
            found.append((waybill, [m.event for m in members]))
        if waybill is None:
            errors.append(RowError(members[0].line, f"unknown waybill {carrier} {number}"))
            continue
        try:  # the caller may manage it (a distributor: within its subtree)
            await lx.waybills.require(who, LOGISTICS_MANAGE, waybill)
        except VerisealError as exc:
            errors.append(RowError(members[0].line, exc.message))
    if errors:
        raise rows_invalid(sorted(errors, key=lambda e: e.line))
    done = await lx.waybills.ingest_many(found, "csv")  # one transaction: all or nothing
    return Imported(len(rows), sum(d.added for d in done), sum(d.duplicates for d in done),
                    len(groups))  # fmt: skip
