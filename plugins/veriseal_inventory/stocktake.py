"""Stocktakes (盘点): count a warehouse, propose the variance, apply it only when a
second person approves (``Inventory.counts``).

Contracts:

- :meth:`Counts.open` freezes the expected on-hand of every line (location, GTIN, lot)
  in scope from the balances, under the warehouse's level locks (every post takes those
  first), and records the last movement id; one active count per warehouse
  (``stocktake_active``: two counts of one shelf would adjust it twice);
- :meth:`Counts.count` records counted figures (0 is a count); :meth:`Counts.count_codes`
  counts scanned codes (items, or cases and pallets by their contents), one unit once
  per count, per GTIN and lot. Each figure keeps the ledger's on-hand of its line at
  that moment, so movements posted during the count are accounted once (see
  :mod:`.variance`) and the lines they touched are flagged outdated;
- :meth:`Counts.submit` proposes the variance with a reason; :meth:`Counts.approve` by a
  different person holding ``stock.approve`` (``stocktake_same_person`` otherwise) posts
  one ``adjustment`` movement per counted difference through the ledger, in the same
  transaction as the decision; lines never counted are never adjusted, so a count with
  nothing counted changes nothing; :meth:`Counts.reject` sends it back for a recount;
- a blind count hides every expected quantity from its readers while it is counted,
  and from anyone without ``stock.approve`` always (:attr:`StocktakeView.expected_visible`);
- notices (``stock_review``): to the approvers on submit, to the proposer on a decision,
  accepted in the transaction of the change they report.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from veriseal import SYSTEM_PRINCIPAL, Action, Brand, Principal
from veriseal.extend import PluginContext, Tx
from veriseal_inventory import stocktake_store as store
from veriseal_inventory import warehouse_store as wstore
from veriseal_inventory.count_states import COUNTABLE, CountAction, CountStatus, next_status
from veriseal_inventory.models import Meta, MovementKind, Posting, Warehouse
from veriseal_inventory.permissions import (
    PERMISSIONS,
    STOCK_APPROVE,
    STOCK_COUNT,
)
from veriseal_inventory.stock import StockService, actor_of
from veriseal_inventory.stocktake_codes import units_of
from veriseal_inventory.stocktake_errors import (
    StocktakeActive,
    StocktakeInvalid,
    StocktakeNotFound,
    StocktakeSamePerson,
)
from veriseal_inventory.stocktake_input import (
    CountScope,
    checked_reason,
    location_id,
    resolve_lines,
)
from veriseal_inventory.stocktake_models import (
    CountLine,
    CountMode,
    Stocktake,
    StocktakeView,
)
from veriseal_inventory.stocktake_notices import Notice, notice
from veriseal_inventory.variance import Counted, LineKey, VarianceReport, adjustments, compute
from veriseal_inventory.warehouses import WarehouseService

S = CountStatus


@dataclass(frozen=True)
class CodeCount:
    """What a scan upload did: units new to the count, units scanned before."""

    added: int
    repeated: int
    view: StocktakeView


@dataclass
class Counts:
    ctx: PluginContext
    warehouses: WarehouseService
    stock: StockService

    # -- open --------------------------------------------------------------------------
    async def open(self, principal: Principal, warehouse: Warehouse, *,
                   mode: CountMode = CountMode.SYSTEM, blind: bool = False,
                   locations: Sequence[str] | None = None,
                   gtins: Sequence[str] | None = None) -> Stocktake:  # fmt: skip
        """A new count of ``warehouse`` (or of some locations / products)."""
        await self.warehouses.require(principal, STOCK_COUNT, warehouse)
        scope = await CountScope.of(self.ctx, warehouse, locations or (), gtins or ())
        async with self.ctx.db.write() as tx:
            await store.lock_levels(tx, warehouse.id)
            watermark = await store.last_movement(tx)
            frozen = {k: q for k, q in (await store.on_hand(tx, warehouse.id)).items()
                      if scope.covers(k)}  # fmt: skip
            new_id = await store.insert(tx, warehouse, CountMode(mode), blind, scope,
                                        watermark, actor_of(principal))  # fmt: skip
            if new_id is None:
                raise StocktakeActive(
                    f"warehouse {warehouse.code} is being counted already",
                    warehouse=warehouse.code,
                )
            await store.insert_lines(tx, new_id, frozen)
            found = await store.get(tx, new_id)
        assert found is not None
        return found

    # -- reading -----------------------------------------------------------------------
    async def load(self, brand: Brand, stocktake_id: int) -> tuple[Stocktake, Warehouse]:
        """A count of ``brand`` and its warehouse (``stocktake_not_found``)."""
        async with self.ctx.db.read() as tx:
            found = await store.get(tx, stocktake_id)
        if found is None or found.brand_id != brand.id:
            raise StocktakeNotFound(f"no stocktake {stocktake_id}", stocktake=stocktake_id)
        return found, await self.warehouses.get(found.warehouse_id)

    async def _load(self, principal: Principal, brand: Brand, stocktake_id: int,
                    action: Action) -> tuple[Stocktake, Warehouse]:  # fmt: skip
        """:meth:`load` for ``principal`` doing ``action``: the role is checked first, so
        who may not act learns nothing of which counts exist; then the warehouse's scope."""
        self.ctx.require(principal, action, brand_id=brand.id)
        st, w = await self.load(brand, stocktake_id)
        await self.warehouses.require(principal, action, w)
        return st, w

    async def show(self, principal: Principal, brand: Brand, stocktake_id: int) -> StocktakeView:
        st, _ = await self._load(principal, brand, stocktake_id, STOCK_COUNT)
        async with self.ctx.db.read() as tx:
            return await self._view(tx, principal, st)

    async def listed(self, principal: Principal, brand: Brand, *,
                     warehouse: Warehouse | None = None, status: CountStatus | None = None,
                     limit: int = 100) -> list[Stocktake]:  # fmt: skip
        """Newest first, in the warehouses ``principal`` may count."""
        self.ctx.require(principal, STOCK_COUNT, brand_id=brand.id)
        if warehouse is not None:
            await self.warehouses.require(principal, STOCK_COUNT, warehouse)
            ids = [warehouse.id]
        else:
            ids = [w.id for w in await self.warehouses.in_scope(principal, brand)]
        async with self.ctx.db.read() as tx:
            return await store.listed(tx, brand.id, ids, status, max(1, min(limit, 500)))

    async def _report(self, tx: Tx, st: Stocktake) -> VarianceReport:
        rows = await store.lines(tx, st.id)
        scope = CountScope(st.location_ids, st.gtins)
        now = {k: q for k, q in (await store.on_hand(tx, st.warehouse_id)).items()
               if scope.covers(k)}  # fmt: skip
        moved = {k for k in await store.moved_since(tx, st.warehouse_id, st.watermark)
                 if scope.covers(k)}  # fmt: skip
        frozen = {LineKey(r.location_id, r.gtin, r.lot): r.frozen for r in rows}
        counts = {
            LineKey(r.location_id, r.gtin, r.lot): Counted(r.counted, r.expected_at_count)
            for r in rows
            if r.counted is not None and r.expected_at_count is not None
        }
        return compute(frozen, now, moved, counts, st.unit_costs)

    async def _view(self, tx: Tx, principal: Principal, st: Stocktake) -> StocktakeView:
        rows = await store.lines(tx, st.id)
        locations = {loc.id: loc.code for loc in await wstore.locations(tx, st.warehouse_id)}
        visible = not st.blind or (
            st.status not in COUNTABLE and self.ctx.allowed(principal, STOCK_APPROVE)
        )
        return StocktakeView(st, await self._report(tx, st),
                             {(r.location_id, r.gtin, r.lot): r for r in rows}, locations,
                             visible)  # fmt: skip

    # -- counting ----------------------------------------------------------------------
    async def _counting(self, principal: Principal, brand: Brand, stocktake_id: int
                        ) -> tuple[Stocktake, Warehouse]:  # fmt: skip
        st, w = await self._load(principal, brand, stocktake_id, STOCK_COUNT)
        next_status(st.status, CountAction.COUNT)  # refused early: nothing resolved
        return st, w

    async def _record(self, tx: Tx, st: Stocktake) -> Stocktake:
        """The count locked and moved to ``counting`` (from open or rejected)."""
        locked = await self._locked(tx, st.id, CountAction.COUNT)
        after = next_status(locked.status, CountAction.COUNT)
        if locked.status is not after:
            await store.transition(tx, st.id, locked.status, after)
        return locked

    async def count(self, principal: Principal, brand: Brand, stocktake_id: int,
                    lines: Sequence[CountLine]) -> StocktakeView:  # fmt: skip
        """Record counted quantities; a line counted again keeps the latest figure. No
        lines: only start the counting (``open`` -> ``counting``)."""
        st, w = await self._counting(principal, brand, stocktake_id)
        products = {p.gtin for p in await self.ctx.products(brand)}
        actor = actor_of(principal)
        async with self.ctx.db.write() as tx:
            await self._record(tx, st)
            resolved = await resolve_lines(tx, w, st, lines, products)
            for key, qty in resolved.items():
                expected = await store.on_hand_of(tx, w.id, key)
                await store.set_count(tx, st.id, key, qty, expected, "quantity", actor)
            fresh = await store.get(tx, st.id)
            assert fresh is not None
            return await self._view(tx, principal, fresh)

    async def count_codes(self, principal: Principal, brand: Brand, stocktake_id: int,
                          texts: Sequence[str],
                          location: str | None = None) -> CodeCount:  # fmt: skip
        """Count scanned codes at ``location``: item codes, and cases or pallets (SSCC)
        by what they hold; ``item_unknown`` (nothing written) for a code not the brand's."""
        st, w = await self._counting(principal, brand, stocktake_id)
        units = await units_of(self.ctx, brand, texts)
        actor = actor_of(principal)
        async with self.ctx.db.write() as tx:
            await self._record(tx, st)
            loc = await location_id(tx, w, st, location)
            scope = CountScope(st.location_ids, st.gtins)
            keyed = [(b, i, LineKey(loc, gtin, lot)) for b, i, gtin, lot in units]
            for _, _, key in keyed:
                if not scope.covers(key):
                    raise StocktakeInvalid(f"{key.gtin} is not in this count's scope",
                                           gtin=key.gtin)  # fmt: skip
            added = await store.add_codes(tx, st.id, keyed)
            counted = await store.code_counts(tx, st.id, {k for _, _, k in keyed})
            for key, qty in counted.items():
                expected = await store.on_hand_of(tx, w.id, key)
                await store.set_count(tx, st.id, key, qty, expected, "codes", actor)
            fresh = await store.get(tx, st.id)
            assert fresh is not None
            view = await self._view(tx, principal, fresh)
        return CodeCount(added, len(units) - added, view)

    # -- the proposal and its decision ---------------------------------------------------
    async def submit(self, principal: Principal, brand: Brand, stocktake_id: int, reason: str,
                     unit_costs: Mapping[str, int] | None = None) -> StocktakeView:  # fmt: skip
        """Propose the variance with a reason (and unit costs in fen, for its value)."""
        st, w = await self._load(principal, brand, stocktake_id, STOCK_COUNT)
        reason = checked_reason(reason)
        costs = _costs(unit_costs or {})
        me = actor_of(principal)
        recipients = [u for u in await approvers(self.ctx, w) if f"user:{u}" != me]
        async with self.ctx.db.write() as tx:
            locked = await self._locked(tx, st.id, CountAction.SUBMIT)
            await store.transition(tx, st.id, locked.status, S.SUBMITTED,
                                   submitted_by=actor_of(principal),
                                   submitted_at=dt.datetime.now(dt.UTC), reason=reason,
                                   unit_costs=_json({**locked.unit_costs, **costs}))  # fmt: skip
            fresh = await self._locked(tx, st.id, None)
            report = await self._report(tx, fresh)
            await notice(self.ctx, tx, recipients, Notice.SUBMITTED, fresh, w, report)
            return await self._view(tx, principal, fresh)

    async def approve(self, principal: Principal, brand: Brand, stocktake_id: int,
                      note: str = "") -> StocktakeView:  # fmt: skip
        """Apply the proposal: one ``adjustment`` movement per counted difference."""
        st, w = await self._load(principal, brand, stocktake_id, STOCK_APPROVE)
        note = checked_reason(note, required=False)
        actor = actor_of(principal)
        async with self.ctx.db.write() as tx:
            locked = await self._locked(tx, st.id, CountAction.APPROVE)
            _not_own(locked, actor)
            report = await self._report(tx, locked)
            postings = [Posting(w.id, a.key.location_id, a.key.gtin, a.key.lot, a.quantity)
                        for a in adjustments(report)]  # fmt: skip
            ids: list[int] = []
            if postings:  # nothing counted differs: nothing to post, nothing zeroed
                meta = Meta(MovementKind.ADJUSTMENT, actor, locked.number, locked.reason[:500],
                            client_id=f"stocktake:{locked.id}")  # fmt: skip
                # a shelf short of what is reserved is still short: no availability check
                ids = await self.stock.post(tx, w.brand_id, postings, meta,
                                            check_available=False)  # fmt: skip
            await store.transition(tx, st.id, S.SUBMITTED, S.APPROVED, decided_by=actor,
                                   decided_at=dt.datetime.now(dt.UTC), decision_note=note,
                                   movements=len(ids))  # fmt: skip
            fresh = await self._locked(tx, st.id, None)
            await notice(self.ctx, tx, _proposer(fresh), Notice.APPROVED, fresh, w, report)
            return await self._view(tx, principal, fresh)

    async def reject(self, principal: Principal, brand: Brand, stocktake_id: int,
                     reason: str) -> StocktakeView:  # fmt: skip
        """Refuse the proposal with a reason; the count goes back for a recount (or close)."""
        st, w = await self._load(principal, brand, stocktake_id, STOCK_APPROVE)
        reason = checked_reason(reason)
        actor = actor_of(principal)
        async with self.ctx.db.write() as tx:
            locked = await self._locked(tx, st.id, CountAction.REJECT)
            _not_own(locked, actor)
            await store.transition(tx, st.id, S.SUBMITTED, S.REJECTED, decided_by=actor,
                                   decided_at=dt.datetime.now(dt.UTC),
                                   decision_note=reason)  # fmt: skip
            fresh = await self._locked(tx, st.id, None)
            report = await self._report(tx, fresh)
            await notice(self.ctx, tx, _proposer(fresh), Notice.REJECTED, fresh, w, report)
            return await self._view(tx, principal, fresh)

    async def end(self, principal: Principal, brand: Brand, stocktake_id: int,
                  action: CountAction) -> Stocktake:  # fmt: skip
        """``cancel`` a count not yet submitted, or ``close`` a rejected one."""
        if action not in (CountAction.CANCEL, CountAction.CLOSE):
            raise StocktakeInvalid("a count ends by cancel or close")
        st, _ = await self._load(principal, brand, stocktake_id, STOCK_COUNT)
        async with self.ctx.db.write() as tx:
            locked = await self._locked(tx, st.id, action)
            await store.transition(tx, st.id, locked.status, next_status(locked.status, action),
                                   decided_by=actor_of(principal),
                                   decided_at=dt.datetime.now(dt.UTC))  # fmt: skip
            return await self._locked(tx, st.id, None)

    async def _locked(self, tx: Tx, stocktake_id: int, action: CountAction | None) -> Stocktake:
        """The count's row locked; ``stocktake_transition`` when ``action`` is not allowed."""
        found = await store.get(tx, stocktake_id, lock=True)
        assert found is not None
        if action is not None:
            next_status(found.status, action)
        return found


def _not_own(st: Stocktake, actor: str) -> None:
    if st.submitted_by == actor:
        raise StocktakeSamePerson(
            f"{st.number} was proposed by you: someone else decides it / 不能审核自己提交的盘点",
            stocktake=st.number,
        )


def _proposer(st: Stocktake) -> list[int]:
    by = st.submitted_by or ""
    return [int(by[5:])] if by.startswith("user:") else []


def _costs(costs: Mapping[str, int]) -> dict[str, int]:
    out = {}
    for gtin, fen in costs.items():
        if not (isinstance(gtin, str) and gtin.isdigit() and len(gtin) == 14):
            raise StocktakeInvalid(f"{gtin!r} is not a 14-digit GTIN", gtin=str(gtin)[:20])
        if isinstance(fen, bool) or not isinstance(fen, int) or not 0 <= fen <= 10**10:
            raise StocktakeInvalid("a unit cost is a whole number of fen from 0", gtin=gtin)
        out[gtin] = fen
    return out


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True)


_APPROVER_ROLES = next(p.roles for p in PERMISSIONS if p.action == STOCK_APPROVE)


async def approvers(ctx: PluginContext, warehouse: Warehouse) -> list[int]:
    """Who may approve a count of ``warehouse``: its organisation's users holding
    ``stock.approve``, and the brand's own staff holding it."""
    brand = await ctx.brand_by_id(warehouse.brand_id)
    root = await ctx.brand_org(brand)
    found: list[int] = []
    for org_id in dict.fromkeys((warehouse.org_id, root.id)):
        users = await ctx.users(SYSTEM_PRINCIPAL, org_id)
        found += [u.id for u in users if u.org_id == org_id and u.role in _APPROVER_ROLES]
    return list(dict.fromkeys(found))
