"""Shipments: goods scanned out to a dealer and scanned in by the receiver.

A *movement* is appended for every scan-out (``out``: from the shipper to the consignee),
scan-in (``in``: the receiver takes the units from whoever held them) and take-back
(``back``: the brand takes units back from a dealer, a return). Items are
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
- taking back needs ``scans.record`` on the brand's root org (brand staff: a dealer
  never takes goods from another dealer this way). The dealer MUST hold every unit
  (``not_held``, nothing written); afterwards nobody holds them: the brand has them
  exactly as if they had never been shipped (no holding row), so it can ship them
  again and the dealer cannot. A take-back is not a sale: the diversion checks never
  judge the brand as a dealer holding them;
- a movement with a ``client_id`` is recorded once per (brand, actor, client_id): a
  handheld retrying an upload gets ``replayed: true`` and nothing is written again.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Awaitable, Callable, Sequence
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
from veriseal_territories.grants import row_time

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
class MoveOptions:
    """How a shipment or receipt was scanned; every field is optional."""

    #: the handheld's id for this upload: a retry with the same id is replayed, not
    #: recorded again (1-100 characters, no ``#``)
    client_id: str | None = None
    location: Point | None = None  # where the handheld was
    note: str = ""  # kept cut to 500 characters
    at: dt.datetime | None = None  # when the goods moved (default: now)
    #: what the movement is for (an order number): carried by its stream event
    reference: str = ""


#: every option at its default: no client id, no location, no note, now
NO_OPTIONS = MoveOptions()


@dataclass(frozen=True)
class _Request:
    """What every movement appended for one ship or receive call shares."""

    brand_id: int
    actor: str
    client_id: str | None  # checked by _client
    location: Point | None
    note: str
    at: dt.datetime

    @classmethod
    def of(cls, principal: Principal, brand_id: int, options: MoveOptions) -> _Request:
        """The request, ``shipment_invalid`` for a bad client id."""
        return cls(
            brand_id,
            _actor(principal),
            _client(options.client_id),
            options.location,
            options.note,
            options.at or dt.datetime.now(dt.UTC),
        )

    def client_id_of(self, part: int) -> str | None:
        """The client id of the request's ``part``-th movement (a receipt taking units
        from several holders appends one each; the first carries the id itself)."""
        if part == 0 or self.client_id is None:
            return self.client_id
        return f"{self.client_id}#{part}"


@dataclass(frozen=True)
class _Movement:
    """One movement row with its ranges: who moved what to whom."""

    kind: str  # "out" | "in" | "back"
    from_org: int | None
    to_org: int
    by_batch: dict[int, list[IndexRange]]
    part: int = 0  # its place among the request's movements (see _Request.client_id_of)
    named: Sequence[str] = ()  # entries as scanned: the SSCCs among them are recorded

    @property
    def items(self) -> int:
        return sum(ranges.count(r) for r in self.by_batch.values())


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
    kind: str  # "out" | "in" | "back"
    movement_ids: list[int]
    to_org: int
    from_org: int | None
    items: int
    replayed: bool = False
    received: int = 0  # "in": units shipped to the receiver
    already: int = 0  # "in": units the receiver had received before
    taken: list[Taken] = field(default_factory=list)
    #: "in": the units shipped to the receiver, by the outbound movement that put them
    #: in transit (movement id -> item ranges by batch)
    shipped_by: dict[int, dict[int, list[IndexRange]]] = field(default_factory=dict)
    diversion_alerts: list[int] = field(default_factory=list)
    #: "out": what the shipment check found (veriseal_territories.shipment_policy)
    check: dict[str, Any] | None = None

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
        elif self.check is not None:
            out["territory_check"] = self.check
            out["diversion_alerts"] = self.diversion_alerts
        return out


Held = tuple[int, int]  # (holder org id, movement id)

#: A check of a shipment before anything is written: (shipping org id, receiving dealer,
#: item ranges by batch); it refuses the shipment by raising a coded error.
Vet = Callable[[int, Dealer, dict[int, list[IndexRange]]], Awaitable[None]]


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


async def _held_by_shipper(
    tx: Any, batch_id: int, spans: list[IndexRange], shipper: int, root: int
) -> list[tuple[IndexRange, Held]]:
    """The holding rows ``spans`` touch; ``not_held`` naming the first units someone
    other than ``shipper`` holds (units with no holding row are the brand's: ``root``)."""
    held = await _held(tx, batch_id, spans)
    holders, free = ranges.split_by_holder(held, spans)
    wrong = [(r, v[0]) for r, v in holders if v[0] != shipper]
    if shipper != root:
        wrong += [(r, root) for r in free]
    if wrong:
        r, org = min(wrong, key=lambda w: w[0].first)
        raise NotHeld(
            f"batch {batch_id}: items {r} are held by org {org}, not the shipper",
            batch_id=batch_id,
            items=str(r),
            holder=org,
        )
    return held


async def _release(
    tx: Any,
    brand_id: int,
    batch_id: int,
    spans: list[IndexRange],
    held: list[tuple[IndexRange, Held]],
) -> None:
    """Rewrite the touched holding rows: nobody holds ``spans`` any more (the brand has
    them as units never shipped, which have no holding row)."""
    await tx.executemany(
        "DELETE FROM territories_holdings WHERE batch_id = ? AND first_index = ?",
        [(batch_id, r.first) for r, _ in held],
    )
    await tx.executemany(
        "INSERT INTO territories_holdings (brand_id, batch_id, first_index, last_index,"
        " org_id, movement_id) VALUES (?, ?, ?, ?, ?, ?)",
        [(brand_id, batch_id, r.first, r.last, v[0], v[1]) for r, v in ranges.release(held, spans)],
    )


#: a receipt plan's key for units no dealer held (never shipped: straight from the brand)
_BRAND = -1


async def _receipt_plan(
    tx: Any, receiver: int, by_batch: dict[int, list[IndexRange]], result: MoveResult
) -> dict[int | None, dict[int, list[IndexRange]]]:
    """What ``receiver`` takes from whom, by batch: key None for units shipped to it,
    ``_BRAND`` for units no dealer held, else the org that held them. Units it had
    received already are left out and counted in ``result.already``."""
    kinds: dict[int, str] = {}
    plan: dict[int | None, dict[int, list[IndexRange]]] = {}
    for batch_id, spans in sorted(by_batch.items()):
        held = await _held(tx, batch_id, spans, kinds)
        holders, free = ranges.split_by_holder(held, spans)
        for r, (holder, movement) in holders:
            if holder == receiver and kinds.get(movement) == "in":
                result.already += r.last - r.first + 1
                continue
            source = None if holder == receiver else holder
            if source is None:  # in transit to the receiver since ``movement``
                result.shipped_by.setdefault(movement, {}).setdefault(batch_id, []).append(r)
            plan.setdefault(source, {}).setdefault(batch_id, []).append(r)
        for r in free:
            plan.setdefault(_BRAND, {}).setdefault(batch_id, []).append(r)
    return plan


async def _take(
    tx: Any, request: _Request, move: _Movement, source: int | None, result: MoveResult
) -> None:
    """Append one receipt movement from ``source`` (a receipt plan's key), hand its units
    to the receiver and account for it in ``result``."""
    movement_id = await _append(tx, request, move)
    result.movement_ids.append(movement_id)
    if source is None:
        result.received += move.items
    elif source != _BRAND:
        result.taken.append(Taken(source, movement_id, move.by_batch))
    for batch_id, spans in move.by_batch.items():
        held = await _held(tx, batch_id, spans)
        await _assign(tx, request.brand_id, batch_id, spans, held, (move.to_org, movement_id))


async def _append(tx: Any, request: _Request, move: _Movement) -> int:
    """Insert the movement, its ranges and the SSCCs it names; its id."""
    location = request.location
    row = await tx.fetchrow(
        "INSERT INTO territories_movements (brand_id, kind, from_org, to_org, items, at,"
        " actor, client_id, lat, lon, accuracy_m, note) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        request.brand_id,
        move.kind,
        move.from_org,
        move.to_org,
        move.items,
        request.at,
        request.actor,
        request.client_id_of(move.part),
        location.lat if location else None,
        location.lon if location else None,
        location.accuracy_m if location else None,
        request.note.strip()[:500],
    )
    movement_id = int(row["id"])
    await tx.executemany(
        "INSERT INTO territories_movement_ranges (movement_id, batch_id, first_index,"
        " last_index) VALUES (?, ?, ?, ?)",
        [
            (movement_id, b, r.first, r.last)
            for b, spans in sorted(move.by_batch.items())
            for r in spans
        ],
    )
    units = [t.strip() for t in move.named if t.strip().isdigit() and len(t.strip()) == 18]
    await tx.executemany(
        "INSERT INTO territories_movement_units (movement_id, sscc) VALUES (?, ?)",
        [(movement_id, u) for u in dict.fromkeys(units)],
    )
    return movement_id


@dataclass(frozen=True, slots=True)
class Holding:
    """Units ``first``..``last`` of a batch, held by one dealer since one movement."""

    batch_id: int
    first: int
    last: int
    holder: tuple[int, int, str, dt.datetime]  # as ShipmentService.holder returns it

    def __contains__(self, unit: tuple[int, int]) -> bool:
        return unit[0] == self.batch_id and self.first <= unit[1] <= self.last


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
        options: MoveOptions = NO_OPTIONS,
        vet: Vet | None = None,
    ) -> MoveResult:
        """Scan goods out to dealer ``to_ref`` (see the module docstring). ``vet``, if
        given, is awaited once the shipper's permission and the items are checked and
        before anything is written (not for a replayed ``client_id``); an error it
        raises refuses the shipment."""
        request = _Request.of(principal, brand.id, options)
        replay = await self._replay(brand.id, request.actor, request.client_id)
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
        if vet is not None:
            await vet(from_org, to, by_batch)
        root = (await self.ctx.brand_org(brand)).id
        move = _Movement("out", from_org, to.org_id, by_batch, named=items)
        units = _count(by_batch, await self._gtins(by_batch))
        async with self.ctx.db.write() as tx:
            touched = {
                batch_id: await _held_by_shipper(tx, batch_id, spans, from_org, root)
                for batch_id, spans in sorted(by_batch.items())
            }
            movement_id = await _append(tx, request, move)
            for batch_id, spans in sorted(by_batch.items()):
                await _assign(
                    tx, brand.id, batch_id, spans, touched[batch_id], (to.org_id, movement_id)
                )
            payload = _event([movement_id], from_org, to.org_id, units, options.reference)
            await self.ctx.publish(tx, "territories.shipped", brand.id, movement_id, payload)
        return MoveResult("out", [movement_id], to.org_id, from_org, move.items)

    async def receive(
        self,
        principal: Principal,
        brand: Brand,
        items: Sequence[str],
        *,
        at_ref: str | None = None,
        options: MoveOptions = NO_OPTIONS,
    ) -> MoveResult:
        """Scan goods in at dealer ``at_ref`` (default: the principal's own dealer org)."""
        request = _Request.of(principal, brand.id, options)
        replay = await self._replay(brand.id, request.actor, request.client_id)
        if replay is not None:
            return replay
        org_id, dealer = await self._org_of(principal, brand, at_ref)
        if dealer is None:
            raise ShipmentInvalid(
                "name the receiving dealer (the brand's warehouse does not scan in)"
            )
        require_permission(principal, Action.SCANS_RECORD, org=await self.ctx.org(org_id))
        by_batch = await self.resolve(brand, items)
        result = MoveResult("in", [], org_id, None, sum(ranges.count(r) for r in by_batch.values()))
        gtins = await self._gtins(by_batch)
        async with self.ctx.db.write() as tx:
            plan = await _receipt_plan(tx, org_id, by_batch, result)
            for part, source in enumerate(sorted(plan, key=lambda k: -2 if k is None else k)):
                move = _Movement(
                    "in",
                    None if source in (None, _BRAND) else source,
                    org_id,
                    {b: ranges.normalise(r) for b, r in plan[source].items()},
                    part,
                    items if part == 0 else (),
                )
                await _take(tx, request, move, source, result)
            if not result.movement_ids and request.client_id is not None:
                # everything was received before: still remember the upload
                empty = _Movement("in", None, org_id, {})
                result.movement_ids.append(await _append(tx, request, empty))
            await _announce_receipt(
                tx, self.ctx, (brand.id, gtins), plan, result, options.reference
            )
        return result

    async def take_back(
        self,
        principal: Principal,
        brand: Brand,
        from_org_id: int,
        items: Sequence[str],
        *,
        options: MoveOptions = NO_OPTIONS,
    ) -> MoveResult:
        """The brand takes the units named by ``items`` back from dealer org
        ``from_org_id`` (a return; see the module docstring): one ``back`` movement
        from the dealer to the brand's root org, published as ``territories.returned``.
        ``dealer_not_found`` for an org that is not the brand's dealer; a terminated
        dealer's goods can still be taken back."""
        request = _Request.of(principal, brand.id, options)
        replay = await self._replay(brand.id, request.actor, request.client_id)
        if replay is not None:
            return replay
        root = await self.ctx.brand_org(brand)
        require_permission(principal, Action.SCANS_RECORD, org=root)
        dealer = await self.dealers.get(brand.id, from_org_id)
        by_batch = await self.resolve(brand, items)
        move = _Movement("back", dealer.org_id, root.id, by_batch, named=items)
        units = _count(by_batch, await self._gtins(by_batch))
        async with self.ctx.db.write() as tx:
            touched = {
                batch_id: await _held_by_shipper(tx, batch_id, spans, dealer.org_id, root.id)
                for batch_id, spans in sorted(by_batch.items())
            }
            movement_id = await _append(tx, request, move)
            for batch_id, spans in sorted(by_batch.items()):
                await _release(tx, brand.id, batch_id, spans, touched[batch_id])
            payload = _event([movement_id], dealer.org_id, root.id, units, options.reference)
            await self.ctx.publish(tx, "territories.returned", brand.id, movement_id, payload)
        return MoveResult("back", [movement_id], root.id, dealer.org_id, move.items)

    async def _gtins(self, by_batch: dict[int, list[IndexRange]]) -> dict[int, str]:
        """The GTIN of each batch (read before a write transaction opens)."""
        return {b: (await self.ctx.batch(b)).gtin for b in sorted(by_batch)}

    async def holder(self, batch_id: int, index: int) -> tuple[int, int, str, dt.datetime] | None:
        """(holder org id, movement id, "out" in transit / "in" received, when that
        movement happened) or None when the brand holds the unit."""
        found = await self.holding(batch_id, index)
        return None if found is None else found.holder

    async def holding(self, batch_id: int, index: int) -> Holding | None:
        """The held range containing unit ``index`` of the batch, None when the brand
        holds the unit."""
        async with self.ctx.db.read() as tx:
            row = await tx.fetchrow(
                "SELECT h.first_index, h.last_index, h.org_id, h.movement_id, m.kind, m.at"
                " FROM territories_holdings h"
                " JOIN territories_movements m ON m.id = h.movement_id"
                " WHERE h.batch_id = ? AND h.first_index <= ? ORDER BY h.first_index DESC LIMIT 1",
                batch_id,
                index,
            )
        if row is None or int(row["last_index"]) < index:
            return None
        return Holding(
            batch_id,
            int(row["first_index"]),
            int(row["last_index"]),
            (int(row["org_id"]), int(row["movement_id"]), str(row["kind"]), row_time(row["at"])),
        )

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

    async def ranges_of(
        self, brand_id: int, movement_ids: Sequence[int]
    ) -> dict[int, dict[int, list[IndexRange]]]:
        """The units each of the brand's movements moved: movement id -> batch id ->
        normalised item ranges. Ids of other brands' movements, or of none, are left
        out; a movement that moved nothing (a replayed receipt) maps to ``{}``."""
        wanted = sorted({int(m) for m in movement_ids})
        out: dict[int, dict[int, list[IndexRange]]] = {}
        for start in range(0, len(wanted), 500):  # bounded IN lists
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            async with self.ctx.db.read() as tx:
                found = await tx.fetch(
                    "SELECT m.id, r.batch_id, r.first_index, r.last_index"
                    " FROM territories_movements m LEFT JOIN territories_movement_ranges r"
                    f" ON r.movement_id = m.id WHERE m.brand_id = ? AND m.id IN ({marks})",
                    brand_id,
                    *chunk,
                )
            for row in found:
                by_batch = out.setdefault(int(row["id"]), {})
                if row["batch_id"] is not None:
                    by_batch.setdefault(int(row["batch_id"]), []).append(
                        IndexRange(int(row["first_index"]), int(row["last_index"]))
                    )
        return {
            m: {b: ranges.normalise(r) for b, r in sorted(by_batch.items())}
            for m, by_batch in sorted(out.items())
        }

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


def _count(by_batch: dict[int, list[IndexRange]], gtins: dict[int, str]) -> dict[str, int]:
    """Unit counts per GTIN of item ranges by batch."""
    out: dict[str, int] = {}
    for batch_id, spans in by_batch.items():
        out[gtins[batch_id]] = out.get(gtins[batch_id], 0) + ranges.count(spans)
    return out


async def _announce_receipt(
    tx: Any, ctx: PluginContext, brand: tuple[int, dict[int, str]],
    plan: dict[int | None, dict[int, list[IndexRange]]], result: MoveResult, reference: str,
) -> None:  # fmt: skip
    """Publish ``territories.received`` (the transaction's last statement) when the
    receipt moved units; ``brand``: its id and the GTIN of each batch. Its payload adds
    ``shipments``: for the units shipped to the receiver, the outbound movement that put
    them in transit (id as a string) -> units per GTIN."""
    brand_id, gtins = brand
    units: dict[str, int] = {}
    for by_batch in plan.values():
        for gtin, n in _count(by_batch, gtins).items():
            units[gtin] = units.get(gtin, 0) + n
    if not units or not result.movement_ids:
        return
    payload = _event(result.movement_ids, None, result.to_org, units, reference)
    payload["shipments"] = {
        str(movement_id): _count(by_batch, gtins)
        for movement_id, by_batch in sorted(result.shipped_by.items())
    }
    await ctx.publish(tx, "territories.received", brand_id, result.movement_ids[0], payload)


def _event(
    movement_ids: list[int], from_org: int | None, to_org: int, units: dict[str, int],
    reference: str,
) -> dict[str, Any]:  # fmt: skip
    """The payload of ``territories.shipped`` / ``.received`` / ``.returned``."""
    return {
        "movements": movement_ids,
        "from_org": from_org,
        "to_org": to_org,
        "units": units,
        "reference": reference,
    }


def _client(client_id: str | None) -> str | None:
    if client_id is None:
        return None
    value = client_id.strip()
    if not value or len(value) > 100 or "#" in value:
        raise ShipmentInvalid("client_id: 1-100 characters, no '#'")
    return value


def _actor(principal: Principal) -> str:
    return f"user:{principal.user_id}" if principal.user_id is not None else principal.client
