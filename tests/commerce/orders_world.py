"""Helpers of the order tests: a price list and a promotion in the ``shop`` world (the
real pricing engine), and orders placed in it."""

from __future__ import annotations

from collections.abc import Sequence

from tests.commerce.conftest import TEA, WINE, Shop
from veriseal_commerce.engine import PriceRow, Promotion
from veriseal_commerce.orders import OrderRequest
from veriseal_commerce.orders_store import Order

UNIT = {TEA: 1250, WINE: 8800}  # 分, every dealer level
PROMO_OFF = 100  # 分 off every order while the promotion lasts


async def priced(shop: Shop, overall: int | None = None) -> int:
    """A dealer price list with :data:`UNIT` and an order promotion of
    :data:`PROMO_OFF` (``overall``: how many orders may use it); the promotion's id."""
    p, admin = shop.c.pricing, shop.people["admin"]
    if any(pl.name == "dealer" for pl in await p.lists(admin, shop.brand)):  # set up already
        return (await p.promotions(admin, shop.brand))[0].id
    dealer = await p.add_list(admin, shop.brand, "dealer")
    for gtin, amount in UNIT.items():
        for level in ("distributor", "retailer"):
            await p.set_row(admin, shop.brand, PriceRow(0, dealer.id, gtin=gtin, level=level,
                                                        amount=amount))  # fmt: skip
    promo = await p.add_promotion(
        admin, shop.brand, Promotion(0, 0, "开业立减", "amount_off", amount=PROMO_OFF,
                                     overall=overall))  # fmt: skip
    return promo.id


async def uses(shop: Shop, order_id: int) -> list[tuple[int, bool]]:
    """(promotion id, released) of the order's promotion uses."""
    async with shop.engine.ledger.read() as tx:
        rows = await tx.fetch(
            "SELECT promotion_id, released_at FROM commerce_promotion_uses WHERE order_id = ?"
            " ORDER BY promotion_id",
            order_id,
        )
    return [(int(r["promotion_id"]), r["released_at"] is not None) for r in rows]


async def draft(shop: Shop, who: str = "gd", region: str = "440100",
                lines: Sequence[tuple[str, int]] = ((TEA, 12), (WINE, 2))) -> Order:  # fmt: skip
    return await shop.c.orders.create(
        shop.people[who], shop.brand, OrderRequest(list(lines), region, "广州市天河路1号")
    )


async def submitted(shop: Shop, who: str = "gd", region: str = "440100") -> Order:
    order = await draft(shop, who, region)
    return await shop.c.orders.submit(shop.people[who], order.order_no)
