"""The logistics plugin's records: places, waybills, checkpoints (carrier events),
alerts and each brand's rule settings. Plain frozen dataclasses; the store builds them
from rows. Times are timezone-aware UTC."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from veriseal_logistics.statuses import Status


@dataclass(frozen=True, slots=True)
class Place:
    """A point on the way: its name as given or received, and where known its
    coordinates and the areas containing it (the shipped boundary data's codes:
    ``province`` a first-level division such as ``CN-GD``, ``city`` a Chinese
    prefecture-level city's GB/T 2260 code such as ``440300``)."""

    name: str = ""
    lat: float | None = None
    lon: float | None = None
    province: str | None = None
    city: str | None = None

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Place:
        d = data or {}
        return cls(str(d.get("name") or ""), _float(d.get("lat")), _float(d.get("lon")),
                   d.get("province") or None, d.get("city") or None)  # fmt: skip


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Eta:
    """Expected arrival: the median and the 90th percentile, and what they rest on
    (``history``: this carrier's and lane's past transit times; ``default``: distance)."""

    p50: dt.datetime
    p90: dt.datetime
    basis: str
    samples: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"p50": self.p50.isoformat(), "p90": self.p90.isoformat(),
                "basis": self.basis, "samples": self.samples}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Waybill:
    """One carrier's consignment of (part of) a shipment."""

    id: int
    brand_id: int
    carrier: str
    tracking_no: str
    reference: str  # the order number, or ""
    movement_id: int | None  # the territories shipment (outbound movement), if any
    from_org: int | None  # the shipping organisation, if known
    to_org: int | None  # the receiving organisation, if known
    origin: Place
    destination: Place
    waypoints: tuple[Place, ...]
    promised_at: dt.datetime | None
    status: Status
    last_event_at: dt.datetime | None
    picked_up_at: dt.datetime | None
    delivered_at: dt.datetime | None
    delivered_place: Place | None
    eta: Eta | None
    created_at: dt.datetime
    created_by: str

    @property
    def lane(self) -> str:
        """``<origin province>><destination province>``: the unit of history."""
        return f"{self.origin.province or '?'}>{self.destination.province or '?'}"

    def to_dict(self) -> dict[str, Any]:
        iso = _iso
        return {
            "id": self.id, "carrier": self.carrier, "tracking_no": self.tracking_no,
            "reference": self.reference, "movement_id": self.movement_id,
            "from_org": self.from_org, "to_org": self.to_org, "origin": self.origin.to_dict(),
            "destination": self.destination.to_dict(),
            "waypoints": [p.to_dict() for p in self.waypoints],
            "promised_at": iso(self.promised_at), "status": self.status.value,
            "last_event_at": iso(self.last_event_at), "picked_up_at": iso(self.picked_up_at),
            "delivered_at": iso(self.delivered_at),
            "delivered_place": None if self.delivered_place is None
            else self.delivered_place.to_dict(),
            "eta": None if self.eta is None else self.eta.to_dict(),
            "lane": self.lane, "created_at": iso(self.created_at),
        }  # fmt: skip


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class EventIn:
    """A carrier event as received, before it is stored. ``key``: the carrier's event
    id if it has one; otherwise the store derives one from the content (time, status,
    raw status, place, description), so the same event received twice is one."""

    at: dt.datetime
    status: Status
    raw_status: str = ""
    description: str = ""
    place: Place = field(default_factory=Place)
    area_code: str = ""  # the carrier's area code (快递100 ``areaCode``), if any
    key: str = ""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A stored carrier event (a point of the waybill's timeline)."""

    id: int
    waybill_id: int
    at: dt.datetime
    status: Status
    raw_status: str
    description: str
    place: Place
    source: str  # kuaidi100, webhook, csv, poll, manual
    key: str
    received_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at.isoformat(), "status": self.status.value,
            "raw_status": self.raw_status, "description": self.description,
            "place": self.place.to_dict(), "source": self.source,
            "received_at": self.received_at.isoformat(),
        }  # fmt: skip


class AlertKind:
    STALLED = "stalled"
    LATE = "late"
    OFF_ROUTE = "off_route"
    WRONG_DESTINATION = "wrong_destination"
    ALL = (STALLED, LATE, OFF_ROUTE, WRONG_DESTINATION)


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule found on one waybill: the alert's kind and its evidence (numbers a
    person can check: thresholds, distances, the checkpoint concerned)."""

    kind: str
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    brand_id: int
    waybill_id: int
    kind: str
    status: str  # open, closed
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    evidence: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "waybill_id": self.waybill_id, "kind": self.kind,
                "status": self.status, "opened_at": self.opened_at.isoformat(),
                "closed_at": _iso(self.closed_at), "evidence": self.evidence}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Rules:
    """A brand's anomaly rules (``logistics_settings``; these defaults until set).

    Stalled fires when the time since the last event exceeds ``stall_factor`` times the
    ``stall_quantile`` dwell of (carrier, status, lane), from at least
    ``min_samples`` samples (else of (carrier, status), else ``stall_default_hours``).
    Late: past the promised date plus ``late_grace_hours``, or past the ETA's p90.
    Off-route: a checkpoint farther than ``off_route_km`` plus ``off_route_fraction`` of
    the lane's length from the planned route, or in a province the corridor does not
    cross. Wrong destination: delivered farther than ``destination_km`` outside the
    destination's area."""

    stalled: bool = True
    stall_quantile: float = 0.95
    stall_factor: float = 2.5
    stall_default_hours: float = 48.0
    late: bool = True
    late_grace_hours: float = 0.0
    off_route: bool = True
    off_route_km: float = 150.0
    off_route_fraction: float = 0.15
    wrong_destination: bool = True
    destination_km: float = 5.0
    min_samples: int = 20
    expire_days: int = 30

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Rules:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})
