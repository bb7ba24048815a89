"""The picking list of an outbound sheet: where each line's goods are taken from.

Pure: :func:`plan` reads the warehouse's balances and says, per line, which location
and lot to pick and how many, and what cannot be found.

Order (FEFO as far as the ledger knows it): only *stock* locations with goods on hand;
the oldest lot first (lots sort by their text: production lots carry their date, so
the lot that expires first is picked first), then the lowest location code (the pick
path runs A-01, A-02, B-01 ...), then the location id. A line naming a lot takes only
that lot. Lines are served in order, each from what the lines before it left, so two
lines of one product never count the same units twice.

Reservations are not subtracted here: the ledger refuses an issue that would take the
warehouse's *available* quantity below zero (``stock_insufficient``), whatever the
list said."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from veriseal_inventory.models import Balance, Location, LocationKind, StockLine


@dataclass(frozen=True, slots=True)
class Pick:
    """Take ``quantity`` of ``gtin`` lot ``lot`` from ``location_code`` for line ``line_no``
    (numbered from 1)."""

    line_no: int
    location_id: int
    location_code: str
    gtin: str
    lot: str
    quantity: int

    def to_dict(self) -> dict[str, Any]:
        return {"line_no": self.line_no, "location_id": self.location_id,
                "location": self.location_code, "gtin": self.gtin, "lot": self.lot,
                "quantity": self.quantity}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Shortage:
    """Line ``line_no`` wants ``wanted`` and only ``found`` can be picked."""

    line_no: int
    gtin: str
    lot: str
    wanted: int
    found: int

    def to_dict(self) -> dict[str, Any]:
        return {"line_no": self.line_no, "gtin": self.gtin, "lot": self.lot,
                "wanted": self.wanted, "found": self.found}  # fmt: skip


@dataclass(frozen=True)
class Plan:
    picks: list[Pick]
    shortages: list[Shortage]

    @property
    def complete(self) -> bool:
        return not self.shortages

    def to_dict(self) -> dict[str, Any]:
        return {"complete": self.complete, "picks": [p.to_dict() for p in self.picks],
                "shortages": [s.to_dict() for s in self.shortages]}  # fmt: skip


def plan(lines: Sequence[StockLine], balances: Sequence[Balance],
         locations: Mapping[int, Location]) -> Plan:  # fmt: skip
    """The picks for ``lines`` from ``balances`` (see the module docstring);
    ``locations`` by id (balances at unknown locations are ignored)."""
    left: dict[tuple[int, str, str], int] = {}
    for b in balances:
        loc = locations.get(b.location_id)
        if loc is not None and loc.kind is LocationKind.STOCK and b.on_hand > 0:
            left[(b.location_id, b.gtin, b.lot)] = b.on_hand
    picks: list[Pick] = []
    shortages: list[Shortage] = []
    for n, line in enumerate(lines, 1):
        pool = sorted(
            (k for k, q in left.items() if q > 0 and k[1] == line.gtin
             and (not line.lot or k[2] == line.lot)),
            key=lambda k: (k[2], locations[k[0]].code, k[0]),
        )  # fmt: skip
        need = line.quantity
        for key in pool:
            if need == 0:
                break
            take = min(need, left[key])
            left[key] -= take
            need -= take
            picks.append(Pick(n, key[0], locations[key[0]].code, line.gtin, key[2], take))
        if need:
            shortages.append(Shortage(n, line.gtin, line.lot, line.quantity,
                                      line.quantity - need))  # fmt: skip
    return Plan(picks, shortages)
