"""Shipments: goods scanned out to a dealer and scanned in by the receiver.

A *movement* is appended for every scan-out (``out``: from the shipper to the consignee)
and scan-in (``in``: the receiver takes the units from whoever held them). Items are
named as scanned: item codes, and case / pallet SSCCs, which ship everything inside
them through the packaging hierarchy (``engine.lifecycle.aggregation``). Units are
stored as ranges of consecutive indexes of a batch, so a pallet of 10,000 consecutive
items is one range row, never 10,000 rows.

Who holds what now is derived state (``territories_holdings``: disjoint ranges per batch
with their holder and the movement that put them there), rewritten in the transaction
that appends the movement. A unit with no holding row is held by the brand.

Contracts:

- shipping needs ``scans.record`` on the shipping org, and the shipper MUST hold every
  unit (``not_held`` names the first unit it does not hold; nothing is written);
- receiving needs ``scans.record`` on the receiving org. Units shipped to the receiver
  become *received*; units the receiver scans in that were held by ANOTHER dealer pass
  to the receiver too (it has them in hand) and are reported in ``taken`` so the
  diversion check can judge them;
- a movement with a ``client_id`` is recorded once per (brand, actor, client_id): a
  handheld retrying an upload gets ``replayed: true`` and nothing is written again.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from veriseal import (
    Action,
    Brand,
    Conflict,
    IndexRange,
    InvalidInput,
    Principal,
    register_messages,
    require_permission,
)
from veriseal.extend import PluginContext
from veriseal_territories import ranges
from veriseal_territories.dealers import Dealer, DealerService

register_messages(
    {
        "error.not_held": ("The shipper does not hold these goods", "发货方不持有这些货品"),
        "error.shipment_invalid": ("Invalid shipment", "发货/收货信息无效"),
    }
)

MAX_ITEMS = 100_000  # entries per request (a pallet SSCC is one entry)


class NotHeld(Conflict):
    code = "not_held"


class ShipmentInvalid(InvalidInput):
    code = "shipment_invalid"


@dataclass(frozen=True)
class Point:
    """Where a handheld was when it scanned (optional)."""

    lat: float
    lon: float
    accuracy_m: float | None = None

    @classmethod
    def parse(cls, data: Any) -> Point | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            raise ShipmentInvalid("location must be an object with lat, lon, accuracy_m")
        try:
            lat, lon = float(data["lat"]), float(data["lon"])
            acc = data.get("accuracy_m")
            accuracy = None if acc is None else float(acc)
        except (KeyError, TypeError, ValueError):
            raise ShipmentInvalid("location needs numeric lat and lon") from None
        if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
            raise ShipmentInvalid("location out of range")
        if accuracy is not None and not (math.isfinite(accuracy) and accuracy >= 0):
            raise ShipmentInvalid("accuracy_m must be a non-negative number")
        return cls(lat, lon, accuracy)


@dataclass(frozen=True)
class Taken:
    """Units a receiver scanned in that another dealer held (not shipped to it)."""

    from_org: int
    movement_id: int
    by_batch: dict[int, list[IndexRange]]

    @property
    def items(self) -> int:
        return sum(ranges.count(r) for r in self.by_batch.values())


@dataclass
class MoveResult:
    kind: str  # "out" | "in"
    movement_ids: list[int]
    to_org: int
    from_org: int | None
    items: int
    replayed: bool = False
    received: int = 0  # "in": units shipped to the receiver
    already: int = 0  # "in": units the receiver had received before
    taken: list[Taken] = field(default_factory=list)
    diversion_alerts: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "movements": self.movement_ids,
            "to_org": self.to_org,
            "from_org": self.from_org,
            "items": self.items,
            "replayed": self.replayed,
        }
        if self.kind == "in":
            out["received"] = self.received
            out["already_received"] = self.already
            out["taken_from_other_dealers"] = [
                {"org_id": t.from_org, "items": t.items} for t in self.taken
            ]
            out["diversion_alerts"] = self.diversion_alerts
        return out


Held = tuple[int, int]  # (holder org id, movement id)


async def _held(
    tx: Any, batch_id: int, spans: Sequence[IndexRange], kinds: dict[int, str] | None = None
) -> list[tuple[IndexRange, Held]]:
    """Holding rows of the batch that meet ``[spans[0].first, spans[-1].last]``; the
    kinds of their movements are added to ``kinds``."""
    lo, hi = spans[0].first, spans[-1].last
    select = (
        "SELECT h.first_index, h.last_index, h.org_id, h.movement_id, m.kind"
        " FROM territories_holdings h JOIN territories_movements m ON m.id = h.movement_id"
    )
    found = await tx.fetch(
        select + " WHERE h.batch_id = ? AND h.first_index >= ? AND h.first_index <= ?"
        " ORDER BY h.first_index",
        batch_id,
        lo,
        hi,
    )
    before = await tx.fetchrow(
        select + " WHERE h.batch_id = ? AND h.first_index < ? ORDER BY h.first_index DESC LIMIT 1",
        batch_id,
        lo,
    )
    rows = ([before] if before is not None else []) + list(found)
    if kinds is not None:
        kinds.update({int(r["movement_id"]): str(r["kind"]) for r in rows})
    return [
        (
            IndexRange(int(r["first_index"]), int(r["last_index"])),
            (int(r["org_id"]), int(r["movement_id"])),
        )
        for r in rows
    ]


async def _assign(
    tx: Any,
    brand_id: int,
    batch_id: int,
    spans: list[IndexRange],
    held: list[tuple[IndexRange, Held]],
    value: Held,
) -> None:
    """Rewrite the touched holding rows: ``spans`` now belong to ``value``."""
    await tx.executemany(
        "DELETE FROM territories_holdings WHERE batch_id = ? AND first_index = ?",
        [(batch_id, r.first) for r, _ in held],
    )
    await tx.executemany(
        "INSERT INTO territories_holdings (brand_id, batch_id, first_index, last_index,"
        " org_id, movement_id) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (brand_id, batch_id, r.first, r.last, v[0], v[1])
            for r, v in ranges.reassign(held, spans, value)
        ],
    )


class ShipmentService:
    def __init__(self, ctx: PluginContext, dealers: DealerService) -> None:
        self.ctx = ctx
        self.dealers = dealers

    async def resolve(self, brand: Brand, items: Sequence[str]) -> dict[int, list[IndexRange]]:
        """Scanned entries -> item ranges by batch, pallets and cases expanded."""
        if len(items) > MAX_ITEMS:
            raise ShipmentInvalid(f"at most {MAX_ITEMS} entries per request")
        children, by_batch = await self.ctx.resolve_items(brand, items)
        out: dict[int, list[IndexRange]] = {b: list(r) for b, r in by_batch.items()}
        for sscc in children.units:
            inner = await self.ctx.contents(brand, sscc, deep=True)
            if not inner.ranges:
                raise ShipmentInvalid(f"logistic unit {sscc} holds no items (was it packed?)")
            for r in inner.ranges:
                out.setdefault(r.batch_id, []).append(IndexRange(r.first, r.last))
        normal = {b: ranges.normalise(r) for b, r in out.items() if r}
        if not normal:
            raise ShipmentInvalid("no items named")
        return normal

    async def _replay(self, brand_id: int, actor: str, client_id: str | None) -> MoveResult | None:
        if client_id is None:
            return None
        async with self.ctx.db.read() as tx:
            found = await tx.fetch(
                "SELECT id, kind, from_org, to_org, items FROM territories_movements"
                " WHERE brand_id = ? AND actor = ?"
                " AND (client_id = ? OR (client_id > ? AND client_id < ?)) ORDER BY id",
                brand_id,
                actor,
                client_id,
                client_id + "#",
                client_id + "$",
            )
        if not found:
            return None
        first = found[0]
        return MoveResult(
            str(first["kind"]),
            [int(r["id"]) for r in found],
            int(first["to_org"]),
            None if first["from_org"] is None else int(first["from_org"]),
            sum(int(r["items"]) for r in found),
            replayed=True,
        )

    async def _org_of(
        self, principal: Principal, brand: Brand, ref: str | None
    ) -> tuple[int, Dealer | None]:
        """The acting org: a named dealer, else the principal's dealer org, else the
        brand's root org (the warehouse)."""
        if ref:
            dealer = await self.dealers.find(brand.id, ref)
            return dealer.org_id, dealer
        if principal.org is not None and principal.org.brand_id == brand.id:
            root = await self.ctx.brand_org(brand)
            if principal.org.id != root.id:
                return principal.org.id, await self.dealers.get(brand.id, principal.org.id)
        return (await self.ctx.brand_org(brand)).id, None

    async def ship(
        self,
        principal: Principal,
        brand: Brand,
        to_ref: str,
        items: Sequence[str],
        *,
        from_ref: str | None = None,
        client_id: str | None = None,
        location: Point | None = None,
        note: str = "",
        at: dt.datetime | None = None,
    ) -> MoveResult:
        """Scan goods out to dealer ``to_ref`` (see the module docstring)."""
        actor = _actor(principal)
        replay = await self._replay(brand.id, actor, _client(client_id))
        if replay is not None:
            return replay
        from_org, _ = await self._org_of(principal, brand, from_ref)
        require_permission(principal, Action.SCANS_RECORD, org=await self.ctx.org(from_org))
        to = await self.dealers.find(brand.id, to_ref)
        if to.status == "terminated":
            raise ShipmentInvalid(f"dealer {to.code} is terminated")
        if to.org_id == from_org:
            raise ShipmentInvalid("a dealer cannot ship to itself")
        by_batch = await self.resolve(brand, items)
        root = (await self.ctx.brand_org(brand)).id
        total = sum(ranges.count(r) for r in by_batch.values())
        when = at or dt.datetime.now(dt.UTC)
        async with self.ctx.db.write() as tx:
            touched = {}
            for batch_id, spans in sorted(by_batch.items()):
                held = await _held(tx, batch_id, spans)
                holders, free = ranges.split_by_holder(held, spans)
                wrong = [(r, v[0]) for r, v in holders if v[0] != from_org]
                if from_org != root:
                    wrong += [(r, root) for r in free]
                if wrong:
                    r, org = min(wrong, key=lambda w: w[0].first)
                    raise NotHeld(
                        f"batch {batch_id}: items {r} are held by org {org}, not the shipper",
                        batch_id=batch_id,
                        items=str(r),
                        holder=org,
                    )
                touched[batch_id] = held
            movement_id = await self._append(
                tx,
                brand.id,
                "out",
                from_org,
                to.org_id,
                by_batch,
                total,
                when,
                actor,
                _client(client_id),
                location,
                note,
                items,
            )
            for batch_id, spans in sorted(by_batch.items()):
                await _assign(
                    tx, brand.id, batch_id, spans, touched[batch_id], (to.org_id, movement_id)
                )
        return MoveResult("out", [movement_id], to.org_id, from_org, total)

    async def receive(
        self,
        principal: Principal,
        brand: Brand,
        items: Sequence[str],
        *,
        at_ref: str | None = None,
        client_id: str | None = None,
        location: Point | None = None,
        note: str = "",
        at: dt.datetime | None = None,
    ) -> MoveResult:
        """Scan goods in at dealer ``at_ref`` (default: the principal's own dealer org)."""
        actor = _actor(principal)
        replay = await self._replay(brand.id, actor, _client(client_id))
        if replay is not None:
            return replay
        org_id, dealer = await self._org_of(principal, brand, at_ref)
        if dealer is None:
            raise ShipmentInvalid(
                "name the receiving dealer (the brand's warehouse does not scan in)"
            )
        require_permission(principal, Action.SCANS_RECORD, org=await self.ctx.org(org_id))
        by_batch = await self.resolve(brand, items)
        total = sum(ranges.count(r) for r in by_batch.values())
        when = at or dt.datetime.now(dt.UTC)
        result = MoveResult("in", [], org_id, None, total)
        cid = _client(client_id)
        async with self.ctx.db.write() as tx:
            # per previous holder: what the receiver takes from it
            kinds: dict[int, str] = {}
            plan: dict[int | None, dict[int, list[IndexRange]]] = {}
            for batch_id, spans in sorted(by_batch.items()):
                held = await _held(tx, batch_id, spans, kinds)
                holders, free = ranges.split_by_holder(held, spans)
                for r, (holder, movement) in holders:
                    if holder == org_id and kinds.get(movement) == "in":
                        result.already += r.last - r.first + 1
                        continue
                    source = None if holder == org_id else holder
                    plan.setdefault(source, {}).setdefault(batch_id, []).append(r)
                for r in free:  # never shipped to a dealer: straight from the brand
                    plan.setdefault(-1, {}).setdefault(batch_id, []).append(r)
            order = sorted(plan, key=lambda k: -2 if k is None else k)
            for n, source in enumerate(order):
                spans_by_batch = {b: ranges.normalise(r) for b, r in plan[source].items()}
                count = sum(ranges.count(r) for r in spans_by_batch.values())
                from_org = None if source in (None, -1) else source
                movement_id = await self._append(
                    tx,
                    brand.id,
                    "in",
                    from_org,
                    org_id,
                    spans_by_batch,
                    count,
                    when,
                    actor,
                    cid if n == 0 or cid is None else f"{cid}#{n}",
                    location,
                    note,
                    items if n == 0 else (),
                )
                result.movement_ids.append(movement_id)
                if source is None:
                    result.received += count
                elif source != -1:
                    result.taken.append(Taken(source, movement_id, spans_by_batch))
                for batch_id, spans in spans_by_batch.items():
                    held = await _held(tx, batch_id, spans)
                    await _assign(tx, brand.id, batch_id, spans, held, (org_id, movement_id))
            if not result.movement_ids and cid is not None:
                # everything was received before: still remember the upload
                result.movement_ids.append(
                    await self._append(
                        tx,
                        brand.id,
                        "in",
                        None,
                        org_id,
                        {},
                        0,
                        when,
                        actor,
                        cid,
                        location,
                        note,
                        (),
                    )
                )
        return result

    @staticmethod
    async def _append(
        tx: Any,
        brand_id: int,
        kind: str,
        from_org: int | None,
        to_org: int,
        by_batch: dict[int, list[IndexRange]],
        items: int,
        at: dt.datetime,
        actor: str,
        client_id: str | None,
        location: Point | None,
        note: str,
        named: Sequence[str],
    ) -> int:
        row = await tx.fetchrow(
            "INSERT INTO territories_movements (brand_id, kind, from_org, to_org, items, at,"
            " actor, client_id, lat, lon, accuracy_m, note) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            brand_id,
            kind,
            from_org,
            to_org,
            items,
            at,
            actor,
            client_id,
            location.lat if location else None,
            location.lon if location else None,
            location.accuracy_m if location else None,
            note.strip()[:500],
        )
        movement_id = int(row["id"])
        await tx.executemany(
            "INSERT INTO territories_movement_ranges (movement_id, batch_id, first_index,"
            " last_index) VALUES (?, ?, ?, ?)",
            [
                (movement_id, b, r.first, r.last)
                for b, spans in sorted(by_batch.items())
                for r in spans
            ],
        )
        units = [t.strip() for t in named if t.strip().isdigit() and len(t.strip()) == 18]
        await tx.executemany(
            "INSERT INTO territories_movement_units (movement_id, sscc) VALUES (?, ?)",
            [(movement_id, u) for u in dict.fromkeys(units)],
        )
        return movement_id

    async def holder(self, batch_id: int, index: int) -> tuple[int, int, str] | None:
        """(holder org id, movement id, "out" in transit / "in" received) or None when
        the brand holds the unit."""
        async with self.ctx.db.read() as tx:
            row = await tx.fetchrow(
                "SELECT h.last_index, h.org_id, h.movement_id, m.kind FROM territories_holdings h"
                " JOIN territories_movements m ON m.id = h.movement_id"
                " WHERE h.batch_id = ? AND h.first_index <= ? ORDER BY h.first_index DESC LIMIT 1",
                batch_id,
                index,
            )
        if row is None or int(row["last_index"]) < index:
            return None
        return int(row["org_id"]), int(row["movement_id"]), str(row["kind"])

    async def holdings(self, brand_id: int, org_id: int) -> list[dict[str, Any]]:
        """The ranges a dealer holds now."""
        async with self.ctx.db.read() as tx:
            found = await tx.fetch(
                "SELECT h.batch_id, h.first_index, h.last_index, h.movement_id, m.kind"
                " FROM territories_holdings h JOIN territories_movements m ON m.id = h.movement_id"
                " WHERE h.brand_id = ? AND h.org_id = ? ORDER BY h.batch_id, h.first_index",
                brand_id,
                org_id,
            )
        return [
            {
                "batch_id": int(r["batch_id"]),
                "first": int(r["first_index"]),
                "last": int(r["last_index"]),
                "movement_id": int(r["movement_id"]),
                "state": "received" if r["kind"] == "in" else "in_transit",
            }
            for r in found
        ]

    async def movements(
        self, brand_id: int, since: dt.datetime | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as tx:
            found = await tx.fetch(
                "SELECT id, kind, from_org, to_org, items, at, actor, client_id"
                " FROM territories_movements WHERE brand_id = ? AND at >= ? ORDER BY id LIMIT ?",
                brand_id,
                since or dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
                limit,
            )
        return [
            {
                "id": int(r["id"]),
                "kind": r["kind"],
                "from_org": r["from_org"],
                "to_org": r["to_org"],
                "items": int(r["items"]),
                "at": str(r["at"]),
                "actor": r["actor"],
                "client_id": r["client_id"],
            }
            for r in found
        ]


def _client(client_id: str | None) -> str | None:
    if client_id is None:
        return None
    value = client_id.strip()
    if not value or len(value) > 100 or "#" in value:
        raise ShipmentInvalid("client_id: 1-100 characters, no '#'")
    return value


def _actor(principal: Principal) -> str:
    return f"user:{principal.user_id}" if principal.user_id is not None else principal.client
