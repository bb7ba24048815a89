"""A count's input checked and resolved: its scope (locations, products), counted lines
into ledger lines, reasons. Every refusal is ``stocktake_invalid`` and comes before
anything is written."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from veriseal.extend import PluginContext, Tx
from veriseal_inventory import warehouse_store as wstore
from veriseal_inventory.models import LocationKind, Warehouse
from veriseal_inventory.stocktake_errors import StocktakeInvalid
from veriseal_inventory.stocktake_models import CountLine, Stocktake
from veriseal_inventory.variance import LineKey, check_counted

MAX_LINES = 500
MAX_REASON = 500
MAX_SCOPE = 200


@dataclass(frozen=True)
class CountScope:
    """What a count covers: ``()`` for every location / every product."""

    location_ids: tuple[int, ...] = ()
    gtins: tuple[str, ...] = ()

    def covers(self, key: LineKey) -> bool:
        return (not self.location_ids or key.location_id in self.location_ids) and (
            not self.gtins or key.gtin in self.gtins
        )

    @classmethod
    async def of(cls, ctx: PluginContext, w: Warehouse, locations: Sequence[str],
                 gtins: Sequence[str]) -> CountScope:  # fmt: skip
        """Location codes or ids of ``w`` and GTINs of its brand's products."""
        if len(locations) > MAX_SCOPE or len(gtins) > MAX_SCOPE:
            raise StocktakeInvalid(f"a count names at most {MAX_SCOPE} locations and products")
        async with ctx.db.read() as tx:
            known = await wstore.locations(tx, w.id)
        ids = []
        for ref in locations:
            text = str(ref).strip()
            match = next((loc for loc in known if text in (loc.code, str(loc.id))), None)
            if match is None:
                raise StocktakeInvalid(f"no location {text!r} in {w.code}", location=text[:40])
            ids.append(match.id)
        products = {p.gtin for p in await ctx.products(await ctx.brand_by_id(w.brand_id))}
        for gtin in gtins:
            if gtin not in products:
                raise StocktakeInvalid(f"{gtin!r} is not a product of this brand",
                                       gtin=str(gtin)[:20])  # fmt: skip
        return cls(tuple(sorted(set(ids))), tuple(sorted(set(gtins))))


def checked_reason(text: str, *, required: bool = True) -> str:
    """A reason or note: text of at most 500 characters, no NUL; required unless said."""
    if not isinstance(text, str) or len(text) > MAX_REASON or "\x00" in text:
        raise StocktakeInvalid(f"a reason has at most {MAX_REASON} characters", field="reason")
    text = text.strip()
    if required and not text:
        raise StocktakeInvalid("say why (a reason is required) / 请填写原因", field="reason")
    return text


async def location_id(tx: Tx, w: Warehouse, st: Stocktake, ref: str | None) -> int:
    """A location of the count by code or id; None: its first location, else main stock."""
    known = await wstore.locations(tx, w.id)
    if ref is None or not str(ref).strip():
        if st.location_ids:
            return st.location_ids[0]
        return next(loc.id for loc in known if loc.kind is LocationKind.STOCK)
    text = str(ref).strip()
    match = next((loc for loc in known if text in (loc.code, str(loc.id))), None)
    if match is None or (st.location_ids and match.id not in st.location_ids):
        raise StocktakeInvalid(f"location {text!r} is not in this count", location=text[:40])
    return match.id


async def resolve_lines(tx: Tx, w: Warehouse, st: Stocktake, lines: Sequence[CountLine],
                        products: Collection[str]) -> dict[LineKey, int]:  # fmt: skip
    """Counted lines as ledger lines (a line named twice: its last figure). No lines is
    fine: it only starts the counting."""
    if len(lines) > MAX_LINES:
        raise StocktakeInvalid(f"a count records at most {MAX_LINES} lines at a time")
    scope = CountScope(st.location_ids, st.gtins)
    out: dict[LineKey, int] = {}
    for line in lines:
        if line.gtin not in products:
            raise StocktakeInvalid(f"{line.gtin!r} is not a product of this brand",
                                   gtin=str(line.gtin)[:20])  # fmt: skip
        if not isinstance(line.lot, str) or len(line.lot) > 40 or "\x00" in line.lot:
            raise StocktakeInvalid("a lot has at most 40 characters", gtin=line.gtin)
        key = LineKey(await location_id(tx, w, st, line.location), line.gtin, line.lot.strip())
        if not scope.covers(key):
            raise StocktakeInvalid(f"{line.gtin} is not in this count's scope", gtin=line.gtin)
        out[key] = check_counted(line.quantity)
    return out
