"""Helpers of the order tests: placing orders in the ``shop`` world.

:class:`ListPrices` prices every unit at a fixed list price with no promotions. It
stands in for the pricing engine (built on another branch) behind the orders' real
:class:`~veriseal_commerce.order_pricing.Pricer` interface until that engine is merged;
it records what was recorded and released so tests can check the orders side calls it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tests.commerce.conftest import TEA, WINE, Shop
from veriseal.extend import Tx
from veriseal.models import Brand
from veriseal_commerce.order_pricing import Priced
from veriseal_commerce.orders import OrderRequest
from veriseal_commerce.orders_store import Order, OrderLine

UNIT = {TEA: 1250, WINE: 8800}  # 分


@dataclass
class ListPrices:
    recorded: list[int] = field(default_factory=list)
    released: list[int] = field(default_factory=list)

    async def price(
        self, tx: Tx, brand: Brand, org_id: int, lines: Sequence[tuple[str, int]]
    ) -> Priced:
        priced = tuple(
            OrderLine(n, g, g, q, UNIT[g], "list price", (), False, UNIT[g] * q)
            for n, (g, q) in enumerate(lines, 1)
        )
        return Priced(priced, sum(ln.amount for ln in priced), "CNY", None)

    async def record(self, tx: Tx, brand_id: int, priced: Priced, order_id: int,
                     org_id: int) -> None:  # fmt: skip
        self.recorded.append(order_id)

    async def release(self, tx: Tx, order_id: int) -> None:
        self.released.append(order_id)


def priced(shop: Shop) -> ListPrices:
    pricer = ListPrices()
    shop.c.orders.pricer = pricer
    return pricer


async def draft(shop: Shop, who: str = "gd", region: str = "440100",
                lines: Sequence[tuple[str, int]] = ((TEA, 12), (WINE, 2))) -> Order:  # fmt: skip
    return await shop.c.orders.create(
        shop.people[who], shop.brand, OrderRequest(list(lines), region, "广州市天河路1号")
    )


async def submitted(shop: Shop, who: str = "gd", region: str = "440100") -> Order:
    order = await draft(shop, who, region)
    return await shop.c.orders.submit(shop.people[who], order.order_no)
