"""Stock by quantity: receive, issue, transfer and adjust through the ledger
(:func:`veriseal_inventory.ledger.post`), and the read side (levels, balances,
movements), each with its permission check over the warehouse.

An issue without a lot or location takes from the warehouse's stock locations, oldest
lot first (lots sort by their text: production lots carry their date), then by
location. The allocation is read before the post's row locks; if a concurrent post took
the stock meanwhile, the ledger's check under the locks refuses (``stock_insufficient``)
and nothing is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from veriseal import Brand, Principal
from veriseal.extend import PluginContext, Tx
from veriseal_inventory import ledger, stock_store
from veriseal_inventory import warehouse_store as wstore
from veriseal_inventory.errors import StockInsufficient, StockInvalid
from veriseal_inventory.models import (
    Balance,
    Level,
    LocationKind,
    Meta,
    Movement,
    MovementKind,
    Posting,
    StockLine,
    Warehouse,
)
from veriseal_inventory.permissions import STOCK_MOVE, STOCK_VIEW
from veriseal_inventory.stock_facts import publish_posted
from veriseal_inventory.stock_store import MovementQuery
from veriseal_inventory.warehouses import WarehouseService, location_in

MAX_LINES = 500


def actor_of(principal: Principal) -> str:
    """How movements name who acted."""
    return "system" if principal.user is None else f"user:{principal.user.id}"


@dataclass(frozen=True)
class MoveRequest:
    """What a user's movement by quantity says besides its lines."""

    document: str = ""
    reason: str = ""
    at: dt.datetime | None = None
    client_id: str | None = None
    location: str | None = None  # a code or id; default: main stock (issue: allocate)


def parse_line(text: str) -> StockLine:
    """``GTIN:QTY`` or ``GTIN:QTY:LOT`` (the CLI's and forms' line format)."""
    parts = [p.strip() for p in text.split(":")]
    qty = parts[1].lstrip("-") if len(parts) in (2, 3) else ""
    if not (qty.isascii() and qty.isdigit()) or len(parts[1]) > 13:
        raise StockInvalid(f"{text!r}: a line is GTIN:QTY or GTIN:QTY:LOT", line=text[:60])
    return StockLine(parts[0], int(parts[1]), parts[2] if len(parts) == 3 else "")


def checked_lines(lines: Sequence[StockLine], *, signed: bool = False) -> list[StockLine]:
    if not lines or len(lines) > MAX_LINES:
        raise StockInvalid(f"a movement has 1 to {MAX_LINES} lines")
    for line in lines:
        if line.quantity == 0 or (line.quantity < 0 and not signed):
            raise StockInvalid(f"{line.gtin}: a quantity is a positive whole number",
                               gtin=line.gtin)  # fmt: skip
    return list(lines)


@dataclass
class StockService:
    ctx: PluginContext
    warehouses: WarehouseService
    #: run in every post's transaction (see :data:`veriseal_inventory.ledger.Listener`)
    listeners: list[ledger.Listener] = field(default_factory=list)

    @property
    def rules(self) -> ledger.Rules:
        hours = self.ctx.config.get("backdate_hours", 72)
        if not isinstance(hours, int | float) or hours < 0:
            raise StockInvalid("[plugins.inventory] backdate_hours is a number of hours >= 0")
        return ledger.Rules(backdate=dt.timedelta(hours=hours))

    async def post(self, tx: Tx, brand_id: int, postings: Sequence[Posting], meta: Meta,
                   *, check_available: bool = True) -> list[int]:  # fmt: skip
        """:func:`ledger.post` with this installation's rules and listeners; a new post
        that changes on-hand stock publishes ``inventory.posted`` in ``tx``."""
        rules = ledger.Rules(self.rules.backdate, check_available)
        return await ledger.post(tx, brand_id, postings, meta, rules=rules,
                                 listeners=self.listeners, announce=self._announce)  # fmt: skip

    async def _announce(self, tx: Tx, posted: ledger.Posted) -> None:
        """Every new stock post on the event stream (``inventory.posted``)."""
        await publish_posted(self.ctx, tx, posted)

    def _meta(self, kind: MovementKind, principal: Principal, r: MoveRequest) -> Meta:
        if len(r.document) > 64 or len(r.reason) > 500 or len(r.client_id or "") > 64:
            raise StockInvalid("a document has at most 64 characters, a reason 500")
        return Meta(kind, actor_of(principal), r.document.strip(), r.reason.strip(), r.at,
                    r.client_id)  # fmt: skip

    # -- movements by quantity ----------------------------------------------------------
    async def receive(self, principal: Principal, warehouse: Warehouse,
                      lines: Sequence[StockLine], r: MoveRequest = MoveRequest(),
                      kind: MovementKind = MovementKind.INBOUND) -> list[int]:  # fmt: skip
        """Goods in, into ``r.location`` (default: the main stock location)."""
        await self.warehouses.require(principal, STOCK_MOVE, warehouse)
        lines = checked_lines(lines)
        meta = self._meta(kind, principal, r)
        async with self.ctx.db.write() as tx:
            loc = await location_in(tx, warehouse, r.location)
            postings = [Posting(warehouse.id, loc.id, ln.gtin, ln.lot, ln.quantity)
                        for ln in lines]  # fmt: skip
            return await self.post(tx, warehouse.brand_id, postings, meta)

    async def issue(self, principal: Principal, warehouse: Warehouse,
                    lines: Sequence[StockLine],
                    r: MoveRequest = MoveRequest()) -> list[int]:  # fmt: skip
        """Goods out (see the module docstring for where they are taken from)."""
        await self.warehouses.require(principal, STOCK_MOVE, warehouse)
        lines = checked_lines(lines)
        meta = self._meta(MovementKind.OUTBOUND, principal, r)
        async with self.ctx.db.write() as tx:
            postings = await self.take(tx, warehouse, lines, r.location)
            return await self.post(tx, warehouse.brand_id, postings, meta)

    async def transfer(self, principal: Principal, source: Warehouse, target: Warehouse,
                       lines: Sequence[StockLine], r: MoveRequest = MoveRequest(),
                       to_location: str | None = None) -> list[int]:  # fmt: skip
        """Goods from one warehouse (or location) to another, in one post: both sides
        commit together or not at all."""
        await self.warehouses.require(principal, STOCK_MOVE, source)
        await self.warehouses.require(principal, STOCK_MOVE, target)
        if source.brand_id != target.brand_id:
            raise StockInvalid("a transfer stays within one brand")
        lines = checked_lines(lines)
        meta = self._meta(MovementKind.TRANSFER, principal, r)
        async with self.ctx.db.write() as tx:
            out = await self.take(tx, source, lines, r.location)
            dest = await location_in(tx, target, to_location)
            into = [Posting(target.id, dest.id, p.gtin, p.lot, -p.quantity) for p in out]
            if any(p.key == q.key for p in out for q in into):
                raise StockInvalid("a transfer goes to another location")
            return await self.post(tx, source.brand_id, [*out, *into], meta)

    async def take(self, tx: Tx, warehouse: Warehouse, lines: Sequence[StockLine],
                   location: str | None = None) -> list[Posting]:  # fmt: skip
        """Negative postings taking ``lines`` from ``location`` (else every stock
        location, oldest lot first); ``stock_insufficient`` when there is not enough."""
        found = await stock_store.balances(tx, warehouse.id)
        kinds = {loc.id: loc for loc in await wstore.locations(tx, warehouse.id)}
        fixed = None if location is None else (await location_in(tx, warehouse, location)).id
        out: list[Posting] = []
        for line in lines:
            need = line.quantity
            pool = sorted(
                (b for b in found if b.gtin == line.gtin and b.on_hand > 0
                 and (b.lot == line.lot or not line.lot)
                 and (b.location_id == fixed if fixed is not None
                      else kinds[b.location_id].kind is LocationKind.STOCK)),
                key=lambda b: (b.lot, b.location_id),
            )  # fmt: skip
            for b in pool:
                n = min(need, b.on_hand)
                out.append(Posting(warehouse.id, b.location_id, b.gtin, b.lot, -n))
                need -= n
                if need == 0:
                    break
            if need:
                have = line.quantity - need
                raise StockInsufficient(
                    f"only {have} of {line.gtin} lot {line.lot or '-'} in {warehouse.code},"
                    f" {line.quantity} asked / {warehouse.code} 库存不足：现有 {have}，"
                    f"需要 {line.quantity}",
                    gtin=line.gtin, lot=line.lot, warehouse=warehouse.code, have=have,
                    need=line.quantity,
                )  # fmt: skip
        return out

    # -- the read side ------------------------------------------------------------------
    async def levels(self, principal: Principal, brand: Brand, *, gtin: str | None = None,
                     warehouse: Warehouse | None = None) -> list[Level]:  # fmt: skip
        """Levels in the warehouses ``principal`` may see (or of one warehouse)."""
        if warehouse is not None:
            await self.warehouses.require(principal, STOCK_VIEW, warehouse)
            ids = [warehouse.id]
        else:
            ids = [w.id for w in await self.warehouses.in_scope(principal, brand)]
        async with self.ctx.db.read() as tx:
            return await stock_store.levels(tx, brand.id, ids, gtin)

    async def balances(self, principal: Principal, warehouse: Warehouse,
                       gtin: str | None = None) -> list[Balance]:  # fmt: skip
        await self.warehouses.require(principal, STOCK_VIEW, warehouse)
        async with self.ctx.db.read() as tx:
            return await stock_store.balances(tx, warehouse.id, gtin)

    async def movements(self, principal: Principal, brand: Brand, q: MovementQuery
                        ) -> list[Movement]:  # fmt: skip
        """Newest first, within the warehouses ``principal`` may see."""
        visible = [w.id for w in await self.warehouses.in_scope(principal, brand)]
        wanted = visible if q.warehouse_ids is None else [
            i for i in q.warehouse_ids if i in visible]  # fmt: skip
        query = MovementQuery(wanted, q.gtin, q.document, q.before_id, max(1, min(q.limit, 1000)))
        async with self.ctx.db.read() as tx:
            return await stock_store.movements(tx, brand.id, query)

    async def product_levels(self, brand_id: int, gtin: str) -> list[Level]:
        """One product across every warehouse of the brand (no permission check: for
        services and the benchmark)."""
        async with self.ctx.db.read() as tx:
            return await stock_store.product_levels(tx, brand_id, gtin)
