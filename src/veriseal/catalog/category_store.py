"""All SQL of the category tree: read it, create, rename, move, reorder and delete nodes,
and put a product in a category.

Every write takes the brand's advisory lock ``categories:<brand id>`` and reads the
brand's whole tree inside its transaction, so the checks (no cycle, sibling names
unique, only empty nodes deleted) hold against concurrent writers. Positions among
siblings are always ``0..n-1``: every write that changes a sibling list renumbers it.
A rename or move rewrites, in the same transaction, the derived ``products.category``
path and search tokens of every product in the moved subtree
(:mod:`veriseal.ledger.catalog_sql`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from veriseal.catalog.errors import CategoryCycle, CategoryNameTaken, CategoryNotEmpty
from veriseal.errors import CategoryNotFound, ProductNotFound
from veriseal.ledger.base import Ledger, Row, Tx
from veriseal.ledger.catalog_sql import reindex_products
from veriseal.models import Category


@dataclass(frozen=True)
class _Node:
    id: int
    parent_id: int | None
    name: str
    name_en: str
    position: int


class _Tree:
    """One brand's tree as read inside a transaction."""

    def __init__(self, brand_id: int, rows: Sequence[Row]) -> None:
        self.brand_id = brand_id
        self.nodes = {
            int(r["id"]): _Node(
                int(r["id"]),
                None if r["parent_id"] is None else int(r["parent_id"]),
                str(r["name"]),
                str(r["name_en"]),
                int(r["position"]),
            )
            for r in rows
        }

    def get(self, category_id: int | None) -> _Node:
        node = self.nodes.get(category_id) if category_id is not None else None
        if node is None:
            raise CategoryNotFound(f"no category {category_id} in this brand")
        return node

    def children(self, parent_id: int | None) -> list[_Node]:
        found = [n for n in self.nodes.values() if n.parent_id == parent_id]
        return sorted(found, key=lambda n: (n.position, n.id))

    def chain(self, category_id: int) -> list[_Node]:
        out: list[_Node] = []
        current: int | None = category_id
        while current is not None:
            node = self.nodes[current]
            out.append(node)
            current = node.parent_id
        out.reverse()
        return out

    def subtree(self, category_id: int) -> list[int]:
        out, todo = [], [category_id]
        while todo:
            current = todo.pop()
            out.append(current)
            todo += [n.id for n in self.nodes.values() if n.parent_id == current]
        return out

    def record(self, category_id: int) -> Category:
        node = self.nodes[category_id]
        chain = self.chain(category_id)
        return Category(
            id=node.id,
            brand_id=self.brand_id,
            parent_id=node.parent_id,
            name=node.name,
            name_en=node.name_en,
            position=node.position,
            chain=tuple(n.id for n in chain),
            path=tuple(n.name for n in chain),
        )

    def check_name_free(self, parent_id: int | None, name: str, moving: int | None) -> None:
        for sibling in self.children(parent_id):
            if sibling.name == name and sibling.id != moving:
                raise CategoryNameTaken(f"a category named {name!r} is already there")


async def _tree(tx: Tx, brand_id: int) -> _Tree:
    found = await tx.fetch("SELECT * FROM categories WHERE brand_id = ?", brand_id)
    return _Tree(brand_id, found)


async def _lock(tx: Tx, brand_id: int) -> _Tree:
    await tx.advisory_lock(f"categories:{brand_id}")
    return await _tree(tx, brand_id)


async def _renumber(tx: Tx, ordered: Sequence[int]) -> None:
    await tx.executemany(
        "UPDATE categories SET position = ? WHERE id = ?",
        [(i, cid) for i, cid in enumerate(ordered)],
    )


def _placed(ids: list[int], category_id: int, position: int | None) -> list[int]:
    """``ids`` with ``category_id`` at ``position`` (clamped; None: last)."""
    rest = [i for i in ids if i != category_id]
    at = len(rest) if position is None else max(0, min(position, len(rest)))
    return [*rest[:at], category_id, *rest[at:]]


async def _rederive(tx: Tx, tree: _Tree, category_id: int) -> None:
    """Rewrite the derived path and search tokens of the products under ``category_id``."""
    gtins: list[str] = []
    for node_id in tree.subtree(category_id):
        path = "/".join(n.name for n in tree.chain(node_id))
        await tx.execute("UPDATE products SET category = ? WHERE category_id = ?", path, node_id)
        found = await tx.fetch("SELECT gtin FROM products WHERE category_id = ?", node_id)
        gtins += [str(r["gtin"]) for r in found]
    await reindex_products(tx, gtins)


class CategoryStore:
    """The category tree of every brand in one ledger (see the module docstring)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def tree(self, brand_id: int) -> list[Category]:
        """Every category of the brand, depth first, siblings by position."""
        async with self._ledger.read() as tx:
            tree = await _tree(tx, brand_id)
        out: list[Category] = []
        todo = list(reversed(tree.children(None)))
        while todo:
            node = todo.pop()
            out.append(tree.record(node.id))
            todo += list(reversed(tree.children(node.id)))
        return out

    async def create(
        self, brand_id: int, parent_id: int | None, name: str, name_en: str
    ) -> Category:
        """A new category, last among its siblings."""
        async with self._ledger.write() as tx:
            tree = await _lock(tx, brand_id)
            if parent_id is not None:
                tree.get(parent_id)
            tree.check_name_free(parent_id, name, None)
            new_id = await tx.insert_returning_id(
                "categories",
                {
                    "brand_id": brand_id,
                    "parent_id": parent_id,
                    "name": name,
                    "name_en": name_en,
                    "position": len(tree.children(parent_id)),
                    "created_at": dt.datetime.now(dt.UTC),
                },
            )
            tree = await _tree(tx, brand_id)
        return tree.record(new_id)

    async def rename(self, brand_id: int, category_id: int, name: str, name_en: str) -> Category:
        async with self._ledger.write() as tx:
            tree = await _lock(tx, brand_id)
            node = tree.get(category_id)
            tree.check_name_free(node.parent_id, name, category_id)
            await tx.execute(
                "UPDATE categories SET name = ?, name_en = ? WHERE id = ?",
                name,
                name_en,
                category_id,
            )
            tree = await _tree(tx, brand_id)
            await _rederive(tx, tree, category_id)
        return tree.record(category_id)

    async def move(
        self, brand_id: int, category_id: int, parent_id: int | None, position: int | None
    ) -> Category:
        """Put the category under ``parent_id`` (None: the top level) at ``position``
        (None: last). ``category_cycle`` if the parent is the node or below it."""
        async with self._ledger.write() as tx:
            tree = await _lock(tx, brand_id)
            node = tree.get(category_id)
            if parent_id is not None:
                tree.get(parent_id)
                if parent_id in tree.subtree(category_id):
                    raise CategoryCycle("a category cannot move under itself")
            tree.check_name_free(parent_id, node.name, category_id)
            await tx.execute(
                "UPDATE categories SET parent_id = ? WHERE id = ?", parent_id, category_id
            )
            old = [n.id for n in tree.children(node.parent_id) if n.id != category_id]
            new = _placed([n.id for n in tree.children(parent_id)], category_id, position)
            await _renumber(tx, old)
            await _renumber(tx, new)
            tree = await _tree(tx, brand_id)
            await _rederive(tx, tree, category_id)
        return tree.record(category_id)

    async def reorder(self, brand_id: int, category_id: int, position: int) -> Category:
        """Move the category to ``position`` among its siblings (clamped)."""
        async with self._ledger.write() as tx:
            tree = await _lock(tx, brand_id)
            node = tree.get(category_id)
            ids = [n.id for n in tree.children(node.parent_id)]
            await _renumber(tx, _placed(ids, category_id, position))
            tree = await _tree(tx, brand_id)
        return tree.record(category_id)

    async def delete(self, brand_id: int, category_id: int) -> None:
        """Delete an EMPTY category (``category_not_empty`` otherwise)."""
        async with self._ledger.write() as tx:
            tree = await _lock(tx, brand_id)
            node = tree.get(category_id)
            children = tree.children(category_id)
            held = await tx.fetchrow(
                "SELECT COUNT(*) AS n FROM products WHERE category_id = ?", category_id
            )
            products = int(held["n"]) if held is not None else 0
            if children or products:
                raise CategoryNotEmpty(
                    f"category {node.name!r} holds {len(children)} sub-categories and"
                    f" {products} products",
                    children=len(children),
                    products=products,
                )
            await tx.execute("DELETE FROM categories WHERE id = ?", category_id)
            rest = [n.id for n in tree.children(node.parent_id) if n.id != category_id]
            await _renumber(tx, rest)

    async def place_product(self, brand_id: int, gtin: str, category_id: int | None) -> None:
        """Put the product in ``category_id`` (None: in no category)."""
        async with self._ledger.write() as tx:
            tree = await _lock(tx, brand_id)
            path = ""
            if category_id is not None:
                tree.get(category_id)
                path = "/".join(n.name for n in tree.chain(category_id))
            row = await tx.fetchrow(
                "SELECT gtin FROM products WHERE brand_id = ? AND gtin = ?", brand_id, gtin
            )
            if row is None:
                raise ProductNotFound(f"no product with GTIN {gtin}")
            await tx.execute(
                "UPDATE products SET category_id = ?, category = ? WHERE gtin = ?",
                category_id,
                path,
                gtin,
            )
            await reindex_products(tx, [gtin])
