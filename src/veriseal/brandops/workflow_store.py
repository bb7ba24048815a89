"""SQL of the core alerts' workflow (``alert_events``, ``alert_states``; migration 0017)
and of the alert reads the console needs.

No rules here: :mod:`veriseal.brandops.alerts` decides which transitions are allowed.
``alert_states`` is derived: :func:`append_event` writes it in the same statement group
as the event it names, so it always equals each alert's newest event.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veriseal.ledger import rows
from veriseal.ledger.base import Row, Tx
from veriseal.models import Alert, AlertKind, NewAlert, Scan

#: The state of an alert no event has moved yet.
INITIAL = "open"

_SELECT = (
    "SELECT a.id, a.at, a.brand_id, a.kind, a.code, a.evidence, a.details, a.updated_at,"
    " s.state, s.changed_at FROM alerts a LEFT JOIN alert_states s ON s.alert_id = a.id"
)


@dataclass(frozen=True, slots=True)
class AlertRow:
    """An alert with its current state (``open`` when nothing moved it)."""

    alert: Alert
    state: str
    changed_at: dt.datetime | None  # of the newest event; None while never moved
    updated_at: dt.datetime | None  # a grouped alert's newest evidence (see migration 0013)


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    state: str
    at: dt.datetime
    actor: str
    note: str


def _alert(r: Row) -> AlertRow:
    alert = Alert(
        int(r["id"]),
        NewAlert(
            rows.ts(r["at"]),
            None if r["brand_id"] is None else int(r["brand_id"]),
            AlertKind(r["kind"]),
            str(r["code"]),
            tuple(json.loads(r["evidence"])),
            str(r["details"]),
        ),
    )
    return AlertRow(
        alert,
        str(r["state"] or INITIAL),
        None if r["changed_at"] is None else rows.ts(r["changed_at"]),
        None if r["updated_at"] is None else rows.ts(r["updated_at"]),
    )


async def get(tx: Tx, alert_id: int) -> AlertRow | None:
    row = await tx.fetchrow(_SELECT + " WHERE a.id = ?", alert_id)
    return None if row is None else _alert(row)


def _brand(brand_id: int | None, column: str) -> tuple[str, list[Any]]:
    if brand_id is None:
        return f"{column} IS NULL", []
    return f"{column} = ?", [brand_id]


async def page(
    tx: Tx,
    brand_id: int | None,
    *,
    kind: str | None = None,
    code: str | None = None,
    state: str | None = None,
    beyond: int | None = None,
    newest_first: bool = True,
    limit: int = 50,
) -> list[AlertRow]:
    """The brand's alerts (``None``: those of no brand) of one kind, code and state if
    given, newest first (ids below ``beyond``) or oldest first (ids above it).

    A state other than the initial one is looked up from ``alert_states`` (few rows per
    state); the initial state walks the alerts in id order and skips moved ones."""
    where, args = _brand(brand_id, "a.brand_id")
    clauses = [where]
    for clause, value in (("a.kind = ?", kind), ("a.code = ?", code)):
        if value is not None:
            clauses.append(clause)
            args.append(value)
    if beyond is not None:
        clauses.append("a.id < ?" if newest_first else "a.id > ?")
        args.append(beyond)
    select, key = _SELECT, "a.id"
    if state == INITIAL:
        clauses.append("(s.state IS NULL OR s.state = ?)")
        args.append(INITIAL)
    elif state is not None:
        on, on_args = _brand(brand_id, "s.brand_id")
        clauses += [on, "s.state = ?"]
        args += [*on_args, state]
        # driven by alert_states_brand (brand, state, alert): few rows, in id order
        select, key = _SELECT.replace("LEFT JOIN", "JOIN"), "s.alert_id"
    order = f"{key} DESC" if newest_first else key
    found = await tx.fetch(
        f"{select} WHERE {' AND '.join(clauses)} ORDER BY {order} LIMIT ?", *args, limit
    )
    return [_alert(r) for r in found]


async def events(tx: Tx, alert_id: int) -> list[EventRow]:
    """The alert's workflow events, oldest first."""
    found = await tx.fetch(
        "SELECT id, state, at, actor, note FROM alert_events WHERE alert_id = ? ORDER BY id",
        alert_id,
    )
    return [
        EventRow(int(r["id"]), str(r["state"]), rows.ts(r["at"]), str(r["actor"]), str(r["note"]))
        for r in found
    ]


async def lock(tx: Tx, alert_id: int) -> None:
    """Serialise transitions of one alert until ``tx`` ends (two reviewers at once: the
    second sees the first's state)."""
    await tx.advisory_lock(f"alerts:{alert_id}")


async def append_event(
    tx: Tx,
    alert: Alert,
    state: str,
    at: dt.datetime,
    actor: str,
    note: str,
) -> int:
    """Append one workflow event and make it the alert's current state."""
    event_id = await tx.insert_returning_id(
        "alert_events",
        {
            "alert_id": alert.id,
            "brand_id": alert.alert.brand_id,
            "state": state,
            "at": at,
            "actor": actor,
            "note": note,
        },
    )
    await tx.upsert(
        "alert_states",
        {
            "alert_id": alert.id,
            "brand_id": alert.alert.brand_id,
            "state": state,
            "event_id": event_id,
            "changed_at": at,
        },
        key=("alert_id",),
    )
    return event_id


async def count_states(tx: Tx, brand_id: int) -> dict[str, int]:
    """How many of the brand's alerts are in each state: two index-only counts (the
    alerts, and those an event has moved), however many alerts there are."""
    row = await tx.fetchrow("SELECT COUNT(*) AS n FROM alerts WHERE brand_id = ?", brand_id)
    total = 0 if row is None else int(row["n"])
    found = await tx.fetch(
        "SELECT state, COUNT(*) AS n FROM alert_states WHERE brand_id = ? GROUP BY state",
        brand_id,
    )
    out = {str(r["state"]): int(r["n"]) for r in found}
    out[INITIAL] = total - sum(n for s, n in out.items() if s != INITIAL)
    return out


async def scans(tx: Tx, ids: Sequence[int]) -> list[Scan]:
    """The evidence scans ``ids`` that exist, in id order."""
    if not ids:
        return []
    found = await tx.fetch(
        f"SELECT * FROM scans WHERE id IN ({', '.join('?' * len(ids))}) ORDER BY id", *ids
    )
    return [rows.scan(r) for r in found]
