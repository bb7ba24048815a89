"""The stock rows of code-tracked units against a model, on both backends: random
sequences of placements and removals (through ``units.move_units``, as receipts, issues
and the shipments consumer use it) leave exactly the units the model holds, each at its
place, as disjoint rows with no two touching rows at one place (compact storage).

The arithmetic itself is property-tested with hypothesis (test_unit_ranges.py); this
drives the SQL around it (neighbour lookups, rewrites) with a seeded random sequence,
because each step is a real database transaction."""

from __future__ import annotations

import itertools
import random

from tests.inventory.conftest import TEA, WINE, World
from veriseal import IndexRange
from veriseal_inventory import units_store as store
from veriseal_inventory.units import move_units

Model = dict[tuple[int, int], store.Place]  # (batch, index) -> place


async def _rows(w: World, brand_id: int) -> list[store.Held]:
    async with w.ctx.db.read() as tx:
        found = await tx.fetch(
            "SELECT batch_id, first_index, last_index, warehouse_id, location_id, gtin, lot"
            " FROM inventory_units WHERE brand_id = ? ORDER BY batch_id, first_index",
            brand_id,
        )
    return [store.Held(int(r["batch_id"]), IndexRange(int(r["first_index"]),
                       int(r["last_index"])), store.Place(int(r["warehouse_id"]),
                       int(r["location_id"]), r["gtin"], r["lot"])) for r in found]  # fmt: skip


async def test_placements_and_removals_match_the_model(world: World) -> None:
    w, brand_id = world, world.shop.brand.id
    homes = [w.main, await w.warehouse_of("GD01")]
    places = [store.Place(h.id, (await w.inv.warehouses.location(h)).id, "", "") for h in homes]
    batches = {w.shop.batches[g].id: g for g in (TEA, WINE)}
    model: Model = {}
    rng = random.Random(20261204)
    for _ in range(60):
        batch_id = rng.choice(sorted(batches))
        first = rng.randrange(0, 60)
        span = IndexRange(first, first + rng.randrange(0, 12))
        wanted = {(batch_id, i) for i in range(span.first, span.last + 1)}
        if rng.random() < 0.6:  # place the free part of the span
            place = rng.choice(places)
            free = sorted(i for b, i in wanted if (b, i) not in model)
            moved = [store.Held(batch_id, IndexRange(i, i), place._replace(
                gtin=batches[batch_id], lot="L1")) for i in free]  # fmt: skip
            model.update({(batch_id, h.span.first): h.place for h in moved})
            target = place
        else:  # take the held part of the span out of stock
            moved = [store.Held(batch_id, IndexRange(i, i), model.pop((batch_id, i)))
                     for _, i in sorted(wanted) if (batch_id, i) in model]  # fmt: skip
            target = None
        if not moved:
            continue
        async with w.ctx.db.write() as tx:
            await store.lock_batches(tx, [batch_id])
            await move_units(tx, brand_id, moved, target)
        rows = await _rows(w, brand_id)
        flat = {(h.batch_id, i): h.place for h in rows for i in range(h.span.first,
                                                                      h.span.last + 1)}  # fmt: skip
        assert flat == model
        for a, b in itertools.pairwise(rows):
            if a.batch_id == b.batch_id:
                assert a.span.last < b.span.first  # disjoint
                assert not (a.span.last + 1 == b.span.first and a.place == b.place)  # merged
