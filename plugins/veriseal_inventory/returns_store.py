"""SQL of returned goods (tables ``inventory_return_units``,
``inventory_return_decisions``): the units a return receipt received, by line, and the
decisions taken on them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from veriseal import IndexRange
from veriseal.extend import Tx
from veriseal_inventory import unit_ranges as ur


@dataclass(frozen=True, slots=True)
class LineUnits:
    """A line's units: received, accepted and rejected so far (normalised)."""

    received: dict[int, list[IndexRange]]
    accepted: dict[int, list[IndexRange]]
    rejected: dict[int, list[IndexRange]]
    reasons: list[str]

    @property
    def awaiting(self) -> dict[int, list[IndexRange]]:
        return ur.subtract(self.received, ur.union(self.accepted, self.rejected))


async def insert_units(tx: Tx, receipt_id: int,
                       rows: Sequence[tuple[int, int, IndexRange]]) -> None:  # fmt: skip
    """``rows``: (line id, batch id, range)."""
    await tx.executemany(
        "INSERT INTO inventory_return_units (receipt_id, line_id, batch_id, first_index,"
        " last_index) VALUES (?, ?, ?, ?, ?)",
        [(receipt_id, line, b, r.first, r.last) for line, b, r in rows],
    )  # fmt: skip


async def units(tx: Tx, receipt_id: int) -> dict[int, LineUnits]:
    """Line id -> its units (lines of a receipt by quantity: none)."""
    got: dict[int, list[tuple[int, IndexRange]]] = {}
    for r in await tx.fetch(
        "SELECT line_id, batch_id, first_index, last_index FROM inventory_return_units"
        " WHERE receipt_id = ? ORDER BY id", receipt_id,
    ):  # fmt: skip
        span = IndexRange(int(r["first_index"]), int(r["last_index"]))
        got.setdefault(int(r["line_id"]), []).append((int(r["batch_id"]), span))
    ok: dict[int, list[dict[int, list[IndexRange]]]] = {}
    bad: dict[int, list[dict[int, list[IndexRange]]]] = {}
    reasons: dict[int, list[str]] = {}
    for r in await tx.fetch(
        "SELECT line_id, accepted_units, rejected_units, reason FROM"
        " inventory_return_decisions WHERE receipt_id = ? ORDER BY id", receipt_id,
    ):  # fmt: skip
        line = int(r["line_id"])
        ok.setdefault(line, []).append(ur.parse_text(r["accepted_units"]))
        bad.setdefault(line, []).append(ur.parse_text(r["rejected_units"]))
        if r["reason"]:
            reasons.setdefault(line, []).append(r["reason"])
    out = {}
    for line, pairs in got.items():
        a: dict[int, list[IndexRange]] = {}
        for x in ok.get(line, []):
            a = ur.union(a, x)
        b: dict[int, list[IndexRange]] = {}
        for x in bad.get(line, []):
            b = ur.union(b, x)
        out[line] = LineUnits(ur.of_pairs(pairs), a, b, reasons.get(line, []))
    return out


async def insert_decision(tx: Tx, receipt_id: int, line_id: int,
                          accepted: dict[int, list[IndexRange]],
                          rejected: dict[int, list[IndexRange]], reason: str, actor: str,
                          at: dt.datetime) -> None:  # fmt: skip
    await tx.execute(
        "INSERT INTO inventory_return_decisions (receipt_id, line_id, accepted, rejected,"
        " accepted_units, rejected_units, reason, actor, decided_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        receipt_id, line_id, ur.count(accepted), ur.count(rejected), ur.to_text(accepted),
        ur.to_text(rejected), reason, actor, at,
    )  # fmt: skip
