"""Replenishment suggestions over real stock (``Inventory.planning``): the sales history
of each (warehouse, product) in scope, its policy and level, through the pure
:func:`veriseal_inventory.replenish.suggest`.

Contracts:

- the velocity window is the ``window_days`` x 24 hours before ``now`` (default 28
  days), in 24-hour buckets; a day without sales counts as 0;
- basis ``outbound`` (default): units that left the warehouse to a buyer, i.e. the
  negative quantities of ``outbound`` and ``consume`` movements (transfers between
  warehouses and stocktake adjustments are not sales);
- basis ``scans``: the brand's consumer sell-through of the product, i.e. distinct
  units first verified genuine by a consumer (web or console scan) per day; the same
  series for every warehouse of the product (for the warehouse that supplies the
  market, usually the brand's own);
- ``incoming`` is the warehouse's quarantine quantity (received, awaiting inspection:
  it becomes sellable without a new order);
- a product without a setting is planned with :class:`~.replenish.Policy` defaults (no
  safety stock, no minimum order, review period 7 days, no lead time);
- ``stock.view`` over each warehouse: a dealer plans its own subtree's warehouses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from veriseal import Brand, Principal
from veriseal.extend import PluginContext
from veriseal_inventory import alerts_store as store
from veriseal_inventory import stock_store
from veriseal_inventory.alerts_store import Setting
from veriseal_inventory.errors import StockInvalid
from veriseal_inventory.models import Level, Warehouse
from veriseal_inventory.permissions import STOCK_VIEW
from veriseal_inventory.replenish import (
    DEFAULT_WINDOW_DAYS,
    MAX_DAYS,
    Policy,
    Position,
    Suggestion,
    suggest,
)
from veriseal_inventory.warehouses import WarehouseService

BASES = ("outbound", "scans")
#: scan channels of consumers (a dealer's handheld scan is logistics, not a sale)
_CONSUMER_CHANNELS = frozenset({"web", "console"})
#: the most scans read for one plan (1,000 a page): a bound on a very busy brand
_MAX_SCAN_PAGES = 200
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class PlanRequest:
    warehouse: Warehouse | None = None
    gtin: str | None = None
    window_days: int = DEFAULT_WINDOW_DAYS
    basis: str = "outbound"
    now: dt.datetime | None = None
    only_needed: bool = False


@dataclass(frozen=True)
class PlanRow:
    warehouse: Warehouse
    level: Level
    setting: Setting | None
    basis: str
    suggestion: Suggestion

    def to_dict(self, lang: str = "en") -> dict[str, object]:
        s = self.suggestion
        return {
            "warehouse": self.warehouse.code, "gtin": self.level.gtin, "basis": self.basis,
            "available": s.available, "incoming": s.incoming,
            "window_days": s.window_days, "sold": s.sold,
            "velocity": _text(s.velocity),
            "days_of_cover": None if s.days_of_cover is None else _text(s.days_of_cover),
            "safety_stock": s.policy.safety_stock, "reorder_point": s.policy.reorder_point,
            "reorder_qty": s.policy.reorder_qty, "lead_time_days": s.policy.lead_time_days,
            "review_days": s.policy.review_days, "pack_size": s.policy.pack_size,
            "horizon_demand": s.horizon_demand, "target": s.target, "position": s.position,
            "shortfall": s.shortfall, "quantity": s.quantity,
            "configured": self.setting is not None, "explanation": s.explain(lang),
        }  # fmt: skip


def _text(value: Fraction) -> str:
    """A velocity or cover as exact text with two decimals (JSON has no fractions)."""
    hundredths = round(value * 100)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


class Planning:
    def __init__(self, ctx: PluginContext, warehouses: WarehouseService) -> None:
        self.ctx = ctx
        self.warehouses = warehouses

    async def plan(self, principal: Principal, brand: Brand, r: PlanRequest = PlanRequest()
                   ) -> list[PlanRow]:  # fmt: skip
        """A suggestion per (warehouse, product) in scope with stock records (see the
        module contracts), by warehouse then product."""
        if r.basis not in BASES:
            raise StockInvalid(f"the basis is one of {', '.join(BASES)}")
        if not 1 <= r.window_days <= MAX_DAYS:
            raise StockInvalid(f"the window is 1 to {MAX_DAYS} days")
        if r.warehouse is not None:
            await self.warehouses.require(principal, STOCK_VIEW, r.warehouse)
            scope = [r.warehouse]
        else:
            scope = await self.warehouses.in_scope(principal, brand)
        since = (r.now or dt.datetime.now(dt.UTC)) - r.window_days * _DAY
        by_id = {w.id: w for w in scope}
        async with self.ctx.db.read() as tx:
            levels = await stock_store.levels(tx, brand.id, list(by_id), r.gtin)
            keys = [(lv.warehouse_id, lv.gtin) for lv in levels]
            settings = await store.effective(tx, brand.id, keys)
            sales: dict[tuple[int, str], list[int]] = {}
            if r.basis == "outbound":
                for wid in by_id:
                    gtins = sorted({g for w, g in keys if w == wid})
                    found = await store.outflow(tx, wid, gtins, since)
                    for gtin, events in found.items():
                        sales[(wid, gtin)] = _daily(events, since, r.window_days)
        if r.basis == "scans":
            gtins = sorted({g for _, g in keys})
            per_gtin = await self.consumer_sales(brand, gtins, since, r.window_days)
            sales = {k: per_gtin[k[1]] for k in keys}
        rows = []
        for lv, key in zip(levels, keys, strict=True):
            s = settings.get(key)
            position = Position(available=lv.available, incoming=lv.quarantine,
                                outflow=sales.get(key) or [0] * r.window_days)  # fmt: skip
            suggestion = suggest(s.policy if s else Policy(), position)
            if suggestion.needed or not r.only_needed:
                rows.append(PlanRow(by_id[key[0]], lv, s, r.basis, suggestion))
        return rows

    async def consumer_sales(self, brand: Brand, gtins: Sequence[str], since: dt.datetime,
                             days: int) -> dict[str, list[int]]:  # fmt: skip
        """Per product, units first verified genuine by consumers, per day."""
        wanted = set(gtins)
        seen: set[tuple[int | None, int | None]] = set()
        out = {g: [0] * days for g in gtins}
        after: int | None = None
        until = since + days * _DAY
        for _ in range(_MAX_SCAN_PAGES):
            page = await self.ctx.scans(brand.id, since=since, until=until, after_id=after)
            for found in page:
                scan = found.scan
                if (scan.gtin not in wanted or scan.outcome != "genuine"
                        or str(scan.channel) not in _CONSUMER_CHANNELS):  # fmt: skip
                    continue
                unit = (scan.batch_id, scan.index)
                if unit in seen:  # a unit is sold once, however often it is scanned
                    continue
                seen.add(unit)
                day = (scan.at - since) // _DAY
                if 0 <= day < days:
                    out[str(scan.gtin)][day] += 1
            if len(page) < 1000:
                break
            after = page[-1].id
        return out


def _daily(events: Sequence[tuple[dt.datetime, int]], since: dt.datetime, days: int
           ) -> list[int]:  # fmt: skip
    series = [0] * days
    for at, units in events:
        day = (at - since) // _DAY
        if 0 <= day < days:
            series[day] += units
    return series
