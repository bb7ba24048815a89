"""The category tree of a brand: its rules (valid names, no cycles, delete only when
empty) over :class:`~veriseal.catalog.category_store.CategoryStore`.

No permission checks here (the CLI runs with the operator's authority, like the rest of
the catalogue); the principal-checked calls are :mod:`veriseal.brandops.catalogue`.
A category's name is its Chinese (or primary) name, ``name_en`` an optional English one;
``Product.category`` holds the primary names root -> leaf, so renaming or moving a
category changes the path of every product below it (and with it which territory
grants ``category:<path>`` cover them).
"""

from __future__ import annotations

import unicodedata

from veriseal.catalog.category_store import CategoryStore
from veriseal.catalog.errors import CategoryNameInvalid
from veriseal.codes.gtin import normalize_gtin
from veriseal.errors import CategoryNotFound
from veriseal.ledger.base import Ledger
from veriseal.models import Brand, Category

MAX_NAME = 64


def clean_name(value: str, *, optional: bool = False) -> str:
    """``value`` stripped; ``category_name_invalid`` when empty (unless ``optional``),
    longer than :data:`MAX_NAME`, or holding ``/`` or control characters."""
    name = unicodedata.normalize("NFC", value).strip()
    if not name and not optional:
        raise CategoryNameInvalid("a category needs a name / 类目名称不能为空")
    if len(name) > MAX_NAME:
        raise CategoryNameInvalid(f"a category name has at most {MAX_NAME} characters")
    if "/" in name or "\\" in name:
        raise CategoryNameInvalid("a category name cannot hold '/' / 类目名称不能含 '/'")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise CategoryNameInvalid("a category name cannot hold control characters")
    return name


class Categories:
    """Create, rename, move, reorder and delete the categories of a brand."""

    def __init__(self, ledger: Ledger) -> None:
        self._store = CategoryStore(ledger)

    async def tree(self, brand: Brand) -> list[Category]:
        """Every category of ``brand``, depth first, siblings by position."""
        return await self._store.tree(brand.id)

    async def get(self, brand: Brand, category_id: int) -> Category:
        for category in await self._store.tree(brand.id):
            if category.id == category_id:
                return category
        raise CategoryNotFound(f"no category {category_id} in this brand")

    async def create(
        self, brand: Brand, name: str, *, parent_id: int | None = None, name_en: str = ""
    ) -> Category:
        """A new category under ``parent_id`` (None: top level), last among siblings."""
        return await self._store.create(
            brand.id, parent_id, clean_name(name), clean_name(name_en, optional=True)
        )

    async def rename(
        self, brand: Brand, category_id: int, name: str, name_en: str | None = None
    ) -> Category:
        """New names (``name_en`` None: keep the English name)."""
        if name_en is None:
            name_en = (await self.get(brand, category_id)).name_en
        return await self._store.rename(
            brand.id, category_id, clean_name(name), clean_name(name_en, optional=True)
        )

    async def move(
        self,
        brand: Brand,
        category_id: int,
        parent_id: int | None,
        position: int | None = None,
    ) -> Category:
        """Under ``parent_id`` (None: top level) at ``position`` (None: last)."""
        return await self._store.move(brand.id, category_id, parent_id, position)

    async def reorder(self, brand: Brand, category_id: int, position: int) -> Category:
        """To ``position`` among its siblings (0 first; clamped to the last place)."""
        return await self._store.reorder(brand.id, category_id, position)

    async def delete(self, brand: Brand, category_id: int) -> None:
        """Delete a category with no sub-categories and no products."""
        await self._store.delete(brand.id, category_id)

    async def place(self, brand: Brand, gtin: str, category_id: int | None) -> None:
        """Put a product in ``category_id`` (None: no category)."""
        await self._store.place_product(brand.id, normalize_gtin(gtin), category_id)
