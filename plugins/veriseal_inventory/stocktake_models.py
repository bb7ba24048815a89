"""A stocktake's records: the count itself, a line as entered, and the view a reader
gets (with the expected quantities hidden from counters of a blind count)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from veriseal_inventory.count_states import CountAction, CountStatus, allowed_actions
from veriseal_inventory.variance import VarianceLine, VarianceReport


class CountMode(StrEnum):
    """``system``: the count sheet lists every line the system expects, for counters to
    confirm; ``physical``: counters record what they find (the sheet lists only what was
    counted so far). Both freeze the expected quantities at the start."""

    SYSTEM = "system"
    PHYSICAL = "physical"


def number_of(stocktake_id: int) -> str:
    """A count's number: the document its adjustment movements carry."""
    return f"ST-{stocktake_id}"


@dataclass(frozen=True, slots=True)
class Stocktake:
    id: int
    brand_id: int
    warehouse_id: int
    mode: CountMode
    blind: bool
    status: CountStatus
    location_ids: tuple[int, ...]  # () = every location of the warehouse
    gtins: tuple[str, ...]  # () = every product
    watermark: int  # the last movement id when the expected quantities were frozen
    unit_costs: dict[str, int]  # fen per unit by GTIN, given with the proposal
    opened_by: str
    opened_at: dt.datetime
    submitted_by: str | None
    submitted_at: dt.datetime | None
    reason: str
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str
    movements: int  # adjustment movements posted when approved

    @property
    def number(self) -> str:
        return number_of(self.id)

    @property
    def actions(self) -> list[CountAction]:
        return allowed_actions(self.status)

    def to_dict(self) -> dict[str, Any]:
        def iso(t: dt.datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {
            "id": self.id, "number": self.number, "warehouse_id": self.warehouse_id,
            "mode": str(self.mode), "blind": self.blind, "status": str(self.status),
            "locations": list(self.location_ids), "gtins": list(self.gtins),
            "unit_costs": dict(self.unit_costs), "opened_by": self.opened_by,
            "opened_at": iso(self.opened_at), "submitted_by": self.submitted_by,
            "submitted_at": iso(self.submitted_at), "reason": self.reason,
            "decided_by": self.decided_by, "decided_at": iso(self.decided_at),
            "decision_note": self.decision_note, "movements": self.movements,
            "actions": [str(a) for a in self.actions],
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class CountLine:
    """A counted figure as entered: ``quantity`` of ``gtin`` / ``lot`` found at
    ``location`` (a code or id; None: the count's first location, else main stock).
    0 is a count (nothing there), unlike a line never counted."""

    gtin: str
    quantity: int
    lot: str = ""
    location: str | None = None


@dataclass(frozen=True, slots=True)
class LineRow:
    """A stored line: its frozen expectation and its latest count, if any."""

    location_id: int
    gtin: str
    lot: str
    frozen: int
    counted: int | None
    expected_at_count: int | None
    source: str | None
    counted_by: str | None


@dataclass(frozen=True)
class StocktakeView:
    """A count as one reader sees it. ``expected_visible`` False (a blind count, read by
    a counter) leaves out every expected quantity and what is derived from it."""

    stocktake: Stocktake
    report: VarianceReport
    rows: dict[tuple[int, str, str], LineRow]
    locations: dict[int, str]  # id -> code
    expected_visible: bool

    def lines(self) -> list[VarianceLine]:
        """The lines a counter works through: every line (system mode), or those counted
        so far and those a movement touched (physical mode)."""
        if self.stocktake.mode is CountMode.SYSTEM:
            return list(self.report.lines)
        return [ln for ln in self.report.lines if ln.counted is not None or ln.outdated]

    def line_dict(self, line: VarianceLine) -> dict[str, Any]:
        row = self.rows.get(line.key)
        out: dict[str, Any] = {
            "location_id": line.key.location_id,
            "location": self.locations.get(line.key.location_id, ""),
            "gtin": line.key.gtin, "lot": line.key.lot, "counted": line.counted,
            "counted_by": None if row is None else row.counted_by,
            "source": None if row is None else row.source, "outdated": line.outdated,
        }  # fmt: skip
        if self.expected_visible:
            out.update({
                "expected_at_start": line.expected_at_start, "moved_since": line.moved_since,
                "expected_now": line.expected_now, "expected_at_count": line.expected_at_count,
                "difference": line.difference, "unit_cost": line.unit_cost,
                "value": line.value, "after_apply": line.after_apply,
            })  # fmt: skip
        return out

    def to_dict(self) -> dict[str, Any]:
        r = self.report
        summary: dict[str, Any] = {"lines": len(r.lines), "counted": r.counted,
                                   "uncounted": r.uncounted, "outdated": r.outdated}  # fmt: skip
        if self.expected_visible:
            summary.update({"differing": len(r.differing), "gain_value": r.gain_value,
                            "loss_value": r.loss_value, "net_value": r.net_value,
                            "unvalued": r.unvalued})  # fmt: skip
        return {
            "stocktake": self.stocktake.to_dict(),
            "blind": not self.expected_visible,
            "summary": summary,
            "lines": [self.line_dict(ln) for ln in self.lines()],
        }
