"""Returned goods: units a dealer sent back, received by code into quarantine, decided
unit by unit, and the rejected ones scrapped (the services ``inventory.receive_return``,
``inventory.decide_return`` and ``inventory.scrap``; see :mod:`.provided`).

Units are ``batch id -> [(first, last), ...]`` (inclusive index ranges).

- :meth:`Returns.receive_return` (``stock.move`` on the warehouse, default the brand's
  own default warehouse): an inbound receipt of kind ``return`` (``reference`` and
  ``supplier`` stored), one line per (GTIN, lot) of the units' batches, every line
  requiring inspection whatever the product's setting; the units are placed by code in
  the warehouse's QUARANTINE location with one ``inbound`` post (document: the receipt
  number). The keepers are told (``stock_review``). A ``client_id`` used before gives
  that receipt back, nothing written. Units in stock anywhere in the brand (any
  warehouse, the dealers' too): ``stock_duplicate_code``, nothing written. Given the
  dealer (``from_org``) and territories' take-back ``movements``, the units first leave
  that dealer's warehouses in the same transaction (by code, else from its stock kept by
  quantity), unless the ``inventory.shipments`` consumer already applied the
  ``territories.returned`` event of those movements; whichever comes first remembers it
  under the movements' key, under the batches' locks, so the units leave once.
- :meth:`Returns.decide_return` (``stock.inspect``): the named units of the receipt go
  QUARANTINE -> STOCK (accepted) and -> REJECTED (rejected; a reason is required) in
  one ``transfer`` post. A line may be decided over several calls; once all its units
  are decided its inspection is recorded (accepted / rejected totals, decision
  ``accept_all`` / ``reject_all`` / ``accept_part``, no sampling) and its status set.
  Units not awaiting a decision on that receipt: ``inbound_return_units``; units no
  longer in its quarantine (issued by hand meanwhile): ``stock_not_here``. Publishes
  ``inventory.inspected`` (see :mod:`.inbound`) as its last statement.
- :meth:`Returns.scrap` (``stock.move``): the named units, rejected on that receipt
  and still in its warehouse's REJECTED location, leave stock with one ``adjustment``
  post (document: the receipt number, reason: ``reason``). Otherwise
  ``inbound_return_units``.

Every refusal happens before anything is written. ``decide_return`` and ``scrap`` are
idempotent by ``client_id`` (a retry after success returns with nothing written)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from veriseal import Batch, Brand, IndexRange, Principal
from veriseal.extend import PluginContext, Tx
from veriseal_inventory import inbound_store as istore
from veriseal_inventory import returns_store as rstore
from veriseal_inventory import unit_ranges as ur
from veriseal_inventory import units_store as ustore
from veriseal_inventory import warehouse_store as wstore
from veriseal_inventory.bulk_ship import take_bulk
from veriseal_inventory.inbound import InboundService, decision_of, publish_inspected
from veriseal_inventory.inbound_errors import InboundInvalid, InboundState, ReturnUnitsState
from veriseal_inventory.inbound_models import DecisionKind, Inspection, LineStatus, ReceiptView
from veriseal_inventory.models import LocationKind, Meta, MovementKind, StockLine, Warehouse
from veriseal_inventory.permissions import STOCK_INSPECT, STOCK_MOVE
from veriseal_inventory.stock import StockService, actor_of
from veriseal_inventory.units import (
    StockDuplicateCode,
    StockNotHere,
    move_units,
    placed,
    postings_of,
)
from veriseal_inventory.warehouses import WarehouseService, location_in

#: units as the services take them: batch id -> inclusive (first, last) ranges
UnitsIn = Mapping[int, Sequence[tuple[int, int]]]
Units = dict[int, list[IndexRange]]
RETURN = "return"


@dataclass(frozen=True, slots=True)
class ReturnReceipt:
    """What ``receive_return`` made: the receipt, its warehouse's code and its lines
    ``(line_no, gtin, lot, quantity)``."""

    receipt_no: str
    warehouse: str
    lines: list[tuple[int, str, str, int]]
    reference: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"receipt_no": self.receipt_no, "warehouse": self.warehouse,
                "reference": self.reference,
                "lines": [{"line_no": n, "gtin": g, "lot": lot, "quantity": q}
                          for n, g, lot, q in self.lines]}  # fmt: skip


def units_in(units: UnitsIn, name: str = "units") -> Units:
    """The services' units -> normalised ranges; ``stock_units_invalid`` for a negative
    or reversed range."""
    out: dict[int, list[IndexRange]] = {}
    for batch_id, spans in units.items():
        for span in spans:
            first, last = int(span[0]), int(span[1])
            if first < 0 or last < first:
                raise ur.UnitsInvalid(f"{name}: batch {batch_id} range {first}-{last}",
                                      batch=int(batch_id))  # fmt: skip
            out.setdefault(int(batch_id), []).append(IndexRange(first, last))
    return ur.normalise(out)


def units_out(units: Units) -> dict[str, list[list[int]]]:
    """Units as JSON (event payloads): batch id as text -> ``[[first, last], ...]``."""
    return {str(b): [[r.first, r.last] for r in spans] for b, spans in ur.normalise(units).items()}


def _held_units(rows: Sequence[ustore.Held]) -> Units:
    return ur.of_pairs((h.batch_id, h.span) for h in rows)


def _text(value: str, name: str, limit: int) -> str:
    if len(value) > limit or "\x00" in value:
        raise InboundInvalid(f"{name}: at most {limit} characters / {name} 过长")
    return value.strip()


def _client(client_id: str) -> str:
    client_id = _text(client_id, "client_id", 64)
    if not client_id:
        raise InboundInvalid("a client id is required / 须提供 client_id")
    return client_id


def back_key(movements: Sequence[int]) -> str:
    """The key under which the units of a take-back (territories' movements) are
    remembered as gone from the dealer: by whichever comes first, the return receipt
    (:func:`take_from_dealer`) or the ``territories.returned`` event's consumer."""
    return f"back:{min(movements)}"


async def take_from_dealer(tx: Tx, stock: StockService, who: tuple[int, int, str],
                           units: Units, batches: Mapping[int, Batch],
                           movements: Sequence[int]) -> list[int]:  # fmt: skip
    """Take ``units`` out of dealer ``who[1]``'s warehouses (by code where it holds them,
    else from its stock kept by quantity) with one outbound post, and remember it under
    :func:`back_key`, unless the consumer did so first. Callers hold the batches' locks
    (so the two never both take). ``who``: (brand id, dealer org id, document)."""
    brand_id, org_id, document = who
    key = back_key(movements)
    if await ustore.applied(tx, brand_id, key) is not None:
        return []
    dealer = sorted(w.id for w in await wstore.of_brand(tx, brand_id, [org_id]))
    held = await ustore.held(tx, brand_id, units)
    ours = [h for h in held if h.place.warehouse_id in dealer]
    rest = ur.subtract(units, _held_units(held))
    bulk = await take_bulk(tx, rest, dealer, batches)
    ids: list[int] = []
    postings = postings_of(ours, -1) + bulk.postings
    if postings:
        meta = Meta(MovementKind.OUTBOUND, "system:returns", document[:64],
                    "returned to the brand / 退回品牌方")  # fmt: skip
        ids = await stock.post(tx, brand_id, postings, meta, check_available=False)
        await move_units(tx, brand_id, ours, None)
    await ustore.remember(tx, brand_id, key, ids)
    return ids


class Returns:
    def __init__(self, ctx: PluginContext, warehouses: WarehouseService, stock: StockService,
                 inbound: InboundService) -> None:  # fmt: skip
        self.ctx = ctx
        self.warehouses = warehouses
        self.stock = stock
        self.inbound = inbound

    async def _batches(self, brand: Brand, units: Units) -> dict[int, Batch]:
        """Each batch of ``units`` (before any transaction); another brand's batch is
        ``stock_units_invalid``."""
        out = {}
        for b in sorted(units):
            batch = await self.ctx.batch(b)
            if batch.brand_id != brand.id:
                raise ur.UnitsInvalid(f"batch {b} is not this brand's", batch=b)
            out[b] = batch
        return out

    # -- receiving ---------------------------------------------------------------------
    async def receive_return(self,  # noqa: PLR0913 - the service signature agreed between plugins
                             principal: Principal, brand_id: int, reference: str,
                             units: UnitsIn, *, supplier: str, client_id: str,
                             warehouse: str | None = None, from_org: int | None = None,
                             movements: Sequence[int] = ()) -> ReturnReceipt:  # fmt: skip
        """Returned units into quarantine on a new receipt (see the module docstring).
        ``from_org`` and ``movements`` (territories' take-back): the units leave that
        dealer's warehouses in the same transaction unless the ``territories.returned``
        event of those movements was applied already (see :func:`take_from_dealer`)."""
        self.ctx.require(principal, STOCK_MOVE, brand_id=brand_id)  # the role, first
        brand = await self.ctx.brand_by_id(brand_id)
        if warehouse:
            place = await self.warehouses.find(brand, warehouse)
        else:
            root = await self.ctx.brand_org(brand)
            place = await self.warehouses.of_org(brand.id, root.id)
        await self.warehouses.require(principal, STOCK_MOVE, place)
        reference, supplier = _text(reference, "reference", 64), _text(supplier, "supplier", 200)
        client_id = _client(client_id)
        async with self.ctx.db.read() as tx:
            seen = await istore.by_client_id(tx, brand.id, client_id)
        if seen is not None:
            return await self._receipt(seen)
        wanted = units_in(units)
        if not wanted:
            raise ur.UnitsInvalid("no units / 未指定单品")
        batches = await self._batches(brand, wanted)
        groups: dict[tuple[str, str], Units] = {}
        for b, spans in wanted.items():
            key = (batches[b].gtin, batches[b].lot)
            groups[key] = ur.union(groups.get(key, {}), {b: spans})
        for gtin, _lot in groups:
            await self.ctx.product(brand, gtin)  # product_not_found
        keepers = await self.warehouses.keepers(place)
        now = dt.datetime.now(dt.UTC)
        actor = actor_of(principal)
        async with self.ctx.db.write() as tx:
            await ustore.lock_batches(tx, wanted)
            # a concurrent retry that committed while we waited for the locks: its receipt
            rid = await istore.by_client_id(tx, brand.id, client_id)
            if rid is None and from_org is not None and movements:
                await take_from_dealer(tx, self.stock, (brand.id, from_org, reference),
                                       wanted, batches, movements)  # fmt: skip
            # checked before the receipt is written: a refusal writes nothing
            taken = [] if rid is not None else await ustore.held(tx, brand.id, wanted)
            if rid is None and not taken:
                rid = await self._receive_in(tx, brand.id, place, sorted(groups.items()),
                                             (supplier, reference, actor, client_id), batches,
                                             keepers, now)  # fmt: skip
        if taken:
            held = sorted({h.place.warehouse_id for h in taken})
            async with self.ctx.db.read() as tx:
                codes = [await self._code(tx, wid) for wid in held]
            text = ur.describe(_held_units(taken))
            raise StockDuplicateCode(
                f"{text} in stock already at {', '.join(codes)} / 这些码已在库：{'、'.join(codes)}",
                units=ur.to_text(_held_units(taken)), held=codes,
            )  # fmt: skip
        assert rid is not None
        return await self._receipt(rid)

    async def _receive_in(self, tx: Tx, brand_id: int, place: Warehouse,
                          groups: list[tuple[tuple[str, str], Units]],
                          texts: tuple[str, str, str, str], batches: dict[int, Batch],
                          keepers: list[int], now: dt.datetime) -> int:  # fmt: skip
        supplier, reference, actor, client_id = texts
        made_texts = istore.ReceiptTexts(supplier, "", actor, reference, RETURN)
        made = await istore.insert_receipt(tx, brand_id, place.id, f"IN{now:%Y%m%d}", made_texts,
                                           client_id, now)  # fmt: skip
        if made is None:  # the same client id committed meanwhile
            rid = await istore.by_client_id(tx, brand_id, client_id)
            assert rid is not None
            return rid
        rid, number = made
        lines = [StockLine(g, ur.count(u), lot) for (g, lot), u in groups]
        await istore.insert_lines(tx, rid, lines, [True] * len(lines))  # always inspected
        ids = {(x.gtin, x.lot): x.id for x in await istore.lines(tx, rid)}
        await rstore.insert_units(tx, rid, [(ids[key], b, r) for key, u in groups
                                            for b, r in ur.pairs(u)])  # fmt: skip
        quarantine = await location_in(tx, place, None, LocationKind.QUARANTINE)
        rows = [row for _key, u in groups for row in placed(u, batches, place.id, quarantine.id)]
        await self.stock.post(tx, brand_id, postings_of(rows, 1),
                              Meta(MovementKind.INBOUND, actor, number,
                                   f"returned goods / 退货 {reference}".strip()))  # fmt: skip
        await move_units(tx, brand_id, rows, rows[0].place)
        receipt = await istore.receipt(tx, rid)
        assert receipt is not None
        await self.inbound._notify(tx, keepers, place, receipt, "awaits inspection (returned)",
                                   "退货待质检", f"{len(lines)} line(s) / {len(lines)} 行,"
                                   f" {reference}")  # fmt: skip
        return rid

    async def _code(self, tx: Tx, warehouse_id: int) -> str:
        row = await tx.fetchrow("SELECT code FROM inventory_warehouses WHERE id = ?",
                                warehouse_id)  # fmt: skip
        return str(row["code"]) if row else str(warehouse_id)

    async def _receipt(self, rid: int) -> ReturnReceipt:
        async with self.ctx.db.read() as tx:
            receipt = await istore.receipt(tx, rid)
            assert receipt is not None
            lines = await istore.lines(tx, rid)
            code = await self._code(tx, receipt.warehouse_id)
        return ReturnReceipt(receipt.receipt_no, code,
                             [(x.line_no, x.gtin, x.lot, x.quantity) for x in lines],
                             receipt.reference)  # fmt: skip

    # -- deciding ----------------------------------------------------------------------
    async def _return_view(self, principal: Principal, brand: Brand, receipt_no: str,
                           action: Any) -> tuple[ReceiptView, Warehouse]:  # fmt: skip
        self.ctx.require(principal, action, brand_id=brand.id)  # the role, first
        view = await self.inbound.get(principal, brand, receipt_no)
        warehouse = await self.warehouses.get(view.receipt.warehouse_id)
        await self.warehouses.require(principal, action, warehouse)
        if view.receipt.kind != RETURN:
            raise InboundState(f"{receipt_no} is not a return receipt / 不是退货入库单",
                               receipt=receipt_no)  # fmt: skip
        return view, warehouse

    async def decide_return(self, principal: Principal, brand_id: int, receipt_no: str,
                            accepted: UnitsIn, rejected: UnitsIn, *, reason: str,
                            client_id: str) -> None:  # fmt: skip
        """Accept / reject returned units (see the module docstring)."""
        brand = await self.ctx.brand_by_id(brand_id)
        view, warehouse = await self._return_view(principal, brand, receipt_no, STOCK_INSPECT)
        good_units, bad_units = units_in(accepted, "accepted"), units_in(rejected, "rejected")
        named = ur.union(good_units, bad_units)
        if not named:
            raise ur.UnitsInvalid("no units decided / 未指定单品")
        if ur.overlaps(good_units, bad_units):
            both = ur.describe(ur.intersect(good_units, bad_units))
            raise InboundInvalid(f"{both}: accepted and rejected at once / 同时判为合格与不合格")
        reason = _text(reason, "reason", 500)
        if bad_units and not reason:
            raise InboundInvalid("a reject needs a reason / 拒收须填写原因")
        key = f"return-decide:{_client(client_id)}"
        batches = await self._batches(brand, named)
        keepers = await self.warehouses.keepers(warehouse)
        actor, now = actor_of(principal), dt.datetime.now(dt.UTC)
        rid = view.receipt.id
        async with self.ctx.db.write() as tx:
            await tx.advisory_lock(f"inventory:request:{brand.id}:{key}")
            if await ustore.applied(tx, brand.id, key) is not None:
                return  # a retry of a decision applied already
            await ustore.lock_batches(tx, named)
            per_line = await rstore.units(tx, rid)
            awaiting: Units = {}
            for lu in per_line.values():
                awaiting = ur.union(awaiting, lu.awaiting)
            missing = ur.subtract(named, awaiting)
            if missing:
                raise ReturnUnitsState(
                    f"{ur.describe(missing)} not awaiting a decision on {receipt_no}"
                    f" / 这些单品在 {receipt_no} 上不待判定", receipt=receipt_no,
                    units=ur.to_text(missing),
                )  # fmt: skip
            quarantine = await location_in(tx, warehouse, None, LocationKind.QUARANTINE)
            here = [h for h in await ustore.held(tx, brand.id, named)
                    if (h.place.warehouse_id, h.place.location_id)
                    == (warehouse.id, quarantine.id)]  # fmt: skip
            gone = ur.subtract(named, _held_units(here))
            if gone:
                raise StockNotHere(
                    f"{ur.describe(gone)} not in quarantine in {warehouse.code}"
                    f" / 这些码不在 {warehouse.code} 待检区", units=ur.to_text(gone),
                    warehouse=warehouse.code,
                )  # fmt: skip
            decisions = await self._decide_lines(tx, view, per_line, (good_units, bad_units),
                                                 reason, actor, now)  # fmt: skip
            meta = Meta(MovementKind.TRANSFER, actor, receipt_no,
                        reason or "returned goods accepted / 退货合格入库")  # fmt: skip
            ids = await self._transfer(tx, brand.id, warehouse, here, (good_units, bad_units),
                                       batches, meta)  # fmt: skip
            await istore.close_if_done(tx, rid, now)
            good_n, bad_n = ur.count(good_units), ur.count(bad_units)
            await self.inbound._notify(
                tx, keepers, warehouse, view.receipt, "returned units decided", "退货已判定",
                f"+{good_n} stock / 合格入库, {bad_n} rejected / 不合格 ({reason or '-'})",
            )  # fmt: skip
            await ustore.remember(tx, brand.id, key, ids)
            after = await istore.receipt(tx, rid)
            assert after is not None
            await publish_inspected(self.ctx, tx, after, warehouse.code, decisions, actor)

    async def _decide_lines(self, tx: Tx, view: ReceiptView,
                            per_line: dict[int, rstore.LineUnits], decided: tuple[Units, Units],
                            reason: str, actor: str,
                            now: dt.datetime) -> list[dict[str, Any]]:  # fmt: skip
        """Record each line's share of the decision (closing the lines now all decided);
        the ``decisions`` of ``inventory.inspected``."""
        good_units, bad_units = decided
        rid = view.receipt.id
        lines = {x.id: x for x in view.lines}
        decisions = []
        for line_id, lu in sorted(per_line.items(), key=lambda p: lines[p[0]].line_no):
            a = ur.intersect(good_units, lu.awaiting)
            r = ur.intersect(bad_units, lu.awaiting)
            if not a and not r:
                continue
            why = reason if r else ""
            await rstore.insert_decision(tx, rid, line_id, a, r, why, actor, now)
            decisions.append(decision_of(lines[line_id], ur.count(a), ur.count(r), why,
                                         units_out(a), units_out(r)))  # fmt: skip
            if not ur.subtract(lu.awaiting, ur.union(a, r)):  # the line is all decided
                await self._close_line(tx, rid, line_id, ur.count(lu.accepted) + ur.count(a),
                                       ur.count(lu.rejected) + ur.count(r),
                                       [*lu.reasons, *([why] if why else [])], actor,
                                       now)  # fmt: skip
        return decisions

    async def _close_line(self, tx: Tx, rid: int, line_id: int, accepted: int, rejected: int,
                          reasons: list[str], actor: str, now: dt.datetime) -> None:  # fmt: skip
        """A line whose units are all decided: its inspection (totals) and status."""
        kind, status = (
            (DecisionKind.ACCEPT_ALL, LineStatus.ACCEPTED) if not rejected else
            (DecisionKind.REJECT_ALL, LineStatus.REJECTED) if not accepted else
            (DecisionKind.ACCEPT_PART, LineStatus.PARTIAL)
        )  # fmt: skip
        reason = "; ".join(dict.fromkeys(reasons))[:500]
        done = Inspection(line_id, kind, None, None, None, None, None, None, None, None,
                          accepted, rejected, reason, actor, now)  # fmt: skip
        if not await istore.insert_inspection(tx, rid, done):
            raise InboundState("the line was decided already / 该行已处理", line_id=line_id)
        await istore.set_line_status(tx, line_id, status)

    async def _transfer(self, tx: Tx, brand_id: int, warehouse: Warehouse,
                        here: list[ustore.Held], decided: tuple[Units, Units],
                        batches: dict[int, Batch], meta: Meta) -> list[int]:  # fmt: skip
        """Quarantine -> stock / rejected, units and quantities, one post."""
        postings = postings_of(here, -1)
        for units, kind in zip(decided, (LocationKind.STOCK, LocationKind.REJECTED), strict=True):
            if not units:
                continue
            loc = await location_in(tx, warehouse, None, kind)
            rows = placed(units, batches, warehouse.id, loc.id)
            await move_units(tx, brand_id, rows, rows[0].place)
            postings += postings_of(rows, 1)
        return await self.stock.post(tx, brand_id, postings, meta)

    # -- scrapping ---------------------------------------------------------------------
    async def scrap(self, principal: Principal, brand_id: int, receipt_no: str,
                    units: UnitsIn, *, reason: str, client_id: str) -> None:  # fmt: skip
        """Rejected returned units leave stock (see the module docstring)."""
        brand = await self.ctx.brand_by_id(brand_id)
        view, warehouse = await self._return_view(principal, brand, receipt_no, STOCK_MOVE)
        wanted = units_in(units)
        if not wanted:
            raise ur.UnitsInvalid("no units / 未指定单品")
        reason = _text(reason, "reason", 500)
        if not reason:
            raise InboundInvalid("scrapping needs a reason / 报废须填写原因")
        key = f"return-scrap:{_client(client_id)}"
        actor = actor_of(principal)
        async with self.ctx.db.write() as tx:
            await tx.advisory_lock(f"inventory:request:{brand.id}:{key}")
            if await ustore.applied(tx, brand.id, key) is not None:
                return
            await ustore.lock_batches(tx, wanted)
            rejected: Units = {}
            for lu in (await rstore.units(tx, view.receipt.id)).values():
                rejected = ur.union(rejected, lu.rejected)
            bad = await location_in(tx, warehouse, None, LocationKind.REJECTED)
            spot = (warehouse.id, bad.id)
            here = [h for h in await ustore.held(tx, brand.id, wanted)
                    if (h.place.warehouse_id, h.place.location_id) == spot]  # fmt: skip
            missing = ur.union(ur.subtract(wanted, rejected),
                               ur.subtract(wanted, _held_units(here)))  # fmt: skip
            if missing:
                raise ReturnUnitsState(
                    f"{ur.describe(missing)} not rejected and in {warehouse.code}'s rejected"
                    f" location / 这些单品不在不合格区", receipt=receipt_no,
                    units=ur.to_text(missing),
                )  # fmt: skip
            await move_units(tx, brand.id, here, None)
            ids = await self.stock.post(tx, brand.id, postings_of(here, -1),
                                        Meta(MovementKind.ADJUSTMENT, actor, receipt_no,
                                             reason))  # fmt: skip
            await ustore.remember(tx, brand.id, key, ids)
