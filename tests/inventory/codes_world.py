"""Helpers of the code-tracked stock tests: packed cases and pallets of TEA, SSCCs,
the levels of a warehouse, the code rows it holds, and delivering a stream batch again."""

from __future__ import annotations

from tests.inventory.conftest import TEA, World
from veriseal.codes.gtin import gs1_check_digit
from veriseal.extend.stream import Batch
from veriseal.ledger import stream_store
from veriseal.lifecycle.aggregation import Children, PackRequest
from veriseal.lifecycle.events import BatchRange, Where
from veriseal_inventory import units_store
from veriseal_inventory.models import Warehouse
from veriseal_inventory.unit_events import SHIPMENTS, handle, prepare


def sscc(n: int) -> str:
    """An SSCC of the brand's company prefix with its check digit (GS1 mod 10)."""
    body = f"09506000{n:09d}"
    return body + str(gs1_check_digit(body))


async def pack(w: World, case: int, first: int, count: int, gtin: str = TEA) -> str:
    """Items ``first .. first+count-1`` of the GTIN's batch packed into case ``case``."""
    batch = w.shop.batches[gtin]
    ranges = (BatchRange(batch.id, first, first + count - 1),)
    await w.engine.lifecycle.aggregation.pack(w.shop.brand, PackRequest(sscc(case),
                                              Children(ranges)), Where())  # fmt: skip
    return sscc(case)


async def pallet(w: World, n: int, cases: list[str]) -> str:
    await w.engine.lifecycle.aggregation.pack(w.shop.brand, PackRequest(sscc(n),
                                              Children((), tuple(cases))), Where())  # fmt: skip
    return sscc(n)


async def sellable(w: World, warehouse: Warehouse, gtin: str = TEA) -> int:
    async with w.ctx.db.read() as tx:
        row = await tx.fetchrow(
            "SELECT sellable FROM inventory_levels WHERE warehouse_id = ? AND gtin = ?",
            warehouse.id, gtin,
        )  # fmt: skip
    return 0 if row is None else int(row["sellable"])


async def rows(w: World, warehouse: Warehouse) -> list[tuple[int, int]]:
    """(first, last) of every code row the warehouse holds (TEA's batch only here)."""
    async with w.ctx.db.read() as tx:
        found = await units_store.of_warehouse(tx, warehouse.id)
    return [(h.span.first, h.span.last) for h in found]


async def snapshot(w: World) -> tuple[object, ...]:
    """Every table the code-tracked side writes, for "nothing changed" checks."""
    queries = (
        ("SELECT batch_id, first_index, last_index, warehouse_id, location_id FROM"
         " inventory_units ORDER BY batch_id, first_index"),
        ("SELECT id, kind, batch_id, first_index, last_index FROM inventory_code_alerts"
         " ORDER BY id"),
        "SELECT id, quantity, reserved FROM inventory_movements ORDER BY id",
        ("SELECT warehouse_id, gtin, sellable, reserved FROM inventory_levels"
         " ORDER BY warehouse_id, gtin"),
    )  # fmt: skip
    out = []
    async with w.ctx.db.read() as tx:
        for sql in queries:
            columns = sql.split("SELECT ")[1].split(" FROM")[0].split(", ")
            out.append([tuple(r[c] for c in columns) for r in await tx.fetch(sql)])
    return tuple(out)


async def redeliver(w: World) -> None:
    """Hand every territories event to the consumer again, as an at-least-once
    delivery may (a worker that lost its cursor's commit delivers the batch again)."""
    async with w.ctx.db.read() as tx:
        head = await stream_store.head(tx)
        events = await stream_store.read_after(tx, 0, head, SHIPMENTS.kinds, 1000)
    prepared = await prepare(w.ctx, events)
    async with w.ctx.db.write() as tx:
        await handle(w.ctx, Batch(tuple(events), prepared), tx)
