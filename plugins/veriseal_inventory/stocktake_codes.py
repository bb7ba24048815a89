"""Scanned codes as the units a count found: item codes one by one, cases and pallets
(SSCCs) by their recorded contents, each unit as (batch id, index, GTIN, lot)."""

from __future__ import annotations

from collections.abc import Sequence

from veriseal import Brand
from veriseal.extend import PluginContext
from veriseal_inventory.stocktake_errors import StocktakeInvalid

#: entries per upload and units per upload (a pallet may hold thousands)
MAX_TEXTS = 2000
MAX_UNITS = 50_000


async def units_of(ctx: PluginContext, brand: Brand,
                   texts: Sequence[str]) -> list[tuple[int, int, str, str]]:  # fmt: skip
    """Every unit named by ``texts``, once; ``item_unknown`` for a code not ``brand``'s
    (the core's refusal, naming the entry), ``stocktake_invalid`` for too many."""
    if not texts or len(texts) > MAX_TEXTS:
        raise StocktakeInvalid(f"scan 1 to {MAX_TEXTS} codes at a time")
    children, by_batch = await ctx.resolve_items(brand, [str(t)[:300] for t in texts])
    ranges = {b: list(spans) for b, spans in by_batch.items()}
    for sscc in children.units:
        inside = await ctx.contents(brand, sscc, deep=True)
        for batch_id, spans in inside.by_batch().items():
            ranges.setdefault(batch_id, []).extend(spans)
    total = sum(r.count for spans in ranges.values() for r in spans)
    if total > MAX_UNITS:
        raise StocktakeInvalid(f"at most {MAX_UNITS} units per upload", units=total)
    out: dict[tuple[int, int], tuple[int, int, str, str]] = {}
    for batch_id, spans in sorted(ranges.items()):
        batch = await ctx.batch(batch_id)
        for span in spans:
            for idx in range(span.first, span.last + 1):
                out[(batch_id, idx)] = (batch_id, idx, batch.gtin, batch.lot)
    return list(out.values())
