"""The inventory plugin's records: warehouses, locations, postings and movements, the
two caches (balances, levels) and reservations. Plain frozen dataclasses; the stores
build them from rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class LocationKind(StrEnum):
    """Only ``stock`` locations are sellable; ``quarantine`` holds goods awaiting
    inspection, ``rejected`` goods that failed it."""

    STOCK = "stock"
    QUARANTINE = "quarantine"
    REJECTED = "rejected"


class MovementKind(StrEnum):
    """Why stock changed. ``reserve`` / ``release`` / ``consume`` move only the reserved
    quantity (``consume``: a reservation taken by the outbound that ships it)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    TRANSFER = "transfer"
    ADJUSTMENT = "adjustment"
    RETURN = "return"
    RESERVE = "reserve"
    RELEASE = "release"
    CONSUME = "consume"


#: the locations every warehouse is created with (code, kind)
STANDARD_LOCATIONS = (
    ("main", LocationKind.STOCK),
    ("quarantine", LocationKind.QUARANTINE),
    ("rejected", LocationKind.REJECTED),
)


@dataclass(frozen=True, slots=True)
class Warehouse:
    id: int
    brand_id: int
    org_id: int
    code: str
    name: str
    address: str
    is_default: bool
    created_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "brand_id": self.brand_id, "org_id": self.org_id,
            "code": self.code, "name": self.name, "address": self.address,
            "is_default": self.is_default, "created_at": self.created_at.isoformat(),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Location:
    id: int
    warehouse_id: int
    code: str
    kind: LocationKind

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "warehouse_id": self.warehouse_id, "code": self.code,
                "kind": str(self.kind)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Posting:
    """One change of one balance: ``quantity`` on hand (+ in, - out) and ``reserved``
    (+ reserve, - release or consume). Reservations post to the warehouse's main stock
    location with lot ``""``."""

    warehouse_id: int
    location_id: int
    gtin: str
    lot: str = ""
    quantity: int = 0
    reserved: int = 0

    @property
    def key(self) -> tuple[int, int, str, str]:
        return (self.warehouse_id, self.location_id, self.gtin, self.lot)


@dataclass(frozen=True, slots=True)
class Meta:
    """What a post is: its kind, who, the document it belongs to (an order, a receipt,
    a sheet number), why, its effective time (None: now) and a client id that makes a
    retry a replay."""

    kind: MovementKind
    actor: str
    document: str
    reason: str = ""
    at: dt.datetime | None = None
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class Movement:
    id: int
    post_id: int
    kind: str
    warehouse_id: int
    location_id: int
    gtin: str
    lot: str
    quantity: int
    reserved: int
    at: dt.datetime
    document: str
    reason: str
    actor: str
    recorded_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "post_id": self.post_id, "kind": self.kind,
            "warehouse_id": self.warehouse_id, "location_id": self.location_id,
            "gtin": self.gtin, "lot": self.lot, "quantity": self.quantity,
            "reserved": self.reserved, "at": self.at.isoformat(), "document": self.document,
            "reason": self.reason, "actor": self.actor,
            "recorded_at": self.recorded_at.isoformat(),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Balance:
    warehouse_id: int
    location_id: int
    gtin: str
    lot: str
    on_hand: int
    reserved: int

    def to_dict(self) -> dict[str, Any]:
        return {"warehouse_id": self.warehouse_id, "location_id": self.location_id,
                "gtin": self.gtin, "lot": self.lot, "on_hand": self.on_hand,
                "reserved": self.reserved}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Level:
    """A product in a warehouse: ``sellable`` (on hand in stock locations), ``reserved``,
    ``quarantine``, ``rejected``. ``available`` is what may still be promised."""

    warehouse_id: int
    gtin: str
    sellable: int
    reserved: int
    quarantine: int
    rejected: int

    @property
    def available(self) -> int:
        return max(0, self.sellable - self.reserved)

    def to_dict(self) -> dict[str, Any]:
        return {"warehouse_id": self.warehouse_id, "gtin": self.gtin,
                "sellable": self.sellable, "reserved": self.reserved,
                "available": self.available, "quarantine": self.quarantine,
                "rejected": self.rejected}  # fmt: skip


@dataclass(frozen=True, slots=True)
class StockLine:
    """A line of a movement by quantity (API, CLI, documents)."""

    gtin: str
    quantity: int
    lot: str = ""


@dataclass(frozen=True, slots=True)
class Reservation:
    id: int
    brand_id: int
    reference: str
    warehouse_id: int
    gtin: str
    quantity: int
    remaining: int
    status: str
    expires_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "reference": self.reference,
                "warehouse_id": self.warehouse_id, "gtin": self.gtin,
                "quantity": self.quantity, "remaining": self.remaining,
                "status": self.status, "expires_at": self.expires_at.isoformat()}  # fmt: skip
