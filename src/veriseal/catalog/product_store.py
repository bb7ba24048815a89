"""All SQL of a product's details (specifications, units, images) and of product search.

Search uses the ledger's full-text machinery, the one the message inbox uses
(:mod:`veriseal.ledger.dialects.search`: CJK text as bigrams, so ``绿茶`` finds
``明前绿茶`` and not ``红茶``); the tokens are kept by
:func:`veriseal.ledger.catalog_sql.reindex_products`. Results are ordered by GTIN and
paged by keyset: ``after`` is the last GTIN of the previous page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veriseal.errors import ProductNotFound
from veriseal.ledger.base import Ledger, Row, Tx
from veriseal.ledger.catalog_sql import reindex_products
from veriseal.ledger.dialects.search import SearchTerm
from veriseal.ledger.rows import product as product_row
from veriseal.models import Product, ProductImage, ProductSpec, ProductUnit, UnitKind


@dataclass(frozen=True)
class SearchQuery:
    """One page of a product search: every term must occur; ``category_id`` includes
    its sub-categories; ``after``: the last GTIN of the previous page."""

    brand_id: int
    terms: Sequence[SearchTerm] = ()
    category_id: int | None = None
    limit: int = 50
    after: str | None = None


@dataclass(frozen=True)
class StoredImage:
    """A re-encoded image ready to store."""

    data: bytes
    sha256: str
    media_type: str
    width: int
    height: int


_SUBTREE = (
    "p.category_id IN (WITH RECURSIVE sub(id) AS (SELECT CAST(? AS BIGINT)"
    " UNION ALL SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id)"
    " SELECT id FROM sub)"
)


def _image(r: Row) -> ProductImage:
    return ProductImage(
        int(r["id"]),
        r["sha256"],
        r["media_type"],
        int(r["width"]),
        int(r["height"]),
        int(r["position"]),
    )


async def _owned(tx: Tx, brand_id: int, gtin: str) -> None:
    row = await tx.fetchrow(
        "SELECT gtin FROM products WHERE brand_id = ? AND gtin = ?", brand_id, gtin
    )
    if row is None:
        raise ProductNotFound(f"no product with GTIN {gtin}")


class ProductStore:
    """Details and search of the products of one ledger (see the module docstring)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def with_details(self, products: Sequence[Product]) -> list[Product]:
        """``products`` with their specifications, units and images filled in (three
        queries for the lot, however many products)."""
        if not products:
            return []
        gtins = [p.gtin for p in products]
        marks = ", ".join("?" * len(gtins))
        async with self._ledger.read() as tx:
            specs = await tx.fetch(
                f"SELECT gtin, name, value FROM product_specs WHERE gtin IN ({marks})"
                " ORDER BY gtin, position",
                *gtins,
            )
            units = await tx.fetch(
                f"SELECT gtin, kind, quantity, unit_gtin FROM product_units"
                f" WHERE gtin IN ({marks}) ORDER BY gtin, quantity, kind",
                *gtins,
            )
            images = await tx.fetch(
                "SELECT id, gtin, sha256, media_type, width, height, position FROM"
                f" product_images WHERE gtin IN ({marks}) ORDER BY gtin, position, id",
                *gtins,
            )
        by_gtin: dict[str, dict[str, list[Any]]] = {g: {"s": [], "u": [], "i": []} for g in gtins}
        for r in specs:
            by_gtin[r["gtin"]]["s"].append(ProductSpec(r["name"], r["value"]))
        for r in units:
            unit = ProductUnit(UnitKind(r["kind"]), int(r["quantity"]), r["unit_gtin"])
            by_gtin[r["gtin"]]["u"].append(unit)
        for r in images:
            by_gtin[r["gtin"]]["i"].append(_image(r))
        return [
            dataclasses.replace(
                p,
                specs=tuple(by_gtin[p.gtin]["s"]),
                units=tuple(by_gtin[p.gtin]["u"]),
                images=tuple(by_gtin[p.gtin]["i"]),
            )
            for p in products
        ]

    async def set_specs(self, brand_id: int, gtin: str, specs: Sequence[ProductSpec]) -> None:
        """Replace the product's specifications (and its search tokens)."""
        async with self._ledger.write() as tx:
            await _owned(tx, brand_id, gtin)
            await tx.execute("DELETE FROM product_specs WHERE gtin = ?", gtin)
            await tx.executemany(
                "INSERT INTO product_specs (gtin, position, name, value) VALUES (?, ?, ?, ?)",
                [(gtin, i, s.name, s.value) for i, s in enumerate(specs)],
            )
            await reindex_products(tx, [gtin])

    async def set_units(self, brand_id: int, gtin: str, units: Sequence[ProductUnit]) -> None:
        """Replace the product's units (a unit GTIN taken elsewhere is a ``Conflict``)."""
        async with self._ledger.write() as tx:
            await _owned(tx, brand_id, gtin)
            await tx.execute("DELETE FROM product_units WHERE gtin = ?", gtin)
            await tx.executemany(
                "INSERT INTO product_units (gtin, kind, quantity, unit_gtin) VALUES (?, ?, ?, ?)",
                [(gtin, str(u.kind), u.quantity, u.gtin) for u in units],
            )

    async def add_image(self, brand_id: int, gtin: str, image: StoredImage) -> int:
        """Store an image last in the product's list; the same bytes twice keep one row
        (its id is returned)."""
        async with self._ledger.write() as tx:
            await _owned(tx, brand_id, gtin)
            same = await tx.fetchrow(
                "SELECT id FROM product_images WHERE gtin = ? AND sha256 = ?", gtin, image.sha256
            )
            if same is not None:
                return int(same["id"])
            last = await tx.fetchrow(
                "SELECT COALESCE(MAX(position), -1) AS p FROM product_images WHERE gtin = ?", gtin
            )
            values: dict[str, Any] = {
                "gtin": gtin,
                "position": int(last["p"]) + 1 if last is not None else 0,
                "sha256": image.sha256,
                "media_type": image.media_type,
                "width": image.width,
                "height": image.height,
                "data": image.data,
                "created_at": dt.datetime.now(dt.UTC),
            }
            return await tx.insert_returning_id("product_images", values)

    async def remove_image(self, brand_id: int, gtin: str, image_id: int) -> bool:
        """Delete one image of the product; False when it has no such image."""
        async with self._ledger.write() as tx:
            await _owned(tx, brand_id, gtin)
            row = await tx.fetchrow(
                "SELECT id FROM product_images WHERE id = ? AND gtin = ?", image_id, gtin
            )
            if row is None:
                return False
            await tx.execute("DELETE FROM product_images WHERE id = ?", image_id)
        return True

    async def image(self, brand_id: int, image_id: int) -> tuple[bytes, str, str] | None:
        """(bytes, media type, sha256) of an image of the brand's products, else None."""
        async with self._ledger.read() as tx:
            row = await tx.fetchrow(
                "SELECT i.data, i.media_type, i.sha256 FROM product_images i"
                " JOIN products p ON p.gtin = i.gtin WHERE i.id = ? AND p.brand_id = ?",
                image_id,
                brand_id,
            )
        if row is None:
            return None
        return bytes(row["data"]), str(row["media_type"]), str(row["sha256"])

    async def public_image(self, image_id: int) -> tuple[bytes, str, str] | None:
        """(bytes, media type, sha256) of any product image (public catalogue data)."""
        async with self._ledger.read() as tx:
            row = await tx.fetchrow(
                "SELECT data, media_type, sha256 FROM product_images WHERE id = ?", image_id
            )
        if row is None:
            return None
        return bytes(row["data"]), str(row["media_type"]), str(row["sha256"])

    async def search(self, query: SearchQuery) -> list[Product]:
        """One page of the brand's products matching ``query`` (without details)."""
        where = ["p.brand_id = ?"]
        args: list[Any] = [query.brand_id]
        async with self._ledger.read() as tx:
            if query.terms:
                match, match_args = tx.dialect.search_match("product_search", "s", query.terms)
                where.append(f"p.gtin IN (SELECT s.gtin FROM product_search s WHERE {match})")
                args += match_args
            if query.category_id is not None:
                where.append(_SUBTREE)
                args.append(query.category_id)
            if query.after is not None:
                where.append("p.gtin > ?")
                args.append(query.after)
            found = await tx.fetch(
                f"SELECT p.* FROM products p WHERE {' AND '.join(where)}"
                f" ORDER BY p.gtin LIMIT {int(query.limit)}",
                *args,
            )
        return [product_row(r) for r in found]
