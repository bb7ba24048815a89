"""The demo's sales history (called by the plugin's ``seed_demo`` after the price
lists): about forty orders of the demo dealers over the last :data:`DAYS` days, placed,
paid by offline transfer and confirmed through the plugin's own services, so the
analytics dashboards of a fresh demo have figures; two are rejected after payment (a
reversal each).

Each order is made now and then moved back to its day: the plugin's own rows of it
(order, events, payment and payment events) are shifted by the same amount, so its
history reads as it would have happened. Orders reserve the demo's opening stock
(the plugin's hook runs ``trylast``: after territories' dealers and inventory's stock);
without stock or verified dealers the history is shorter or empty, and nothing fails.

Idempotent: a brand with any order is left as it is."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from veriseal import SYSTEM_PRINCIPAL as SYSTEM
from veriseal import Brand, OrgKind, Principal, VerisealError
from veriseal.extend import PluginContext, Tx
from veriseal_commerce.orders import OrderRequest
from veriseal_commerce.payments import Receipt
from veriseal_commerce.service import Commerce, of

DAYS = 60
ORDERS = 40
#: the orders (by index) rejected after payment: a reversal each
REJECTED = (3, 4)
#: where each kind of demo dealer delivers to (inside its territories)
REGIONS = {OrgKind.DISTRIBUTOR: ("330106", "320505", "310104", "330203"),
           OrgKind.RETAILER: ("330106", "330102")}  # fmt: skip
#: a bank receipt's image (a PNG header; finance checks the money, not the picture)
_RECEIPT = Receipt("image/png", "回单 receipt.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
#: the plugin's rows of an order (table, the order's column) and their time columns
_TIMES = (
    ("commerce_orders", "id", ("created_at", "updated_at", "pay_by")),
    ("commerce_order_events", "order_id", ("at",)),
    ("commerce_payments", "order_id", ("created_at", "expires_at")),
    ("commerce_payment_events", "order_id", ("at",)),
)


async def _dealers(ctx: PluginContext, brand: Brand) -> list[tuple[Principal, OrgKind]]:
    """A signed-in user of each demo dealer organisation, with its kind."""
    root = await ctx.brand_org(brand)
    out = []
    for org in await ctx.org_tree(SYSTEM, root.id):
        if org.kind not in REGIONS:
            continue
        for user in await ctx.users(SYSTEM, org.id):
            out.append((await ctx.acting(user.id, "demo"), org.kind))
            break
    return out


async def _shift(tx: Tx, order_id: int, by: dt.timedelta) -> None:
    """Move the order's rows ``by`` into the past (every row has an ``id``)."""
    for table, column, times in _TIMES:
        sets = ", ".join(f"{c} = ?" for c in times)
        for r in await tx.fetch(f"SELECT id, {', '.join(times)} FROM {table}"
                                f" WHERE {column} = ?", order_id):  # fmt: skip
            back = [None if r[c] is None else tx.dialect.timestamp(r[c]) - by for c in times]
            await tx.execute(f"UPDATE {table} SET {sets} WHERE id = ?", *back, r["id"])


async def _one(c: Commerce, dealer: Principal, brand: Brand, lines: Sequence[tuple[str, int]],
               region: str) -> tuple[int, str]:  # fmt: skip
    """Place, pay and confirm one order; its id and number."""
    order = await c.orders.create(dealer, brand, OrderRequest(lines, region, "演示地址 Demo St 1"))
    order = await c.orders.submit(dealer, order.order_no)
    payable = await c.orders.payable(dealer, order.order_no)
    started = await c.payments.start_transfer(dealer, payable, _RECEIPT)
    await c.payments.confirm_transfer(SYSTEM, started.payment.id, f"DEMO-{order.id}")
    return order.id, order.order_no


async def seed_orders(ctx: PluginContext, brand: Brand) -> int:
    """The sales history of the module docstring; the number of orders made."""
    async with ctx.db.read() as tx:
        if await tx.fetchrow("SELECT 1 FROM commerce_orders WHERE brand_id = ?", brand.id):
            return 0
    dealers = await _dealers(ctx, brand)
    gtins = [p.gtin for p in await ctx.products(brand)]
    if not dealers or not gtins:
        return 0
    c, rng = of(ctx), random.Random(brand.id)  # the same history on every demo
    made: list[tuple[int, str]] = []
    for i in range(ORDERS):
        dealer, kind = dealers[i % len(dealers)]
        lines = [(g, rng.choice((6, 12, 12, 24))) for g in gtins
                 if g == gtins[0] or rng.random() < 0.8]  # fmt: skip
        try:
            made.append(await _one(c, dealer, brand, lines, rng.choice(REGIONS[kind])))
        except VerisealError:  # stock ran out, a dealer is not verified: a shorter history
            break
        if i in REJECTED:  # before the shift: the reversal moves back with its sale
            await c.orders.reject(SYSTEM, made[-1][1], "演示：缺货退款 demo: refunded")
        back = dt.timedelta(days=DAYS * (ORDERS - i) / ORDERS, hours=rng.uniform(0, 8))
        async with ctx.db.write() as tx:
            await _shift(tx, made[-1][0], back)
    return len(made)
