"""A consignment's diversion evidence as one write transaction holds it.

Weighing a consignment (:func:`.evidence.assess`) needs all of its evidence rows, and a
consignment's evidence grows a scan at a time: reading and weighing every row again for
each new scan made a batch cost the square of the consignment's size (each unit of a
diverted container read and weighed all the units before it, inside the consumer's
transaction). Here each
consignment a transaction touches is read once: its rows are tallied
(:class:`.evidence.Tally`) and new rows are added to the tally as they are inserted;
only the units an alert lists (the first :data:`LISTED_UNITS`, and the latest) are
decoded. An alert's evidence that is merely brought up to date is written once, by
:meth:`Consignments.flush`, whatever number of scans changed it; raising and escalating
are written at once by the caller, which announces them.

Contract: what the transaction writes equals what weighing all rows again after each
insert, and updating the alert each time, would write, provided the transaction is the
only writer of the consignment's evidence (the diversion consumer: one worker holds its
cursor). A row another writer commits meanwhile is weighed from the next transaction on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from veriseal.extend import Tx
from veriseal_territories.evidence import Assessment, Level, Observation, Tally, Tolerances

#: observations of one consignment weighed at most (a consignment is a shipment's worth)
MAX_EVIDENCE_ROWS = 5000
#: units listed in a consignment alert's evidence
LISTED_UNITS = 200

_ROWS = (
    "SELECT idx, batch_id, witness, weight, km_outside, days_held, place, detail"
    " FROM territories_evidence WHERE brand_id = ? AND group_key = ? AND excluded = 0"
    " ORDER BY id LIMIT ?"
)


@dataclass
class AlertState:
    """A consignment's alert as the transaction has (or will have) written it."""

    id: int
    level: Level
    evidence: dict[str, Any]  # the base: the holder, territory and consignment


@dataclass
class Consignment:
    """One consignment's kept evidence rows (oldest first, at most MAX_EVIDENCE_ROWS)
    and its alert."""

    observations: list[Observation]
    tally: Tally
    listed: list[dict[str, Any]]  # the details of the first LISTED_UNITS rows
    last: dict[str, Any] | None  # the latest kept row's detail
    alert: AlertState | None
    verdict: Assessment | None = None  # the latest weighing, written by flush
    dirty: bool = False

    def add(self, o: Observation, detail: dict[str, Any]) -> None:
        """A row inserted after the consignment was read (rows past the cap are not
        weighed, as the read's LIMIT leaves them out)."""
        if len(self.observations) >= MAX_EVIDENCE_ROWS:
            return
        self.observations.append(o)
        self.tally.add(o)
        if len(self.listed) < LISTED_UNITS:
            self.listed.append(detail)
        self.last = detail

    def weigh(self, tol: Tolerances) -> Assessment:
        if tol != self.tally.tol:  # the brand's tolerances changed: tally again
            self.tally = Tally(tol).add_all(self.observations)
        return self.tally.result()

    def evidence(self, base: dict[str, Any], verdict: Assessment) -> dict[str, Any]:
        """The alert's evidence: ``base``'s holder, territory and consignment, what the
        evidence adds up to, and the units (the first LISTED_UNITS rows; ``units_seen``
        counts them all)."""
        out = {k: v for k, v in base.items() if k not in ("units", "assessment")}
        out["assessment"] = {
            "level": str(verdict.level) if verdict.level else None,
            "score": round(verdict.score, 3),
            "units": verdict.units,
            "witnesses": verdict.witnesses,
            "max_km_outside": round(verdict.max_km_outside, 3),
        }
        out["units"] = list(self.listed)
        out["units_seen"] = len(self.observations)
        if self.last is not None:
            out["seen"] = self.last["seen"]  # the latest sighting, for messages
        return out


@dataclass
class Consignments:
    """The consignments one write transaction touches, each read once."""

    _held: dict[tuple[int, str], Consignment] = field(default_factory=dict)

    def get(self, brand_id: int, key: str) -> Consignment | None:
        """The consignment if this transaction has read it."""
        return self._held.get((brand_id, key))

    async def read(self, tx: Tx, brand_id: int, key: str, tol: Tolerances) -> Consignment:
        """The consignment, read in ``tx`` the first time it is asked for."""
        held = self._held.get((brand_id, key))
        if held is not None:
            return held
        rows = await tx.fetch(_ROWS, brand_id, key, MAX_EVIDENCE_ROWS)
        alert = await tx.fetchrow(
            "SELECT id, level, evidence FROM territories_alerts WHERE brand_id = ?"
            " AND dedup_key = ?",
            brand_id,
            key,
        )
        observations = observations_of(rows)
        state = None
        if alert is not None:
            state = AlertState(
                int(alert["id"]), Level(str(alert["level"])), json.loads(alert["evidence"])
            )
        held = Consignment(
            observations,
            Tally(tol).add_all(observations),
            [json.loads(r["detail"]) for r in rows[:LISTED_UNITS]],
            json.loads(rows[-1]["detail"]) if rows else None,
            state,
        )
        self._held[(brand_id, key)] = held
        return held

    async def write(self, tx: Tx, c: Consignment) -> None:
        """Write the consignment's alert as its latest weighing has it."""
        if not c.dirty or c.alert is None or c.verdict is None:
            return
        c.alert.evidence = c.evidence(c.alert.evidence, c.verdict)
        await tx.execute(
            "UPDATE territories_alerts SET level = ?, items = ?, evidence = ? WHERE id = ?",
            str(c.alert.level),
            c.verdict.units,
            json.dumps(c.alert.evidence, ensure_ascii=False, sort_keys=True),
            c.alert.id,
        )
        c.dirty = False

    async def flush(self, tx: Tx) -> None:
        """Write every alert brought up to date but not yet written."""
        for c in self._held.values():
            await self.write(tx, c)


def observations_of(rows: Sequence[Any]) -> list[Observation]:
    return [
        Observation(
            (int(r["batch_id"]), int(r["idx"])),
            str(r["witness"]),
            float(r["weight"]),
            float(r["km_outside"]),
            float(r["days_held"]),
            str(r["place"]),
        )
        for r in rows
    ]
