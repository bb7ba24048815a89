"""A product's specifications, units and images, and product search: input rules over
:class:`~veriseal.catalog.product_store.ProductStore`.

Rules: at most :data:`MAX_SPECS` specifications, names 1..64 and values 0..200
characters without control characters; units are ``item`` (quantity 1), ``case`` and
``pallet`` (quantity 2..1,000,000), each kind at most once, a unit's own GTIN valid and
not the product's; images arrive re-encoded (:class:`StoredImage`). A search has a
limit of 1..200 and an ``after`` cursor that is a GTIN.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence

from veriseal.catalog.errors import ProductDetailInvalid, SearchInvalid
from veriseal.catalog.product_store import ProductStore, SearchQuery, StoredImage
from veriseal.codes.errors import GtinInvalid
from veriseal.codes.gtin import normalize_gtin
from veriseal.errors import CategoryNotFound, InvalidInput
from veriseal.ledger.base import Ledger
from veriseal.ledger.dialects.search import search_terms
from veriseal.models import Brand, Category, Product, ProductSpec, ProductUnit, UnitKind

MAX_SPECS = 50
MAX_QUANTITY = 1_000_000
MAX_LIMIT = 200


def _text(label: str, value: str, longest: int, *, empty: bool) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if not value and not empty:
        raise ProductDetailInvalid(f"{label} is empty")
    if len(value) > longest:
        raise ProductDetailInvalid(f"{label} is longer than {longest} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise ProductDetailInvalid(f"{label} contains control characters")
    return value


def clean_specs(pairs: Sequence[tuple[str, str]]) -> list[ProductSpec]:
    """Validated specifications, in the given order."""
    if len(pairs) > MAX_SPECS:
        raise ProductDetailInvalid(f"at most {MAX_SPECS} specifications")
    return [
        ProductSpec(
            _text("specification name", n, 64, empty=False),
            _text("specification value", v, 200, empty=True),
        )
        for n, v in pairs
    ]


def clean_units(
    product_gtin: str, units: Sequence[tuple[str, int, str | None]]
) -> list[ProductUnit]:
    """Validated units from (kind, quantity, own GTIN or None)."""
    out: list[ProductUnit] = []
    for kind_text, quantity, gtin in units:
        try:
            kind = UnitKind(kind_text)
        except ValueError:
            raise ProductDetailInvalid(f"unit {kind_text!r}: use item, case or pallet") from None
        if kind is UnitKind.ITEM and quantity != 1:
            raise ProductDetailInvalid("an item unit has quantity 1")
        if kind is not UnitKind.ITEM and not 2 <= quantity <= MAX_QUANTITY:
            raise ProductDetailInvalid(f"a {kind} holds 2..{MAX_QUANTITY} items")
        own = None
        if gtin:
            try:
                own = normalize_gtin(gtin)
            except GtinInvalid as exc:
                raise ProductDetailInvalid(f"unit GTIN: {exc.message}") from None
            if own == product_gtin:
                raise ProductDetailInvalid("a unit's GTIN differs from the product's")
        if any(u.kind is kind for u in out):
            raise ProductDetailInvalid(f"the {kind} unit is given twice")
        out.append(ProductUnit(kind, quantity, own))
    return out


class ProductDetails:
    """Specifications, units, images and search of a brand's products."""

    def __init__(self, ledger: Ledger) -> None:
        self.store = ProductStore(ledger)

    async def set_specs(self, brand: Brand, gtin: str, pairs: Sequence[tuple[str, str]]) -> None:
        await self.store.set_specs(brand.id, normalize_gtin(gtin), clean_specs(pairs))

    async def set_units(
        self, brand: Brand, gtin: str, units: Sequence[tuple[str, int, str | None]]
    ) -> None:
        gtin = normalize_gtin(gtin)
        await self.store.set_units(brand.id, gtin, clean_units(gtin, units))

    async def add_image(self, brand: Brand, gtin: str, encoded: tuple[bytes, str, int, int]) -> int:
        """Store an image already re-encoded by ``veriseal.accounts.images.product_image``."""
        data, media_type, width, height = encoded
        image = StoredImage(data, hashlib.sha256(data).hexdigest(), media_type, width, height)
        return await self.store.add_image(brand.id, normalize_gtin(gtin), image)

    async def remove_image(self, brand: Brand, gtin: str, image_id: int) -> bool:
        return await self.store.remove_image(brand.id, normalize_gtin(gtin), image_id)

    async def image(self, brand: Brand, image_id: int) -> tuple[bytes, str, str] | None:
        return await self.store.image(brand.id, image_id)

    async def search(
        self,
        brand: Brand,
        query: str,
        tree: Sequence[Category],
        *,
        category_id: int | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> list[Product]:
        """One page of matching products, with details (see the module docstring)."""
        if not 1 <= limit <= MAX_LIMIT:
            raise SearchInvalid(f"limit must be 1..{MAX_LIMIT}")
        if category_id is not None and all(c.id != category_id for c in tree):
            raise CategoryNotFound(f"no category {category_id} in this brand")
        if after is not None:
            try:
                after = normalize_gtin(after)
            except InvalidInput:
                raise SearchInvalid("after must be the GTIN a page ended with") from None
        if len(query) > 200:
            raise SearchInvalid("a search has at most 200 characters")
        found = await self.store.search(
            SearchQuery(brand.id, search_terms(query), category_id, limit, after)
        )
        return await self.store.with_details(found)
