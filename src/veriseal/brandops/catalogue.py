"""The catalogue for signed-in people: browse and search (``catalogue.read``: brand
staff, dealers and retailers of the brand) and change the category tree and product
details (``catalogue.write``: brand admins). The role is checked before a brand is
looked up (:mod:`veriseal.brandops.scope`); the brand is the principal's own unless the
platform admin names one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from veriseal.accounts.images import product_image
from veriseal.accounts.models import Principal
from veriseal.accounts.permissions import Action
from veriseal.brandops.scope import brand_for, check_brand
from veriseal.catalog.products import Catalogue
from veriseal.ledger.base import Ledger
from veriseal.models import Brand, Category, Product

READ = (Action.CATALOGUE_READ, Action.CATALOGUE_WRITE)
WRITE = (Action.CATALOGUE_WRITE,)


def category_record(c: Category) -> dict[str, Any]:
    """A category as the JSON API shows it."""
    return c.to_dict()


def product_record(p: Product) -> dict[str, Any]:
    """A product with its details as the JSON API shows it."""
    return {
        "gtin": p.gtin,
        "name": p.name,
        "spec": p.spec,
        "manufacturer": p.manufacturer,
        "shelf_life_days": p.shelf_life_days,
        "category_id": p.category_id,
        "category": list(p.category),
        "specs": [{"name": s.name, "value": s.value} for s in p.specs],
        "units": [{"kind": str(u.kind), "quantity": u.quantity, "gtin": u.gtin} for u in p.units],
        "images": [
            {
                "id": i.id,
                "sha256": i.sha256,
                "media_type": i.media_type,
                "width": i.width,
                "height": i.height,
            }
            for i in p.images
        ],
    }


class CatalogueDesk:
    """Principal-checked catalogue calls (see the module docstring)."""

    def __init__(self, ledger: Ledger, catalogue: Catalogue) -> None:
        self._ledger = ledger
        self._catalogue = catalogue

    async def brand(self, who: Principal, slug: str | None, *, write: bool = False) -> Brand:
        return await brand_for(self._ledger, who, WRITE if write else READ, slug)

    async def tree(self, who: Principal, brand: Brand) -> list[Category]:
        check_brand(who, READ, brand)
        return await self._catalogue.categories.tree(brand)

    async def product(self, who: Principal, brand: Brand, gtin: str) -> Product:
        check_brand(who, READ, brand)
        return await self._catalogue.get(brand, gtin)

    async def search(
        self,
        who: Principal,
        brand: Brand,
        query: str,
        *,
        category_id: int | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> list[Product]:
        check_brand(who, READ, brand)
        return await self._catalogue.search(
            brand, query, category_id=category_id, limit=limit, after=after
        )

    async def create(
        self, who: Principal, brand: Brand, name: str, parent_id: int | None, name_en: str
    ) -> Category:
        check_brand(who, WRITE, brand)
        return await self._catalogue.categories.create(
            brand, name, parent_id=parent_id, name_en=name_en
        )

    async def rename(
        self, who: Principal, brand: Brand, category_id: int, name: str, name_en: str | None
    ) -> Category:
        check_brand(who, WRITE, brand)
        return await self._catalogue.categories.rename(brand, category_id, name, name_en)

    async def move(
        self,
        who: Principal,
        brand: Brand,
        category_id: int,
        parent_id: int | None,
        position: int | None,
    ) -> Category:
        check_brand(who, WRITE, brand)
        return await self._catalogue.categories.move(brand, category_id, parent_id, position)

    async def reorder(
        self, who: Principal, brand: Brand, category_id: int, position: int
    ) -> Category:
        check_brand(who, WRITE, brand)
        return await self._catalogue.categories.reorder(brand, category_id, position)

    async def delete(self, who: Principal, brand: Brand, category_id: int) -> None:
        check_brand(who, WRITE, brand)
        await self._catalogue.categories.delete(brand, category_id)

    async def place(self, who: Principal, brand: Brand, gtin: str, category_id: int | None) -> None:
        check_brand(who, WRITE, brand)
        await self._catalogue.categories.place(brand, gtin, category_id)

    async def set_specs(
        self, who: Principal, brand: Brand, gtin: str, pairs: Sequence[tuple[str, str]]
    ) -> None:
        check_brand(who, WRITE, brand)
        await self._catalogue.details.set_specs(brand, gtin, pairs)

    async def set_units(
        self,
        who: Principal,
        brand: Brand,
        gtin: str,
        units: Sequence[tuple[str, int, str | None]],
    ) -> None:
        check_brand(who, WRITE, brand)
        await self._catalogue.details.set_units(brand, gtin, units)

    async def add_image(self, who: Principal, brand: Brand, gtin: str, data: bytes) -> int:
        """Re-encode the upload (``image_invalid`` otherwise) and store it."""
        check_brand(who, WRITE, brand)
        return await self._catalogue.details.add_image(brand, gtin, product_image(data))

    async def remove_image(self, who: Principal, brand: Brand, gtin: str, image_id: int) -> bool:
        check_brand(who, WRITE, brand)
        return await self._catalogue.details.remove_image(brand, gtin, image_id)

    async def image(self, image_id: int) -> tuple[bytes, str, str] | None:
        """A product image's (bytes, media type, sha256): public catalogue data."""
        return await self._catalogue.details.store.public_image(image_id)
