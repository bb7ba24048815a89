"""SQL of a dealer's own views (:mod:`.network`): the goods a set of organisations
holds, the movements that left or reached them, and the diversion alerts concerning
them. Reads only, in the caller's transaction.

Callers decide which organisations a principal may see and pass their ids in
(``None``: every organisation of the brand). The ids go into ``IN`` lists a chunk at a
time (:data:`CHUNK`): both backends cap a statement's parameters, and a large
distributor's subtree can hold thousands of shops. Each function merges its chunks so
the answer is the one a single statement would give.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from veriseal.extend import Tx
from veriseal_territories.grants import row_time

#: organisation ids per IN list
CHUNK = 500


def _chunks(orgs: Sequence[int] | None) -> Iterator[Sequence[int] | None]:
    """``None`` once (no filter), else the ids a chunk at a time (none: no chunk)."""
    if orgs is None:
        yield None
        return
    for start in range(0, len(orgs), CHUNK):
        yield orgs[start : start + CHUNK]


def _in(column: str, ids: Sequence[int]) -> str:
    return f"{column} IN ({', '.join('?' * len(ids))})"


# -- goods held ----------------------------------------------------------------------------
@dataclass(frozen=True)
class HeldRange:
    """A range of consecutive units of a batch one organisation holds, and how it got
    them: ``received`` (scanned in) or ``in_transit`` (shipped to it, not scanned in)."""

    batch_id: int
    first: int
    last: int
    org_id: int
    movement_id: int
    state: str

    @property
    def units(self) -> int:
        return self.last - self.first + 1


async def held_batches(
    tx: Tx, brand_id: int, orgs: Sequence[int] | None, after_batch: int | None, limit: int
) -> list[int]:
    """The first ``limit`` batch ids above ``after_batch`` of which ``orgs`` hold units."""
    found: set[int] = set()
    for ids in _chunks(orgs):
        sql = "SELECT DISTINCT batch_id FROM territories_holdings WHERE brand_id = ?"
        args: list[Any] = [brand_id]
        if ids is not None:
            sql += " AND " + _in("org_id", ids)
            args += ids
        sql += " AND batch_id > ? ORDER BY batch_id LIMIT ?"
        rows = await tx.fetch(sql, *args, -1 if after_batch is None else after_batch, limit)
        found.update(int(r["batch_id"]) for r in rows)
    return sorted(found)[:limit]


async def held_ranges(
    tx: Tx, brand_id: int, orgs: Sequence[int] | None, batch_ids: Sequence[int]
) -> list[HeldRange]:
    """Every range of ``batch_ids`` that ``orgs`` hold, by batch, org and first index."""
    if not batch_ids:
        return []
    out: list[HeldRange] = []
    for ids in _chunks(orgs):
        sql = (
            "SELECT h.batch_id, h.first_index, h.last_index, h.org_id, h.movement_id, m.kind"
            " FROM territories_holdings h JOIN territories_movements m ON m.id = h.movement_id"
            " WHERE h.brand_id = ? AND " + _in("h.batch_id", batch_ids)
        )
        args: list[Any] = [brand_id, *batch_ids]
        if ids is not None:
            sql += " AND " + _in("h.org_id", ids)
            args += ids
        for r in await tx.fetch(sql, *args):
            out.append(
                HeldRange(
                    int(r["batch_id"]),
                    int(r["first_index"]),
                    int(r["last_index"]),
                    int(r["org_id"]),
                    int(r["movement_id"]),
                    "received" if r["kind"] == "in" else "in_transit",
                )
            )
    return sorted(out, key=lambda h: (h.batch_id, h.org_id, h.first))


async def named_units(tx: Tx, movement_ids: Sequence[int]) -> dict[int, list[str]]:
    """The SSCCs (cases, pallets) each movement named when it was scanned."""
    out: dict[int, list[str]] = {}
    wanted = sorted(set(movement_ids))
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        rows = await tx.fetch(
            "SELECT movement_id, sscc FROM territories_movement_units WHERE "
            + _in("movement_id", part)
            + " ORDER BY movement_id, sscc",
            *part,
        )
        for r in rows:
            out.setdefault(int(r["movement_id"]), []).append(str(r["sscc"]))
    return out


# -- movements -----------------------------------------------------------------------------
@dataclass(frozen=True)
class MovementRow:
    id: int
    kind: str  # "out" | "in"
    from_org: int | None
    to_org: int
    items: int
    at: dt.datetime
    actor: str
    note: str


def _movement(r: Any) -> MovementRow:
    return MovementRow(
        int(r["id"]),
        str(r["kind"]),
        None if r["from_org"] is None else int(r["from_org"]),
        int(r["to_org"]),
        int(r["items"]),
        row_time(r["at"]),
        str(r["actor"]),
        str(r["note"]),
    )


async def movements(
    tx: Tx,
    brand_id: int,
    orgs: Sequence[int] | None,
    *,
    sides: Sequence[str] = ("from_org", "to_org"),
    before_id: int | None = None,
    limit: int,
) -> list[MovementRow]:
    """The brand's movements that left (``from_org``) or reached (``to_org``) ``orgs``,
    newest first: at most ``limit`` with ids below ``before_id``. Receipts that moved
    nothing (a replayed upload's marker) are left out."""
    assert sides and set(sides) <= {"from_org", "to_org"}
    found: dict[int, MovementRow] = {}
    for ids in _chunks(orgs):
        for side in sides if ids is not None else ("",):
            sql = (
                "SELECT id, kind, from_org, to_org, items, at, actor, note"
                " FROM territories_movements WHERE brand_id = ? AND items > 0"
            )
            args: list[Any] = [brand_id]
            if ids is not None:
                sql += " AND " + _in(side, ids)
                args += ids
            if before_id is not None:
                sql += " AND id < ?"
                args.append(before_id)
            rows = await tx.fetch(sql + " ORDER BY id DESC LIMIT ?", *args, limit)
            found.update((int(r["id"]), _movement(r)) for r in rows)
    return sorted(found.values(), key=lambda m: -m.id)[:limit]


async def movement(tx: Tx, brand_id: int, movement_id: int) -> MovementRow | None:
    row = await tx.fetchrow(
        "SELECT id, kind, from_org, to_org, items, at, actor, note"
        " FROM territories_movements WHERE brand_id = ? AND id = ?",
        brand_id,
        movement_id,
    )
    return None if row is None else _movement(row)


async def still_held(tx: Tx, placed: Sequence[tuple[int, int]]) -> dict[int, int]:
    """For (movement id, org id) pairs: how many units the org still holds through that
    movement (a shipment's units not scanned in yet, a receipt's not sent on)."""
    out: dict[int, int] = {}
    for start in range(0, len(placed), CHUNK):
        part = placed[start : start + CHUNK]
        orgs = sorted({o for _, o in part})
        ids = sorted({m for m, _ in part})
        rows = await tx.fetch(
            "SELECT movement_id, org_id, SUM(last_index - first_index + 1) AS units"
            " FROM territories_holdings WHERE "
            + _in("org_id", orgs)
            + " AND "
            + _in("movement_id", ids)
            + " GROUP BY movement_id, org_id",
            *orgs,
            *ids,
        )
        wanted = set(part)
        for r in rows:
            if (int(r["movement_id"]), int(r["org_id"])) in wanted:
                out[int(r["movement_id"])] = int(r["units"])
    return out


# -- diversion alerts ----------------------------------------------------------------------
@dataclass(frozen=True)
class AlertRow:
    id: int
    at: dt.datetime
    source: str
    org_id: int
    code: str
    gtin: str | None
    items: int
    movement_id: int | None
    country: str | None
    province: str | None
    city: str | None
    level: str
    state: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class AlertEvent:
    state: str
    at: dt.datetime
    actor: str
    note: str
    penalty: dict[str, Any] | None
    action: str | None


_ALERTS = (
    "SELECT a.id, a.at, a.source, a.org_id, a.code, a.gtin, a.items, a.movement_id,"
    " a.country, a.province, a.city, a.level, a.evidence,"
    " (SELECT e.state FROM territories_alert_events e WHERE e.alert_id = a.id"
    " ORDER BY e.id DESC LIMIT 1) AS state FROM territories_alerts a WHERE a.brand_id = ?"
)


def _alert(r: Any) -> AlertRow:
    return AlertRow(
        int(r["id"]),
        row_time(r["at"]),
        str(r["source"]),
        int(r["org_id"]),
        str(r["code"]),
        r["gtin"],
        int(r["items"]),
        None if r["movement_id"] is None else int(r["movement_id"]),
        r["country"],
        r["province"],
        r["city"],
        str(r["level"]),
        str(r["state"] or "open"),
        json.loads(r["evidence"]),
    )


async def alerts(
    tx: Tx,
    brand_id: int,
    orgs: Sequence[int] | None,
    *,
    state: str | None = None,
    level: str | None = None,
    before_id: int | None = None,
    limit: int,
) -> list[AlertRow]:
    """Diversion alerts of ``orgs`` (their ``org_id``: the holder, or the shipper of a
    flagged shipment), newest first; ``state`` filters the derived state, ``level``
    ``strong`` keeps strong ones (``suspected``: both levels)."""
    found: dict[int, AlertRow] = {}
    for ids in _chunks(orgs):
        sql = f"SELECT * FROM ({_ALERTS}"
        args: list[Any] = [brand_id]
        if ids is not None:
            sql += " AND " + _in("a.org_id", ids)
            args += ids
        if before_id is not None:
            sql += " AND a.id < ?"
            args.append(before_id)
        sql += ") x WHERE 1 = 1"
        if state is not None:
            sql += " AND COALESCE(x.state, 'open') = ?"
            args.append(state)
        if level == "strong":
            sql += " AND x.level = ?"
            args.append(level)
        rows = await tx.fetch(sql + " ORDER BY x.id DESC LIMIT ?", *args, limit)
        found.update((int(r["id"]), _alert(r)) for r in rows)
    return sorted(found.values(), key=lambda a: -a.id)[:limit]


async def alert(tx: Tx, brand_id: int, alert_id: int) -> AlertRow | None:
    row = await tx.fetchrow(_ALERTS + " AND a.id = ?", brand_id, alert_id)
    return None if row is None else _alert(row)


async def alert_events(tx: Tx, alert_id: int) -> list[AlertEvent]:
    """The alert's workflow, oldest first."""
    rows = await tx.fetch(
        "SELECT state, at, actor, note, penalty, action FROM territories_alert_events"
        " WHERE alert_id = ? ORDER BY id",
        alert_id,
    )
    return [
        AlertEvent(
            str(r["state"]),
            row_time(r["at"]),
            str(r["actor"]),
            str(r["note"]),
            json.loads(r["penalty"]) if r["penalty"] else None,
            None if r["action"] is None else str(r["action"]),
        )
        for r in rows
    ]


async def alert_penalties(tx: Tx, alert_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The penalties recorded on each alert's workflow, oldest first."""
    out: dict[int, list[dict[str, Any]]] = {}
    wanted = sorted(set(alert_ids))
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        rows = await tx.fetch(
            "SELECT alert_id, penalty FROM territories_alert_events WHERE "
            + _in("alert_id", part)
            + " AND penalty IS NOT NULL ORDER BY id",
            *part,
        )
        for r in rows:
            out.setdefault(int(r["alert_id"]), []).append(json.loads(r["penalty"]))
    return out
