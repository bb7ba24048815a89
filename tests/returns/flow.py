"""Helpers of the returns flow tests: what the other plugins' own tables say (stock by
location kind, who holds a unit, the payment ledger), read here with plain SQL so the
tests do not take the returns module's word for it."""

from __future__ import annotations

from tests.returns.conftest import World
from veriseal.extend.stream import worker_for
from veriseal_commerce.returns import ReturnAsk
from veriseal_commerce.returns_store import ReturnRequest


async def stock(world: World, gtin: str) -> dict[str, int]:
    """On hand per location kind of the brand's main warehouse."""
    async with world.ctx.db.read() as tx:
        rows = await tx.fetch(
            "SELECT l.kind, SUM(b.on_hand) AS n FROM inventory_balances b"
            " JOIN inventory_locations l ON l.id = b.location_id"
            " WHERE b.warehouse_id = ? AND b.gtin = ? GROUP BY l.kind",
            world.main.id,
            gtin,
        )
    return {str(r["kind"]): int(r["n"]) for r in rows if int(r["n"])}


async def refunds(world: World, order_id: int) -> list[tuple[str, int, str]]:
    """(kind, amount, reference) of the order's refund events in the payment ledger."""
    async with world.ctx.db.read() as tx:
        rows = await tx.fetch(
            "SELECT kind, amount, reference FROM commerce_payment_events"
            " WHERE order_id = ? AND kind LIKE 'refund%' ORDER BY id",
            order_id,
        )
    return [(str(r["kind"]), int(r["amount"]), str(r["reference"])) for r in rows]


async def rebuild_clean(world: World) -> bool:
    from veriseal_inventory.rebuild import rebuild  # noqa: PLC0415

    return await rebuild(world.ctx, check_only=True) == []


async def through_inspection(
    world: World, order_no: str, codes: list[str], accept: list[str], reason: str = "ok",
    kind: str = "return",
) -> ReturnRequest:  # fmt: skip
    """A request for ``codes``, approved, received, and inspected: ``accept`` restocked,
    the others rejected with ``reason``."""
    shop = world.shop
    gd, admin = shop.people["gd"], shop.people["admin"]
    r = await shop.c.returns.open(gd, ReturnAsk(order_no, kind, "damaged", codes))
    await shop.c.returns.approve(admin, r.return_no)
    await shop.c.return_goods.receive(admin, r.return_no, codes)
    reject = [c for c in codes if c not in accept]
    await shop.c.return_goods.inspect(admin, r.return_no, accepted=accept, rejected=reject,
                                      reason=reason)  # fmt: skip
    await worker_for(world.engine).drain()
    return await shop.c.returns.load(admin, r.return_no)
