"""Code-tracked stock: goods received and issued by scanning their codes, so stock knows
exactly which units it holds (``Inventory.units``).

Scanned entries are item codes and case / pallet SSCCs (expanded to their items through
the packaging hierarchy); every item must be a genuine code of the brand (resolution
errors are 4xx, nothing written). The units in stock are ranges per batch
(:mod:`.unit_ranges`, :mod:`.units_store`); each receipt or issue also posts the matching
quantities through the stock ledger (one movement per product and lot and location), in
the same transaction, so quantity and codes agree.

Contracts:

- **A unit is in stock in one place at most.** Receiving a unit that is in stock anywhere
  (this warehouse or another) refuses the whole receipt with ``stock_duplicate_code``
  (409; details name the units and the warehouses holding them), and records a
  ``duplicate_code`` alert with a ``stock_alert`` notice to the keepers of both
  warehouses, in a transaction of its own: the alert survives the refusal.
- **Issue only what is here.** Issuing units that are not all in stock in that warehouse
  is refused with ``stock_not_here`` naming them; nothing is written.
- **Retries.** A ``client_id`` applied before replays its movements (nothing written).

The event-stream side (units moving with territories' shipments) is
:mod:`.unit_events`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from veriseal import Batch, Brand, Conflict, IndexRange, NotFound, Principal, register_messages
from veriseal.extend import PluginContext, Tx
from veriseal_inventory import unit_ranges as ur
from veriseal_inventory import units_store as store
from veriseal_inventory import warehouse_store as wstore
from veriseal_inventory.errors import StockInvalid
from veriseal_inventory.models import Meta, MovementKind, Posting, Warehouse
from veriseal_inventory.permissions import STOCK_MANAGE, STOCK_MOVE, STOCK_VIEW
from veriseal_inventory.stock import StockService, actor_of
from veriseal_inventory.unit_alerts import CodeAlerts
from veriseal_inventory.warehouses import WarehouseService, location_in

register_messages(
    {
        "error.stock_duplicate_code": (
            "These codes are in stock elsewhere already (a copied label?)",
            "这些码已在其他位置入库（疑似复制标签）",
        ),
        "error.stock_not_here": (
            "These codes are not in stock in this warehouse",
            "这些码不在该仓库库存中",
        ),
        "error.stock_alert_not_found": ("No such code alert", "库存码异常不存在"),
    }
)

MAX_ENTRIES = 100_000  # scanned entries per request (a pallet SSCC is one)
ALL_ALERTS = store.AlertQuery()


class StockDuplicateCode(Conflict):
    """Units received that are in stock already. ``details``: ``units`` (compact
    text), ``held`` (warehouse code -> units), ``alerts`` (ids recorded)."""

    code = "stock_duplicate_code"


class StockNotHere(Conflict):
    """Units issued that this warehouse does not hold. ``details``: ``units``."""

    code = "stock_not_here"


class CodeAlertNotFound(NotFound):
    code = "stock_alert_not_found"


@dataclass
class CodeResult:
    """What a scanned receipt or issue did."""

    warehouse: str
    units: int
    ranges: str  # compact text of the units (see unit_ranges.to_text)
    movement_ids: list[int]
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"warehouse": self.warehouse, "units": self.units, "ranges": self.ranges,
                "movements": self.movement_ids, "replayed": self.replayed}  # fmt: skip


@dataclass
class Whereabouts:
    """Where the units of one scanned entry are: ``held`` rows (units text, warehouse
    and location codes; None for a warehouse outside the reader's scope) and the units
    in no stock."""

    units: int
    held: list[dict[str, Any]] = field(default_factory=list)
    not_in_stock: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"units": self.units, "held": self.held, "not_in_stock": self.not_in_stock}


def postings_of(moved: Sequence[store.Held], sign: int) -> list[Posting]:
    """One posting per place (warehouse, location, product, lot) of ``moved``, counting
    its units (``sign`` +1 in, -1 out)."""
    counts: dict[store.Place, int] = {}
    for h in moved:
        counts[h.place] = counts.get(h.place, 0) + h.span.count
    return [Posting(p.warehouse_id, p.location_id, p.gtin, p.lot, sign * n)
            for p, n in sorted(counts.items())]  # fmt: skip


async def move_units(tx: Tx, brand_id: int, moved: Sequence[store.Held],
                     place: store.Place | None) -> None:  # fmt: skip
    """Put the units of ``moved`` at ``place`` (None: out of stock), batch by batch.
    The caller holds the batches' locks (:func:`units_store.lock_batches`)."""
    by_batch: dict[int, list[IndexRange]] = {}
    for h in moved:
        by_batch.setdefault(h.batch_id, []).append(h.span)
    for batch_id, spans in ur.normalise(by_batch).items():
        old = await store.rows_near(tx, brand_id, batch_id, spans)
        target = None
        if place is not None:
            gtin, lot = next((h.place.gtin, h.place.lot) for h in moved if h.batch_id == batch_id)
            target = store.Place(place.warehouse_id, place.location_id, gtin, lot)
        await store.rewrite(tx, brand_id, batch_id, old, spans, target)


def placed(units: ur.Units, batches: dict[int, Batch], warehouse_id: int,
           location_id: int) -> list[store.Held]:  # fmt: skip
    """``units`` as rows at one location (product and lot from each batch)."""
    return [
        store.Held(b, r, store.Place(warehouse_id, location_id, batches[b].gtin, batches[b].lot))
        for b, r in ur.pairs(units)
    ]


class CodeStock:
    def __init__(self, ctx: PluginContext, warehouses: WarehouseService,
                 stock: StockService) -> None:  # fmt: skip
        self.ctx = ctx
        self.warehouses = warehouses
        self.stock = stock

    async def resolve(self, brand: Brand, texts: Sequence[str]) -> dict[int, list[IndexRange]]:
        """Scanned entries -> item ranges by batch, cases and pallets expanded."""
        if len(texts) > MAX_ENTRIES:
            raise StockInvalid(f"at most {MAX_ENTRIES} entries per request")
        children, by_batch = await self.ctx.resolve_items(brand, texts)
        out: dict[int, list[IndexRange]] = {b: list(r) for b, r in by_batch.items()}
        for sscc in children.units:
            inner = await self.ctx.contents(brand, sscc, deep=True)
            if not inner.ranges:
                raise StockInvalid(f"logistic unit {sscc} holds no items (was it packed?)",
                                   sscc=sscc)  # fmt: skip
            for r in inner.ranges:
                out.setdefault(r.batch_id, []).append(IndexRange(r.first, r.last))
        units = ur.normalise(out)
        if not units:
            raise StockInvalid("no codes scanned / 未扫描任何码")
        return units

    async def batches(self, units: ur.Units) -> dict[int, Batch]:
        """Each batch of ``units`` (read before a write transaction opens)."""
        return {b: await self.ctx.batch(b) for b in sorted(units)}

    # -- scanning in and out --------------------------------------------------------------
    async def receive_codes(self, principal: Principal, warehouse: Warehouse,
                            texts: Sequence[str], *, location: str | None = None,
                            document: str = "",
                            client_id: str | None = None) -> CodeResult:  # fmt: skip
        """Scan goods into ``warehouse`` (``location``: a code or id of it; default its
        main stock location). See the module docstring for the refusals."""
        await self.warehouses.require(principal, STOCK_MOVE, warehouse)
        brand = await self.ctx.brand_by_id(warehouse.brand_id)
        units = await self.resolve(brand, texts)
        batches = await self.batches(units)
        meta = _meta(MovementKind.INBOUND, principal, document, client_id)
        async with self.ctx.db.write() as tx:
            replay = await _replay(tx, brand.id, client_id)
            if replay is not None:
                return CodeResult(warehouse.code, ur.count(units), ur.to_text(units), replay, True)
            loc = await location_in(tx, warehouse, location)
            await store.lock_batches(tx, units)
            taken = await store.held(tx, brand.id, units)
            if not taken:
                rows = placed(units, batches, warehouse.id, loc.id)
                await move_units(tx, brand.id, rows, rows[0].place)
                ids = await self.stock.post(tx, brand.id, postings_of(rows, 1), meta)
                await _remember(tx, brand.id, client_id, ids)
                return CodeResult(warehouse.code, ur.count(units), ur.to_text(units), ids)
        # refused: the alert commits on its own, then the refusal is raised
        alerts = CodeAlerts(self.ctx, self.warehouses)
        evidence = {"scanned_by": meta.actor, "entries": len(texts), "document": document,
                    "client_id": client_id}  # fmt: skip
        ids = await alerts.duplicates(brand.id, warehouse, taken, document, evidence)
        held = await _held_text(self.ctx, taken)
        raise StockDuplicateCode(
            f"{ur.describe(_units_of(taken))} in stock already at {', '.join(held)}"
            f" / 这些码已在库：{'；'.join(f'{w} {u}' for w, u in held.items())}",
            units=ur.to_text(_units_of(taken)), held=held, alerts=ids,
        )  # fmt: skip

    async def issue_codes(self, principal: Principal, warehouse: Warehouse,
                          texts: Sequence[str], *, document: str = "",
                          client_id: str | None = None) -> CodeResult:  # fmt: skip
        """Scan goods out of ``warehouse``: every unit must be in stock there."""
        await self.warehouses.require(principal, STOCK_MOVE, warehouse)
        brand = await self.ctx.brand_by_id(warehouse.brand_id)
        units = await self.resolve(brand, texts)
        meta = _meta(MovementKind.OUTBOUND, principal, document, client_id)
        async with self.ctx.db.write() as tx:
            replay = await _replay(tx, brand.id, client_id)
            if replay is not None:
                return CodeResult(warehouse.code, ur.count(units), ur.to_text(units), replay, True)
            await store.lock_batches(tx, units)
            here = [h for h in await store.held(tx, brand.id, units)
                    if h.place.warehouse_id == warehouse.id]  # fmt: skip
            missing = ur.subtract(units, _units_of(here))
            if missing:
                raise StockNotHere(
                    f"{ur.describe(missing)} not in stock in {warehouse.code}"
                    f" / 这些码不在 {warehouse.code} 库存中：{ur.describe(missing)}",
                    units=ur.to_text(missing), warehouse=warehouse.code,
                )  # fmt: skip
            await move_units(tx, brand.id, here, None)
            ids = await self.stock.post(tx, brand.id, postings_of(here, -1), meta)
            await _remember(tx, brand.id, client_id, ids)
        return CodeResult(warehouse.code, ur.count(units), ur.to_text(units), ids)

    # -- the read side -------------------------------------------------------------------
    async def where(self, principal: Principal, brand: Brand, text: str) -> Whereabouts:
        """Where the units of one scanned entry (a code, a case or a pallet) are in
        stock. Warehouses outside the reader's scope are not named."""
        self.ctx.require(principal, STOCK_VIEW, brand_id=brand.id)
        units = await self.resolve(brand, [text])
        visible = {w.id: w for w in await self.warehouses.in_scope(principal, brand)}
        async with self.ctx.db.read() as tx:
            found = await store.held(tx, brand.id, units)
            codes = {}
            for h in found:
                if h.place.warehouse_id in visible:
                    locs = await wstore.locations(tx, h.place.warehouse_id)
                    codes[h.place.location_id] = next(
                        (loc.code for loc in locs if loc.id == h.place.location_id), "?"
                    )
        rows = []
        for h in found:
            w = visible.get(h.place.warehouse_id)
            rows.append({
                "units": ur.to_text({h.batch_id: [h.span]}), "count": h.span.count,
                "gtin": h.place.gtin, "lot": h.place.lot,
                "warehouse": None if w is None else w.code,
                "location": None if w is None else codes.get(h.place.location_id),
            })  # fmt: skip
        rest = ur.subtract(units, _units_of(found))
        return Whereabouts(ur.count(units), rows, ur.to_text(rest))

    async def in_stock(self, principal: Principal, warehouse: Warehouse,
                       limit: int = 1000) -> list[store.Held]:  # fmt: skip
        """The code-tracked rows of a warehouse."""
        await self.warehouses.require(principal, STOCK_VIEW, warehouse)
        async with self.ctx.db.read() as tx:
            return await store.of_warehouse(tx, warehouse.id, limit)

    async def alerts(self, principal: Principal, brand: Brand,
                     q: store.AlertQuery = ALL_ALERTS) -> list[store.CodeAlert]:  # fmt: skip
        """Code alerts, newest first: brand staff see the brand's, a dealer those naming
        a warehouse of its subtree."""
        visible = [w.id for w in await self.warehouses.in_scope(principal, brand)]
        ids = q.warehouse_ids
        if principal.org is not None and principal.org.brand_id == brand.id:
            root = await self.ctx.brand_org(brand)
            if principal.org.id != root.id:  # a dealer: its own warehouses only
                ids = [i for i in (ids if ids is not None else visible) if i in visible]
        query = store.AlertQuery(ids, q.status, q.kind, q.before_id, max(1, min(q.limit, 500)))
        async with self.ctx.db.read() as tx:
            return await store.alerts(tx, brand.id, query)

    async def close_alert(self, principal: Principal, brand: Brand, alert_id: int,
                          note: str) -> store.CodeAlert:  # fmt: skip
        """Close an alert with what was found (``stock.manage`` on a warehouse it names;
        a brand-wide alert needs brand staff)."""
        self.ctx.require(principal, STOCK_MANAGE, brand_id=brand.id)  # the role, first
        note = note.strip()
        if not note or len(note) > 500:
            raise StockInvalid("say what was found (1 to 500 characters)")
        async with self.ctx.db.read() as tx:
            found = await store.alert(tx, brand.id, alert_id)
        if found is None:
            raise CodeAlertNotFound(f"no code alert {alert_id}", alert=alert_id)
        place = found.warehouse_id or found.held_warehouse_id
        if place is not None:
            await self.warehouses.require(principal, STOCK_MANAGE, await self.warehouses.get(place))
        else:
            self.ctx.require(principal, STOCK_MANAGE, brand_id=brand.id)
        evidence = {**found.evidence, "closed_by": actor_of(principal), "closing_note": note}
        async with self.ctx.db.write() as tx:
            await store.close_alert(tx, alert_id, evidence)
            closed = await store.alert(tx, brand.id, alert_id)
        assert closed is not None
        return closed


def _units_of(rows: Sequence[store.Held]) -> dict[int, list[IndexRange]]:
    return ur.of_pairs((h.batch_id, h.span) for h in rows)


async def _held_text(ctx: PluginContext, rows: Sequence[store.Held]) -> dict[str, str]:
    """Warehouse code -> the units of ``rows`` it holds."""
    by_w: dict[int, list[store.Held]] = {}
    for h in rows:
        by_w.setdefault(h.place.warehouse_id, []).append(h)
    out: dict[str, str] = {}
    async with ctx.db.read() as tx:
        for wid, found in sorted(by_w.items()):
            w = await wstore.get(tx, wid)
            out[w.code if w else str(wid)] = ur.describe(_units_of(found))
    return out


def _meta(kind: MovementKind, principal: Principal, document: str,
          client_id: str | None) -> Meta:  # fmt: skip
    document = document.strip()
    if len(document) > 64 or (client_id is not None and not 0 < len(client_id) <= 64):
        raise StockInvalid("a document has at most 64 characters, a client id 1 to 64")
    return Meta(kind, actor_of(principal), document, "scanned", None, client_id)


async def _replay(tx: Tx, brand_id: int, client_id: str | None) -> list[int] | None:
    """The movements of ``client_id``'s request if it was applied; holds its lock so a
    concurrent retry waits for the first to commit."""
    if client_id is None:
        return None
    key = f"codes:{client_id}"
    await tx.advisory_lock(f"inventory:request:{brand_id}:{key}")
    return await store.applied(tx, brand_id, key)


async def _remember(tx: Tx, brand_id: int, client_id: str | None, ids: Sequence[int]) -> None:
    if client_id is not None:
        await store.remember(tx, brand_id, f"codes:{client_id}", ids)
