"""Records of inbound receipts (入库单): the receipt, its lines, each line's inspection or
release, and the per-product inspection setting. Plain frozen dataclasses; the store
builds them from rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: a product without a setting needs no inspection; these are the plan defaults
DEFAULT_AQL = "2.5"
DEFAULT_LEVEL = "II"


class LineStatus(StrEnum):
    """``awaiting``: in quarantine, not yet decided; then ``accepted`` (all to stock),
    ``rejected`` (all to the rejected location), ``partial`` (some of each) or
    ``released`` (no inspection required: all to stock without sampling)."""

    AWAITING = "awaiting"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PARTIAL = "partial"
    RELEASED = "released"


class DecisionKind(StrEnum):
    ACCEPT_ALL = "accept_all"
    REJECT_ALL = "reject_all"
    ACCEPT_PART = "accept_part"
    RELEASE = "release"  # no sampling: the product needs no inspection


@dataclass(frozen=True, slots=True)
class InspectionSetting:
    brand_id: int
    gtin: str
    required: bool
    aql: str
    level: str
    updated_by: str = ""
    updated_at: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"gtin": self.gtin, "required": self.required, "aql": self.aql,
                "level": self.level, "updated_by": self.updated_by,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Receipt:
    id: int
    brand_id: int
    warehouse_id: int
    receipt_no: str
    supplier: str
    note: str
    status: str  # "open" while a line awaits a decision, then "done"
    actor: str
    created_at: dt.datetime
    updated_at: dt.datetime
    reference: str = ""  # the document it answers (a return number, a delivery note)
    kind: str = "inbound"  # "return": returned goods, decided unit by unit (.returns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "receipt_no": self.receipt_no, "warehouse_id": self.warehouse_id,
            "kind": self.kind, "reference": self.reference,
            "supplier": self.supplier, "note": self.note, "status": self.status,
            "actor": self.actor, "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    id: int
    receipt_id: int
    line_no: int
    gtin: str
    lot: str
    quantity: int
    required: bool  # inspection required before sale (the setting when received)
    status: LineStatus

    def to_dict(self) -> dict[str, Any]:
        return {"line_no": self.line_no, "gtin": self.gtin, "lot": self.lot,
                "quantity": self.quantity, "inspection_required": self.required,
                "status": str(self.status)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Inspection:
    """A line's decision. For ``release`` the sampling fields are None."""

    line_id: int
    decision: DecisionKind
    aql: str | None
    level: str | None
    code_letter: str | None
    sample_size: int | None
    accept_no: int | None
    reject_no: int | None
    defects: int | None
    outcome: str | None  # what the sample says: "accept" / "reject"
    accepted: int
    rejected: int
    reason: str
    actor: str
    decided_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": str(self.decision), "aql": self.aql, "level": self.level,
            "code_letter": self.code_letter, "sample_size": self.sample_size,
            "accept": self.accept_no, "reject": self.reject_no, "defects": self.defects,
            "outcome": self.outcome, "accepted": self.accepted, "rejected": self.rejected,
            "reason": self.reason, "actor": self.actor,
            "decided_at": self.decided_at.isoformat(),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReceiptView:
    """A receipt with its lines and the decisions taken so far (by line id)."""

    receipt: Receipt
    lines: list[ReceiptLine]
    inspections: dict[int, Inspection]

    def to_dict(self) -> dict[str, Any]:
        lines = []
        for line in self.lines:
            found = self.inspections.get(line.id)
            lines.append({**line.to_dict(),
                          "inspection": found.to_dict() if found else None})  # fmt: skip
        return {**self.receipt.to_dict(), "lines": lines}


@dataclass(frozen=True, slots=True)
class InspectRequest:
    """An inspector's decision on one line. ``aql`` / ``level`` default to the
    product's setting; ``accepted`` / ``rejected`` are needed for ``accept_part``."""

    decision: DecisionKind
    defects: int
    aql: str | None = None
    level: str | None = None
    accepted: int | None = None
    rejected: int | None = None
    reason: str = ""
