"""What a consumer may read about a product and one of its lots: the facts a verdict
page already shows (product, brand, lot, production and expiry dates) and whether the
lot was recalled or is past its date. Nothing internal (no factory, line, key or
batch size): a product page is public information reached from a verdict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from veriseal.codes.gtin import normalize_gtin
from veriseal.errors import NotFound
from veriseal.ledger.base import Ledger
from veriseal.models import BatchStatus


@dataclass(frozen=True)
class LotFacts:
    lot: str
    production_date: dt.date
    expiry_date: dt.date | None
    recalled: bool
    expired: bool


@dataclass(frozen=True)
class ProductFacts:
    gtin: str
    name: str
    spec: str
    manufacturer: str
    shelf_life_days: int | None
    category: tuple[str, ...]
    brand_name: str
    lot_asked: str | None  # the lot the reader asked about, if any
    lot: LotFacts | None  # its facts; None when not asked or no such lot


async def product_facts(
    ledger: Ledger, gtin: str, lot: str | None = None, today: dt.date | None = None
) -> ProductFacts:
    """The facts of product ``gtin`` (any spelling of a GTIN; ``gtin_invalid`` or
    ``product_not_found`` otherwise) and of its lot ``lot`` when given."""
    product = await ledger.find_product(normalize_gtin(gtin))
    brand = await ledger.get_brand_by_id(product.brand_id)
    facts: LotFacts | None = None
    if lot:
        try:
            batch = await ledger.get_batch_by_lot(product.brand_id, product.gtin, lot)
        except NotFound:
            batch = None
        if batch is not None:
            day = today or dt.datetime.now(dt.UTC).date()
            facts = LotFacts(
                batch.lot,
                batch.production_date,
                batch.expiry_date,
                batch.status is BatchStatus.RECALLED,
                batch.expiry_date is not None and day > batch.expiry_date,
            )
    return ProductFacts(
        product.gtin,
        product.name,
        product.spec,
        product.manufacturer,
        product.shelf_life_days,
        product.category,
        brand.name,
        lot or None,
        facts,
    )
