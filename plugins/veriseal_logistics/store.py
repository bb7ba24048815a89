"""SQL of the logistics tables. Writes take the caller's transaction, so the services
decide what is atomic; no permission checks here. Places, ETAs and evidence are JSON
in text columns (read back through the dialect)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence, Sized
from typing import Any

from veriseal.extend import Tx
from veriseal_logistics.models import (
    Alert,
    Checkpoint,
    Eta,
    EventIn,
    Place,
    Rules,
    Waybill,
)
from veriseal_logistics.statuses import Status

Row = Mapping[str, Any]

_WAYBILL = (
    "id, brand_id, carrier, tracking_no, reference, movement_id, from_org, to_org,"
    " origin, destination, waypoints, promised_at, status, last_event_at,"
    " picked_up_at, delivered_at, delivered_place, eta, created_at, created_by"
)
_EVENT = (
    "id, waybill_id, event_key, at, status, raw_status, description, place, source, received_at"
)


def _ts(tx: Tx, value: Any) -> dt.datetime | None:
    return None if value is None else tx.dialect.timestamp(value)


def _place(tx: Tx, value: Any) -> Place:
    return Place.from_dict(tx.dialect.decode_json(value) if value else None)


def waybill_of(tx: Tx, r: Row) -> Waybill:
    eta = tx.dialect.decode_json(r["eta"]) if r["eta"] else None
    return Waybill(
        id=int(r["id"]), brand_id=int(r["brand_id"]), carrier=str(r["carrier"]),
        tracking_no=str(r["tracking_no"]), reference=str(r["reference"]),
        movement_id=None if r["movement_id"] is None else int(r["movement_id"]),
        from_org=None if r["from_org"] is None else int(r["from_org"]),
        to_org=None if r["to_org"] is None else int(r["to_org"]),
        origin=_place(tx, r["origin"]), destination=_place(tx, r["destination"]),
        waypoints=tuple(Place.from_dict(p) for p in tx.dialect.decode_json(r["waypoints"])),
        promised_at=_ts(tx, r["promised_at"]), status=Status(r["status"]),
        last_event_at=_ts(tx, r["last_event_at"]), picked_up_at=_ts(tx, r["picked_up_at"]),
        delivered_at=_ts(tx, r["delivered_at"]),
        delivered_place=None if not r["delivered_place"] else _place(tx, r["delivered_place"]),
        eta=None if eta is None else Eta(dt.datetime.fromisoformat(eta["p50"]),
                                         dt.datetime.fromisoformat(eta["p90"]),
                                         str(eta["basis"]), int(eta.get("samples", 0))),
        created_at=tx.dialect.timestamp(r["created_at"]), created_by=str(r["created_by"]),
    )  # fmt: skip


def checkpoint_of(tx: Tx, r: Row) -> Checkpoint:
    return Checkpoint(
        id=int(r["id"]), waybill_id=int(r["waybill_id"]), at=tx.dialect.timestamp(r["at"]),
        status=Status(r["status"]), raw_status=str(r["raw_status"]),
        description=str(r["description"]), place=_place(tx, r["place"]),
        source=str(r["source"]), key=str(r["event_key"]),
        received_at=tx.dialect.timestamp(r["received_at"]),
    )  # fmt: skip


async def insert_waybill(tx: Tx, w: Waybill) -> int:
    enc = tx.dialect.encode_json
    return await tx.insert_returning_id(
        "logistics_waybills",
        {"brand_id": w.brand_id, "carrier": w.carrier, "tracking_no": w.tracking_no,
         "reference": w.reference, "movement_id": w.movement_id, "from_org": w.from_org,
         "to_org": w.to_org, "origin": enc(w.origin.to_dict()),
         "destination": enc(w.destination.to_dict()),
         "waypoints": enc([p.to_dict() for p in w.waypoints]), "lane": w.lane,
         "promised_at": w.promised_at, "status": w.status.value,
         "eta": None if w.eta is None else enc(w.eta.to_dict()),
         "next_poll_at": w.created_at, "created_at": w.created_at,
         "created_by": w.created_by},
    )  # fmt: skip


async def waybill(tx: Tx, waybill_id: int, *, lock: bool = False) -> Waybill | None:
    sql = f"SELECT {_WAYBILL} FROM logistics_waybills WHERE id = ?"
    if lock:
        sql += tx.dialect.for_update
    row = await tx.fetchrow(sql, waybill_id)
    return None if row is None else waybill_of(tx, row)


async def waybill_by_number(
    tx: Tx, brand_id: int, carrier: str, tracking_no: str
) -> Waybill | None:
    row = await tx.fetchrow(
        f"SELECT {_WAYBILL} FROM logistics_waybills"
        " WHERE brand_id = ? AND carrier = ? AND tracking_no = ?",
        brand_id, carrier, tracking_no,
    )  # fmt: skip
    return None if row is None else waybill_of(tx, row)


async def waybills(
    tx: Tx, brand_id: int, *, where: str = "", args: Sequence[Any] = (), limit: int = 50,
    after: int | None = None,
) -> list[Waybill]:  # fmt: skip
    """The brand's waybills, newest first; ``where`` an extra SQL condition (the
    service's filters and scope) with its ``args``; ``after``: the last id of the
    previous page."""
    sql = f"SELECT {_WAYBILL} FROM logistics_waybills WHERE brand_id = ?"
    params: list[Any] = [brand_id]
    if where:
        sql += f" AND ({where})"
        params += list(args)
    if after is not None:
        sql += " AND id < ?"
        params.append(after)
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(limit)
    return [waybill_of(tx, r) for r in await tx.fetch(sql, *params)]


async def open_waybills(tx: Tx, brand_id: int | None, after: int, limit: int) -> list[Waybill]:
    """Waybills the rules look at, by id: not final, or delivered and not judged since
    (a misdelivery or a late delivery is judged once it is known, however old the
    events: an import of last month's is judged too; a new event judges it again)."""
    sql = (f"SELECT {_WAYBILL} FROM logistics_waybills WHERE id > ?"
           " AND (status NOT IN ('delivered', 'returned', 'expired')"
           " OR (status = 'delivered' AND judged_at IS NULL))")  # fmt: skip
    params: list[Any] = [after]
    if brand_id is not None:
        sql += " AND brand_id = ?"
        params.append(brand_id)
    sql += " ORDER BY id LIMIT ?"
    params.append(limit)
    return [waybill_of(tx, r) for r in await tx.fetch(sql, *params)]


async def update_progress(tx: Tx, w: Waybill) -> None:
    """The waybill's derived state after events (status, times, delivered place, ETA)."""
    enc = tx.dialect.encode_json
    await tx.execute(
        "UPDATE logistics_waybills SET status = ?, last_event_at = ?, picked_up_at = ?,"
        " delivered_at = ?, delivered_place = ?, eta = ?, judged_at = NULL WHERE id = ?",
        w.status.value, w.last_event_at, w.picked_up_at, w.delivered_at,
        None if w.delivered_place is None else enc(w.delivered_place.to_dict()),
        None if w.eta is None else enc(w.eta.to_dict()), w.id,
    )  # fmt: skip


def event_key(e: EventIn) -> str:
    """The carrier's event id, else a hash of what the event says (so the same event
    pushed twice, or pushed and polled, is stored once)."""
    if e.key:
        return "id:" + e.key[:200]
    text = "\x1f".join((e.at.astimezone(dt.UTC).isoformat(), e.status.value, e.raw_status,
                        e.description, e.place.name, e.area_code))  # fmt: skip
    return "h:" + hashlib.sha256(text.encode()).hexdigest()[:32]


async def insert_events(
    tx: Tx, waybill_id: int, events: Sequence[EventIn], source: str, at: dt.datetime
) -> int:
    """Insert the events not yet stored (by key); the number inserted."""
    keys = {event_key(e): e for e in events}
    if not keys:
        return 0
    known = {
        str(r["event_key"])
        for r in await tx.fetch(
            "SELECT event_key FROM logistics_events WHERE waybill_id = ?"
            f" AND event_key {_in(keys)}",
            waybill_id, *keys,
        )
    }  # fmt: skip
    enc = tx.dialect.encode_json
    rows = [(waybill_id, k, e.at, e.status.value, e.raw_status[:200], e.description[:1000],
             enc(e.place.to_dict()), source, at)
            for k, e in keys.items() if k not in known]  # fmt: skip
    if rows:
        await tx.executemany(
            "INSERT INTO logistics_events (waybill_id, event_key, at, status, raw_status,"
            " description, place, source, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


async def timeline(tx: Tx, waybill_id: int) -> list[Checkpoint]:
    """The waybill's events by event time (ties by arrival)."""
    rows = await tx.fetch(
        f"SELECT {_EVENT} FROM logistics_events WHERE waybill_id = ? ORDER BY at, id",
        waybill_id,
    )
    return [checkpoint_of(tx, r) for r in rows]


def _in(values: Sized) -> str:
    """``IN (?, ?, ...)`` for ``values`` (``IN (NULL)``, true of no row, when empty)."""
    return "IN (" + (", ".join("?" * len(values)) or "NULL") + ")"


async def timelines(tx: Tx, waybill_ids: Sequence[int]) -> dict[int, list[Checkpoint]]:
    out: dict[int, list[Checkpoint]] = {i: [] for i in waybill_ids}
    if not waybill_ids:
        return out
    rows = await tx.fetch(
        f"SELECT {_EVENT} FROM logistics_events WHERE waybill_id {_in(waybill_ids)}"
        " ORDER BY waybill_id, at, id",
        *waybill_ids,
    )  # fmt: skip
    for r in rows:
        out[int(r["waybill_id"])].append(checkpoint_of(tx, r))
    return out


# --- history ------------------------------------------------------------------------


async def insert_samples(tx: Tx, waybill_id: int, samples: Sequence[Any], at: dt.datetime) -> None:
    """What a delivered waybill teaches (once: the UNIQUE key drops a second time)."""
    await tx.execute("DELETE FROM logistics_samples WHERE waybill_id = ?", waybill_id)
    await tx.executemany(
        "INSERT INTO logistics_samples (carrier, lane, status, measure, hours, waybill_id,"
        " seq, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(s.carrier, s.lane, s.status, s.measure, float(s.hours), waybill_id, s.seq, at)
         for s in samples],
    )  # fmt: skip


async def sample_hours(
    tx: Tx, measure: str, carrier: str, status: str, lane: str | None, limit: int
) -> list[float]:
    """The newest ``limit`` samples of (measure, carrier, status), of one lane or all."""
    sql = ("SELECT hours FROM logistics_samples WHERE carrier = ? AND measure = ?"
           " AND status = ?")  # fmt: skip
    params: list[Any] = [carrier, measure, status]
    if lane is not None:
        sql += " AND lane = ?"
        params.append(lane)
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(limit)
    return [float(r["hours"]) for r in await tx.fetch(sql, *params)]


# --- alerts -------------------------------------------------------------------------


def alert_of(tx: Tx, r: Row) -> Alert:
    return Alert(
        id=int(r["id"]), brand_id=int(r["brand_id"]), waybill_id=int(r["waybill_id"]),
        kind=str(r["kind"]), status=str(r["status"]),
        opened_at=tx.dialect.timestamp(r["opened_at"]), closed_at=_ts(tx, r["closed_at"]),
        evidence=tx.dialect.decode_json(r["evidence"]),
    )  # fmt: skip


_ALERT = "id, brand_id, waybill_id, kind, status, opened_at, closed_at, evidence"


async def open_alerts_of(tx: Tx, waybill_ids: Sequence[int]) -> dict[int, dict[str, Alert]]:
    out: dict[int, dict[str, Alert]] = {i: {} for i in waybill_ids}
    if not waybill_ids:
        return out
    rows = await tx.fetch(
        f"SELECT {_ALERT} FROM logistics_alerts WHERE status = 'open'"
        f" AND waybill_id {_in(waybill_ids)}",
        *waybill_ids,
    )  # fmt: skip
    for r in rows:
        a = alert_of(tx, r)
        out[a.waybill_id][a.kind] = a
    return out


async def insert_alert(
    tx: Tx, brand_id: int, waybill_id: int, kind: str, evidence: dict[str, Any], at: dt.datetime
) -> int:
    return await tx.insert_returning_id(
        "logistics_alerts",
        {"brand_id": brand_id, "waybill_id": waybill_id, "kind": kind, "status": "open",
         "opened_at": at, "evidence": tx.dialect.encode_json(evidence)},
    )  # fmt: skip


async def close_alert(tx: Tx, alert_id: int, at: dt.datetime, by: str) -> bool:
    """Close an open alert; False if it was not open."""
    row = await tx.fetchrow(
        "UPDATE logistics_alerts SET status = 'closed', closed_at = ?, closed_by = ?"
        " WHERE id = ? AND status = 'open' RETURNING id",
        at, by, alert_id,
    )  # fmt: skip
    return row is not None


async def alert(tx: Tx, alert_id: int) -> Alert | None:
    row = await tx.fetchrow(f"SELECT {_ALERT} FROM logistics_alerts WHERE id = ?", alert_id)
    return None if row is None else alert_of(tx, row)


async def alerts(
    tx: Tx, brand_id: int, *, status: str | None, kind: str | None,
    waybill_ids: Sequence[int] | None, scope: tuple[str, Sequence[Any]] | None, limit: int,
    after: int | None,
) -> list[Alert]:  # fmt: skip
    """The brand's alerts, newest first; ``waybill_ids`` limits them to those waybills,
    ``scope`` to waybills matching an SQL condition on ``logistics_waybills`` (a
    dealer's reach) with its arguments; ``after``: the last id of the previous page."""
    cols = ", ".join(f"a.{c.strip()}" for c in _ALERT.split(","))
    sql = f"SELECT {cols} FROM logistics_alerts a WHERE a.brand_id = ?"
    params: list[Any] = [brand_id]
    for column, value in (("status", status), ("kind", kind)):
        if value is not None:
            sql += f" AND a.{column} = ?"
            params.append(value)
    if waybill_ids is not None:
        sql += f" AND a.waybill_id {_in(waybill_ids)}"
        params += list(waybill_ids)
    if scope is not None:
        sql += (" AND a.waybill_id IN (SELECT id FROM logistics_waybills WHERE brand_id = ?"
                f" AND ({scope[0]}))")  # fmt: skip
        params += [brand_id, *scope[1]]
    if after is not None:
        sql += " AND a.id < ?"
        params.append(after)
    sql += " ORDER BY a.id DESC LIMIT ?"
    params.append(limit)
    return [alert_of(tx, r) for r in await tx.fetch(sql, *params)]


# --- settings -----------------------------------------------------------------------


async def settings_row(tx: Tx, brand_id: int) -> Row | None:
    return await tx.fetchrow(
        "SELECT rules, kuaidi100_salt, webhook_secret FROM logistics_settings"
        " WHERE brand_id = ?", brand_id)  # fmt: skip


async def save_settings(
    tx: Tx, brand_id: int, values: dict[str, Any], at: dt.datetime, by: str
) -> None:
    """Upsert the brand's settings row with ``values`` (rules as a Rules, or secrets)."""
    row = await settings_row(tx, brand_id)
    merged: dict[str, Any] = {"rules": Rules().to_dict(), "kuaidi100_salt": "",
                              "webhook_secret": ""}  # fmt: skip
    if row is not None:
        merged = {"rules": tx.dialect.decode_json(row["rules"]),
                  "kuaidi100_salt": row["kuaidi100_salt"],
                  "webhook_secret": row["webhook_secret"]}  # fmt: skip
    merged.update(values)
    if isinstance(merged["rules"], Rules):
        merged["rules"] = merged["rules"].to_dict()
    args = (tx.dialect.encode_json(merged["rules"]), merged["kuaidi100_salt"],
            merged["webhook_secret"], at, by)  # fmt: skip
    if row is None:
        await tx.execute(
            "INSERT INTO logistics_settings (rules, kuaidi100_salt, webhook_secret, updated_at,"
            " updated_by, brand_id) VALUES (?, ?, ?, ?, ?, ?)", *args, brand_id)  # fmt: skip
    else:
        await tx.execute(
            "UPDATE logistics_settings SET rules = ?, kuaidi100_salt = ?, webhook_secret = ?,"
            " updated_at = ?, updated_by = ? WHERE brand_id = ?", *args, brand_id)  # fmt: skip


async def due_for_poll(tx: Tx, now: dt.datetime, limit: int) -> list[Waybill]:
    rows = await tx.fetch(
        f"SELECT {_WAYBILL} FROM logistics_waybills WHERE next_poll_at <= ?"
        " AND status NOT IN ('delivered', 'returned', 'expired') ORDER BY next_poll_at LIMIT ?",
        now, limit,
    )  # fmt: skip
    return [waybill_of(tx, r) for r in rows]


async def set_next_poll(tx: Tx, waybill_id: int, at: dt.datetime) -> None:
    await tx.execute("UPDATE logistics_waybills SET next_poll_at = ? WHERE id = ?", at, waybill_id)


async def closed_by_people(tx: Tx, waybill_ids: Sequence[int]) -> set[tuple[int, str]]:
    """(waybill, kind) of alerts a person closed: they never reopen."""
    if not waybill_ids:
        return set()
    rows = await tx.fetch(
        "SELECT waybill_id, kind FROM logistics_alerts WHERE status = 'closed'"
        f" AND closed_by <> 'rules' AND waybill_id {_in(waybill_ids)}",
        *waybill_ids,
    )  # fmt: skip
    return {(int(r["waybill_id"]), str(r["kind"])) for r in rows}


async def set_status(tx: Tx, waybill_id: int, status: Status) -> None:
    await tx.execute("UPDATE logistics_waybills SET status = ? WHERE id = ?", status.value,
                     waybill_id)  # fmt: skip


async def judged(tx: Tx, waybill_ids: Sequence[int], at: dt.datetime) -> None:
    """Delivered waybills the rules have judged (not looked at again until a new event)."""
    await tx.executemany("UPDATE logistics_waybills SET judged_at = ? WHERE id = ?",
                         [(at, i) for i in waybill_ids])  # fmt: skip
