"""The returns tests' world: the inventory tests' world (a brand with TEA and WINE,
dealers GD01 / ZJ01 / GZ-R1 with users, brand staff, an engine with territories,
commerce and inventory over each backend) with stock in the brand's main warehouse and
orders taken all the way to delivery: priced by the real engine, paid by a bank
transfer that finance confirms, approved, shipped by scanning item codes and scanned
in by the dealer (the event stream delivering them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from tests.commerce.orders_world import draft, priced
from tests.inventory.conftest import TEA, WINE, World, engine, world
from veriseal.extend.stream import worker_for
from veriseal_commerce.orders_store import Order
from veriseal_commerce.payments import Receipt
from veriseal_inventory.models import StockLine

__all__ = ["TEA", "WINE", "Delivered", "deliver", "engine", "world"]

REGION = {"gd": "440100", "zj": "330100", "shop": "440100"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Delivered:
    order: Order
    codes: dict[str, list[str]]  # by GTIN: the item codes shipped and delivered


async def deliver(world: World, who: str = "gd",
                  lines: Sequence[tuple[str, int]] = ((TEA, 12), (WINE, 2)),
                  first: dict[str, int] | None = None) -> Delivered:  # fmt: skip
    """An order of ``who`` for ``lines``, paid by a confirmed transfer, approved, shipped
    by item codes (from ``first`` index of each GTIN's batch, default 0) and scanned in."""
    shop, admin = world.shop, world.shop.people["admin"]
    await priced(shop)
    await world.inv.stock.receive(admin, world.main, [StockLine(g, n) for g, n in lines])
    order = await draft(shop, who, REGION[who], lines=lines)
    order = await shop.c.orders.submit(shop.people[who], order.order_no)
    payable = await shop.c.orders.payable(shop.people[who], order.order_no)
    started = await shop.c.payments.start_transfer(
        shop.people[who], payable, Receipt("image/png", "receipt.png", PNG)
    )
    await shop.c.payments.confirm_transfer(admin, started.payment.id, f"BANK-{order.order_no}")
    order = await shop.c.orders.approve(admin, order.order_no)
    start = first or {}
    codes = {g: shop.codes(g, start.get(g, 0), n) for g, n in lines}
    everything = [c for g in codes for c in codes[g]]
    await shop.c.fulfilment.ship(shop.people["operator"], order.order_no, everything)
    await shop.t.receive(shop.people[who], shop.brand, everything)
    await worker_for(world.engine).drain()
    order = await shop.c.orders.load(admin, order.order_no)
    assert order.fulfilment_status == "delivered", order
    return Delivered(order, codes)


@pytest.fixture
def returns_world(world: World) -> World:
    return world
