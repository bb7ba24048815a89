"""Safety stock and low-stock alerts (``Inventory.alerts``): settings per product, for
one warehouse or as the brand's default, and the alert state kept by the ledger's
``after_post`` listener.

Contracts:

- a setting for a warehouse overrides the brand's default of the product for that
  warehouse; setting a warehouse's row needs ``stock.manage`` over that warehouse, the
  brand's default needs it over the brand's own organisation (brand staff: a dealer
  never sets what applies to every warehouse);
- :meth:`AlertService.after_post` runs in every post's transaction with the touched
  (warehouse, product) pairs and applies :mod:`.thresholds`: an alert opens when the
  available level falls below the safety stock and closes when it is back at the
  closing line, recorded in that transaction (a refused or rolled-back movement leaves
  no alert); it reads only the plugin's own rows, never the core (a lookup inside an
  open write transaction waits for a second pooled connection: under concurrent posts
  every connection can end up waiting);
- ONE ``stock_low`` notice per opening and one per closing goes to the warehouse's
  keepers after the commit (:mod:`.alert_notices`, the ``inventory.low_stock`` periodic
  task), exactly once; many movements below the line send nothing more;
- saving or clearing a setting evaluates the product's levels at once, in the same
  transaction (raising a safety stock above the stock opens the alert now, not at the
  next movement);
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from veriseal import Brand, Principal
from veriseal.extend import PluginContext, Tx
from veriseal_inventory import alerts_store as store
from veriseal_inventory import stock_store
from veriseal_inventory import warehouse_store as wstore
from veriseal_inventory.alert_notices import send_notices
from veriseal_inventory.alerts_store import LowStock, Opening, Setting
from veriseal_inventory.errors import StockInvalid
from veriseal_inventory.models import Level, Warehouse
from veriseal_inventory.permissions import STOCK_MANAGE, STOCK_VIEW
from veriseal_inventory.replenish import Policy
from veriseal_inventory.stock import actor_of
from veriseal_inventory.thresholds import Thresholds, Transition, step
from veriseal_inventory.warehouses import WarehouseService


@dataclass(frozen=True)
class StockState:
    """One row of the stock overview: the level, the setting that applies (if any) and
    the open alert (if any)."""

    level: Level
    setting: Setting | None
    alert: LowStock | None

    @property
    def state(self) -> str:
        """``low`` (alert open), ``reorder`` (at or below the reorder point), ``ok``,
        or ``unset`` (no setting)."""
        if self.alert is not None:
            return "low"
        if self.setting is None:
            return "unset"
        if self.level.available <= self.setting.policy.reorder_point:
            return "reorder"
        return "ok"


class AlertService:
    def __init__(self, ctx: PluginContext, warehouses: WarehouseService) -> None:
        self.ctx = ctx
        self.warehouses = warehouses

    # -- settings ----------------------------------------------------------------------
    async def _require_manage(self, principal: Principal, brand: Brand,
                              warehouse: Warehouse | None) -> None:  # fmt: skip
        if warehouse is not None:
            if warehouse.brand_id != brand.id:
                raise StockInvalid("the warehouse belongs to another brand")
            await self.warehouses.require(principal, STOCK_MANAGE, warehouse)
            return
        root = await self.ctx.brand_org(brand)
        self.ctx.require(principal, STOCK_MANAGE, brand_id=brand.id, org=root)

    async def save(self, principal: Principal, brand: Brand, gtin: str, policy: Policy,
                   warehouse: Warehouse | None = None) -> Setting:  # fmt: skip
        """Set the product's policy for ``warehouse`` (None: the brand's default)."""
        await self._require_manage(principal, brand, warehouse)
        await self.ctx.product(brand, gtin)  # product_not_found for another brand's
        wid = None if warehouse is None else warehouse.id
        setting = Setting(brand.id, wid, gtin, policy)
        now = dt.datetime.now(dt.UTC)
        async with self.ctx.db.write() as tx:
            new_id = await store.save_setting(tx, setting, now, actor_of(principal))
            await self.evaluate(tx, brand.id, await self._keys(tx, brand.id, gtin, wid))
        return Setting(brand.id, wid, gtin, policy, now, actor_of(principal), new_id)

    async def clear(self, principal: Principal, brand: Brand, gtin: str,
                    warehouse: Warehouse | None = None) -> bool:  # fmt: skip
        """Remove the product's row for ``warehouse`` (None: the default); whether
        there was one. Alerts that no setting supports any more close."""
        await self._require_manage(principal, brand, warehouse)
        wid = None if warehouse is None else warehouse.id
        async with self.ctx.db.write() as tx:
            gone = await store.delete_setting(tx, brand.id, wid, gtin)
            await self.evaluate(tx, brand.id, await self._keys(tx, brand.id, gtin, wid))
        return gone

    async def settings(self, principal: Principal, brand: Brand, *, gtin: str | None = None,
                       warehouse: Warehouse | None = None) -> list[Setting]:  # fmt: skip
        """The rows ``principal`` may see: the brand's defaults and the rows of the
        warehouses in scope (of one warehouse: its rows and the defaults)."""
        visible = {w.id for w in await self.warehouses.in_scope(principal, brand)}
        if warehouse is not None:
            await self.warehouses.require(principal, STOCK_VIEW, warehouse)
        async with self.ctx.db.read() as tx:
            found = await store.settings(
                tx, brand.id, gtin=gtin, warehouse_id=None if warehouse is None else warehouse.id
            )
        return [s for s in found if s.warehouse_id is None or s.warehouse_id in visible]

    async def _keys(self, tx: Tx, brand_id: int, gtin: str, warehouse_id: int | None
                    ) -> set[tuple[int, str]]:  # fmt: skip
        """The (warehouse, gtin) pairs a setting row may apply to, that have stock
        records or open alerts."""
        if warehouse_id is not None:
            return {(warehouse_id, gtin)}
        ids = [w.id for w in await wstore.of_brand(tx, brand_id)]
        return {(lv.warehouse_id, gtin) for lv in await stock_store.levels(tx, brand_id, ids, gtin)}

    # -- the listener ------------------------------------------------------------------
    async def after_post(self, tx: Tx, brand_id: int, touched: frozenset[tuple[int, str]]
                         ) -> None:  # fmt: skip
        """The ledger's listener: re-evaluate the touched pairs (module contracts)."""
        await self.evaluate(tx, brand_id, touched)

    async def evaluate(self, tx: Tx, brand_id: int, keys: Iterable[tuple[int, str]]) -> None:
        """Open or close the alerts of ``keys`` from their current levels, in ``tx``."""
        keys = set(keys)
        if not keys:
            return
        settings = await store.effective(tx, brand_id, keys)
        open_now = await store.open_alerts(tx, keys, lock=True)
        relevant = sorted(set(settings) | set(open_now))
        if not relevant:
            return  # the common case: products without a safety stock
        levels = await _levels(tx, brand_id, relevant)
        now = dt.datetime.now(dt.UTC)
        for key in relevant:
            s = settings.get(key)
            p = s.policy if s else Policy()
            lines = Thresholds(p.safety_stock, p.reorder_point)
            available = levels[key].available if key in levels else 0
            change = step(key in open_now, available, lines)
            if change is Transition.OPENED:
                opening = Opening(brand_id, key[0], key[1], lines.safety_stock, lines.close_at,
                                  available)  # fmt: skip
                await store.open_alert(tx, opening, now)
            elif change is Transition.CLOSED:
                await store.close_alert(tx, open_now[key].id, now, available)

    async def send_notices(self, limit: int = 100) -> int:
        """Send the notices of alerts opened or closed since the last round (the
        ``inventory.low_stock`` periodic task); how many went out."""
        return await send_notices(self.ctx, self.warehouses, limit)

    # -- reading -----------------------------------------------------------------------
    async def alerts(self, principal: Principal, brand: Brand, *, open_only: bool = False,
                     warehouse: Warehouse | None = None,
                     limit: int = 500) -> list[LowStock]:  # fmt: skip
        """Alerts of the warehouses in scope (or one), newest first."""
        ids = await self._visible(principal, brand, warehouse)
        async with self.ctx.db.read() as tx:
            return await store.alerts(tx, brand.id, warehouse_ids=ids, open_only=open_only,
                                      limit=max(1, min(limit, 1000)))  # fmt: skip

    async def overview(self, principal: Principal, brand: Brand, *, gtin: str | None = None,
                       warehouse: Warehouse | None = None) -> list[StockState]:  # fmt: skip
        """Each level in scope with its setting and open alert (the stock overview)."""
        ids = await self._visible(principal, brand, warehouse)
        async with self.ctx.db.read() as tx:
            levels = await stock_store.levels(tx, brand.id, ids, gtin)
            keys = [(lv.warehouse_id, lv.gtin) for lv in levels]
            settings = await store.effective(tx, brand.id, keys)
            open_now = await store.open_alerts(tx, keys)
        return [StockState(lv, settings.get(k), open_now.get(k))
                for lv, k in zip(levels, keys, strict=True)]  # fmt: skip

    async def _visible(self, principal: Principal, brand: Brand,
                       warehouse: Warehouse | None) -> list[int]:  # fmt: skip
        if warehouse is not None:
            await self.warehouses.require(principal, STOCK_VIEW, warehouse)
            return [warehouse.id]
        return [w.id for w in await self.warehouses.in_scope(principal, brand)]


async def _levels(tx: Tx, brand_id: int, keys: Sequence[tuple[int, str]]
                  ) -> dict[tuple[int, str], Level]:  # fmt: skip
    """The levels of ``keys`` (one indexed read each: a post touches few pairs)."""
    out: dict[tuple[int, str], Level] = {}
    for wid, gtin in keys:
        for lv in await stock_store.levels(tx, brand_id, [wid], gtin):
            out[(wid, gtin)] = lv
    return out
