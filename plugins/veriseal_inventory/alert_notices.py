"""The notices of low-stock alerts: ONE ``stock_low`` message per opening and one per
closing, to the warehouse's keepers, over the channels each has chosen.

Contracts:

- the movement's transaction only records the alert (:mod:`.alerts`); this sender reads
  the alerts whose notice has not gone out, looks up the recipients, the warehouse and
  the product OUTSIDE any transaction, then, per alert, in one transaction: locks the
  row, accepts the notice (``ctx.notify(..., tx=tx)``) and marks it sent, so each notice
  goes out exactly once even when two senders run;
- an alert that opened and closed before a round gets both notices, in that order;
- a lookup that fails leaves the alert for the next round (logged); a warehouse without
  keepers marks the notice as sent with nobody to tell.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from veriseal.extend import PluginContext
from veriseal_inventory import alerts_store as store
from veriseal_inventory.alerts_store import LowStock
from veriseal_inventory.models import Warehouse
from veriseal_inventory.permissions import STOCK_LOW
from veriseal_inventory.warehouses import WarehouseService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Audience:
    warehouse: Warehouse
    product: str
    recipients: list[int]


async def _audience(ctx: PluginContext, warehouses: WarehouseService, a: LowStock) -> _Audience:
    w = await warehouses.get(a.warehouse_id)
    brand = await ctx.brand_by_id(a.brand_id)
    name = (await ctx.product(brand, a.gtin)).name
    return _Audience(w, name, await warehouses.keepers(w))


def opened_text(a: LowStock, w: Warehouse, name: str) -> tuple[str, str]:
    """The opening notice's title and body (Chinese, then English)."""
    title = (f"库存不足：{name} 在 {w.code} 仅剩 {a.opened_level} / "
             f"Low stock: {name} at {w.code}, {a.opened_level} left")  # fmt: skip
    body = (f"{w.name}（{w.code}）的 {name}（{a.gtin}）可用库存 {a.opened_level}，"
            f"低于安全库存 {a.safety_stock}。\n"
            f"{name} ({a.gtin}) in {w.name} ({w.code}): {a.opened_level} available,"
            f" below the safety stock of {a.safety_stock}.")  # fmt: skip
    return title, body


def closed_text(a: LowStock, w: Warehouse, name: str) -> tuple[str, str]:
    """The closing notice's title and body (Chinese, then English)."""
    title = (f"库存已恢复：{name} 在 {w.code} 现有 {a.closed_level} / "
             f"Back in stock: {name} at {w.code}, {a.closed_level} available")  # fmt: skip
    body = (f"{w.name}（{w.code}）的 {name}（{a.gtin}）可用库存已回升至 {a.closed_level}"
            f"（不低于 {a.close_at}），预警已关闭。\n"
            f"{name} ({a.gtin}) in {w.name} ({w.code}) is back above the line:"
            f" {a.closed_level} available (at least {a.close_at}); the alert is"
            f" closed.")  # fmt: skip
    return title, body


async def send_notices(ctx: PluginContext, warehouses: WarehouseService, limit: int = 100) -> int:
    """Send what is due (module contracts); how many notices were accepted."""
    async with ctx.db.read() as tx:
        due = await store.unsent(tx, limit)
    sent = 0
    for alert in due:
        try:
            audience = await _audience(ctx, warehouses, alert)
        except Exception:  # the next round tries again
            log.exception("low-stock alert %s: could not look up its recipients", alert.id)
            continue
        sent += await _send(ctx, alert.id, audience)
    return sent


async def _send(ctx: PluginContext, alert_id: int, audience: _Audience) -> int:
    sent = 0
    w, name, recipients = audience.warehouse, audience.product, audience.recipients
    async with ctx.db.write() as tx:
        a = await store.locked(tx, alert_id)
        if a is None:
            return 0
        now = dt.datetime.now(dt.UTC)
        steps = [("open_notified", "opened", a.open_notified, opened_text, a.opened_level)]
        if a.closed_at is not None:
            steps.append(("close_notified", "closed", a.close_notified, closed_text,
                          a.closed_level or 0))  # fmt: skip
        for column, state, done, text, level in steps:
            if done:
                continue
            if recipients:
                title, body = text(a, w, name)
                data = {"warehouse": w.code, "gtin": a.gtin, "state": state,
                        "available": level, "safety_stock": a.safety_stock,
                        "alert_id": a.id}  # fmt: skip
                await ctx.notify(recipients, STOCK_LOW, title, body, data, tx=tx)
                sent += 1
            await store.mark_notified(tx, a.id, column, now)
    return sent
