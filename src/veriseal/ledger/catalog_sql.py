"""Catalogue SQL the ledger itself needs: the category path of a product, the product
search index, and the data step of migration ``0018_categories``.

Two facts are kept DERIVED here, always in the transaction that changes what they are
made of: ``products.category`` (the names root -> leaf of ``products.category_id``,
joined by ``/``, which ``Product.category`` reads) and the ``product_search`` row of a
product (its tokens; see :mod:`veriseal.ledger.dialects.search`). The catalogue's
category store (:mod:`veriseal.catalog.category_store`) calls :func:`reindex_products`
after every rename or move.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from veriseal.ledger.base import Row, Tx

#: categories are read up the tree one level per query; a deeper chain is a loop
MAX_DEPTH = 32


async def category_chain(tx: Tx, category_id: int) -> list[Row]:
    """The category rows root -> ``category_id`` (``[]`` if it does not exist)."""
    chain: list[Row] = []
    current: int | None = category_id
    while current is not None and len(chain) < MAX_DEPTH:
        row = await tx.fetchrow("SELECT * FROM categories WHERE id = ?", current)
        if row is None:
            return []
        chain.append(row)
        current = row["parent_id"]
    chain.reverse()
    return chain


async def _child(tx: Tx, brand_id: int, parent_id: int | None, name: str) -> Row | None:
    if parent_id is None:
        return await tx.fetchrow(
            "SELECT * FROM categories WHERE brand_id = ? AND parent_id IS NULL AND name = ?",
            brand_id,
            name,
        )
    return await tx.fetchrow(
        "SELECT * FROM categories WHERE brand_id = ? AND parent_id = ? AND name = ?",
        brand_id,
        parent_id,
        name,
    )


async def sibling_count(tx: Tx, brand_id: int, parent_id: int | None) -> int:
    """How many categories ``parent_id`` (None: the top level) holds."""
    if parent_id is None:
        row = await tx.fetchrow(
            "SELECT COUNT(*) AS n FROM categories WHERE brand_id = ? AND parent_id IS NULL",
            brand_id,
        )
    else:
        row = await tx.fetchrow(
            "SELECT COUNT(*) AS n FROM categories WHERE parent_id = ?", parent_id
        )
    return int(row["n"]) if row is not None else 0


async def ensure_category_path(tx: Tx, brand_id: int, names: Sequence[str]) -> int | None:
    """The id of the node ``names`` (root -> leaf) of ``brand_id``'s tree, creating the
    missing nodes (each placed last among its siblings); None for an empty path."""
    parent: int | None = None
    for name in names:
        row = await _child(tx, brand_id, parent, name)
        if row is not None:
            parent = int(row["id"])
            continue
        position = await sibling_count(tx, brand_id, parent)
        parent = await tx.insert_returning_id(
            "categories",
            {
                "brand_id": brand_id,
                "parent_id": parent,
                "name": name,
                "name_en": "",
                "position": position,
                "created_at": dt.datetime.now(dt.UTC),
            },
        )
    return parent


async def _search_text(tx: Tx, product: Row) -> str:
    gtin = str(product["gtin"])
    parts = [product["name"], product["spec"], product["manufacturer"], gtin, gtin.lstrip("0")]
    if product["category_id"] is not None:
        for node in await category_chain(tx, int(product["category_id"])):
            parts += [node["name"], node["name_en"]]
    for spec in await tx.fetch(
        "SELECT name, value FROM product_specs WHERE gtin = ? ORDER BY position", gtin
    ):
        parts += [spec["name"], spec["value"]]
    return "\n".join(str(p) for p in parts if p)


async def reindex_products(tx: Tx, gtins: Sequence[str]) -> None:
    """Rewrite the search tokens of each product of ``gtins`` from its current row,
    category chain (names and English names) and specifications."""
    for gtin in gtins:
        product = await tx.fetchrow("SELECT * FROM products WHERE gtin = ?", gtin)
        if product is None:
            continue
        text = await _search_text(tx, product)
        found = await tx.fetchrow("SELECT id FROM product_search WHERE gtin = ?", gtin)
        if found is None:
            await tx.insert_returning_id(
                "product_search", {"gtin": gtin, "brand_id": product["brand_id"]}, search=text
            )
        else:
            await tx.dialect.replace_search(tx, "product_search", int(found["id"]), text)


async def categories_from_paths(tx: Tx) -> None:
    """Data step of ``0018_categories``: every distinct free-text path prefix of the
    existing products becomes one node of its brand's tree (siblings in the order of
    their first appearance, paths sorted), each product points at its leaf, and every
    product is indexed for search. Runs once, in the migration's transaction (so it is
    recorded, or rolled back, with the schema change)."""
    found = await tx.fetch(
        "SELECT gtin, brand_id, category FROM products ORDER BY brand_id, category, gtin"
    )
    for row in found:
        names = [p.strip() for p in str(row["category"]).split("/") if p.strip()]
        if not names:
            continue
        leaf = await ensure_category_path(tx, int(row["brand_id"]), names)
        await tx.execute(
            "UPDATE products SET category_id = ?, category = ? WHERE gtin = ?",
            leaf,
            "/".join(names),
            row["gtin"],
        )
    await reindex_products(tx, [str(r["gtin"]) for r in found])
