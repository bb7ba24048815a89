"""The category tree, product details and product search, on both backends: old
free-text paths migrate onto the tree, tree operations keep their rules, search finds
Chinese words (bigrams) and respects the category filter, descendants included."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from veriseal import (
    Category,
    CategoryNotFound,
    ProductNotFound,
    ProductSpec,
    ProductUnit,
    UnitKind,
)
from veriseal.catalog.errors import (
    CategoryCycle,
    CategoryNameInvalid,
    CategoryNameTaken,
    CategoryNotEmpty,
    ProductDetailInvalid,
    SearchInvalid,
)
from veriseal.catalog.products import make_product, parse_csv
from veriseal.engine import Engine
from veriseal.ledger import open_ledger
from veriseal.ledger.base import Tx
from veriseal.ledger.dialects.search import search_terms
from veriseal.ledger.migrate import migrations
from veriseal.models import Brand


def gtin(n: int) -> str:
    """A valid GTIN-14 (GS1 mod-10 check digit computed here, not by veriseal)."""
    body = f"0690{n:09d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


async def _add(
    engine: Engine, brand: Brand, n: int, name: str, category: str = "", **kw: str
) -> str:
    g = gtin(n)
    await engine.catalogue.add(make_product(brand, g, name, category=category, **kw))
    return g


def _by_path(tree: list[Category]) -> dict[tuple[str, ...], Category]:
    return {c.path: c for c in tree}


# -- migration of the old free-text paths -------------------------------------------------


#: old-style products: (brand id, gtin, name, free-text path)
OLD = [
    (1, gtin(1), "明前绿茶", "饮料/茶/绿茶"),
    (1, gtin(2), "Sencha", "饮料/茶/绿茶"),
    (1, gtin(3), "红茶", "饮料/茶/红茶"),
    (1, gtin(4), "Wine", "饮料/Wine"),
    (1, gtin(5), "Loose", ""),
    (2, gtin(6), "Other brand tea", "饮料/茶"),
]


async def _ledger_at_0017_with_old_products(tx: Tx) -> None:
    now = dt.datetime.now(dt.UTC)
    await tx.execute(tx.dialect.schema_migrations_ddl)
    for name, statements in migrations(tx.dialect.name):
        if name >= "0018":
            break
        for statement in statements:
            await tx.execute(statement)
        await tx.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", name, now
        )
    for slug in ("a", "b"):
        await tx.execute(
            "INSERT INTO brands (slug, name, resolver, created_at) VALUES (?, ?, ?, ?)",
            *(slug, slug, "r.example", now),
        )
    for brand_id, g, name, path in OLD:
        await tx.execute(
            "INSERT INTO products (gtin, brand_id, name, category) VALUES (?, ?, ?, ?)",
            *(g, brand_id, name, path),
        )


def _path_of(by_id: dict[int, Any], cid: int | None) -> str:
    names: list[str] = []
    while cid is not None:
        names.insert(0, by_id[cid]["name"])
        cid = by_id[cid]["parent_id"]
    return "/".join(names)


def _expected_nodes() -> set[tuple[int, str]]:
    """One node per distinct (brand, path prefix), computed from the paths alone."""
    out = set()
    for brand_id, _g, _n, path in OLD:
        parts = [p for p in path.split("/") if p]
        out |= {(brand_id, "/".join(parts[:i])) for i in range(1, len(parts) + 1)}
    return out


async def test_old_paths_migrate_onto_the_tree(ledger_url: str) -> None:
    led = await open_ledger(ledger_url)
    try:
        async with led.write() as tx:  # a ledger as released before the tree
            await _ledger_at_0017_with_old_products(tx)
        applied = await led.migrate()
        assert applied[0].startswith("0018")
        async with led.read() as tx:
            cats = await tx.fetch("SELECT * FROM categories")
            prods = {r["gtin"]: r for r in await tx.fetch("SELECT * FROM products")}
        by_id = {r["id"]: r for r in cats}
        assert {(r["brand_id"], _path_of(by_id, r["id"])) for r in cats} == _expected_nodes()
        for brand_id, g, _n, path in OLD:
            row = prods[g]
            assert _path_of(by_id, row["category_id"]) == path  # "" for no category
            if path:
                assert by_id[row["category_id"]]["brand_id"] == brand_id
            assert row["category"] == path  # the derived copy is unchanged
        assert await led.migrate() == []  # the data step ran once, with its file
    finally:
        await led.close()
    engine_search = await open_ledger(ledger_url)  # and the old products are searchable
    try:
        for query in ("绿茶", "明前", "Wine", "Loose"):
            async with engine_search.read() as tx:
                match, args = tx.dialect.search_match("product_search", "s", search_terms(query))
                found = await tx.fetch(f"SELECT s.gtin FROM product_search s WHERE {match}", *args)
            expected = {g for _b, g, n, path in OLD if query in n or query in path}
            assert {r["gtin"] for r in found} == expected, query
    finally:
        await engine_search.close()


# -- the tree ------------------------------------------------------------------------------


async def test_old_style_add_builds_the_tree_and_product_keeps_its_path(
    engine: Engine, brand: Brand
) -> None:
    tree = _by_path(await engine.catalogue.categories.tree(brand))
    green = tree[("Beverages", "Tea", "Green")]
    assert green.chain == (
        tree[("Beverages",)].id,
        tree[("Beverages", "Tea")].id,
        green.id,
    )
    product = await engine.catalogue.get(brand, "09506000134352")
    assert product.category_id == green.id
    assert product.category == ("Beverages", "Tea", "Green")


async def test_rename_and_move_carry_the_products_path(engine: Engine, brand: Brand) -> None:
    cats = engine.catalogue.categories
    tree = _by_path(await cats.tree(brand))
    tea = tree[("Beverages", "Tea")]
    await cats.rename(brand, tea.id, "茶", "Tea")
    product = await engine.catalogue.get(brand, "09506000134352")
    assert product.category == ("Beverages", "茶", "Green")
    top = await cats.create(brand, "礼品")
    moved = await cats.move(brand, tea.id, top.id)
    assert moved.path == ("礼品", "茶")
    assert moved.chain == (top.id, tea.id)
    product = await engine.catalogue.get(brand, "09506000134352")
    assert product.category == ("礼品", "茶", "Green")
    # and search follows the new names
    assert [p.gtin for p in await engine.catalogue.search(brand, "礼品")] == [product.gtin]
    assert await engine.catalogue.search(brand, "Beverages") == []


async def test_tree_rules(engine: Engine, brand: Brand) -> None:
    cats = engine.catalogue.categories
    tree = _by_path(await cats.tree(brand))
    bev, tea, green = (
        tree[p] for p in [("Beverages",), ("Beverages", "Tea"), ("Beverages", "Tea", "Green")]
    )
    before = await cats.tree(brand)
    with pytest.raises(CategoryCycle):
        await cats.move(brand, bev.id, green.id)
    with pytest.raises(CategoryCycle):
        await cats.move(brand, tea.id, tea.id)
    with pytest.raises(CategoryNotEmpty):
        await cats.delete(brand, green.id)  # holds a product
    with pytest.raises(CategoryNotEmpty):
        await cats.delete(brand, bev.id)  # holds a sub-category
    with pytest.raises(CategoryNameTaken):
        await cats.create(brand, "Tea", parent_id=bev.id)
    for bad in ("", "  ", "a/b", "x" * 65, "tab\there"):
        with pytest.raises(CategoryNameInvalid):
            await cats.create(brand, bad)
    with pytest.raises(CategoryNotFound):
        await cats.create(brand, "orphan", parent_id=999_999)
    assert await cats.tree(brand) == before  # nothing changed
    other = await engine.brands.create("other", "Other", "id.other.example")
    with pytest.raises(CategoryNotFound):  # never into another brand's tree
        await cats.move(other, tea.id, None)
    theirs = await cats.create(other, "Theirs")
    with pytest.raises(CategoryNotFound):
        await cats.move(brand, tea.id, theirs.id)
    assert await cats.tree(brand) == before


async def test_reorder_and_delete_renumber_siblings(engine: Engine, brand: Brand) -> None:
    cats = engine.catalogue.categories
    made = [await cats.create(brand, name) for name in ("A", "B", "C")]
    await cats.reorder(brand, made[2].id, 0)
    tops = [c for c in await cats.tree(brand) if c.parent_id is None]
    assert [c.name for c in tops] == ["C", "Beverages", "A", "B"]
    assert [c.position for c in tops] == [0, 1, 2, 3]
    await cats.delete(brand, made[0].id)
    tops = [c for c in await cats.tree(brand) if c.parent_id is None]
    assert [(c.name, c.position) for c in tops] == [("C", 0), ("Beverages", 1), ("B", 2)]


# -- details and search --------------------------------------------------------------------


async def test_specs_units_and_search(engine: Engine, brand: Brand) -> None:
    cats = engine.catalogue.categories
    tree = _by_path(await cats.tree(brand))
    green = tree[("Beverages", "Tea", "Green")]
    red = await cats.create(brand, "红茶", parent_id=tree[("Beverages", "Tea")].id)
    g1 = await _add(engine, brand, 11, "明前绿茶礼盒", manufacturer="杭州茶厂")
    g2 = await _add(engine, brand, 12, "正山小种红茶")
    g3 = await _add(engine, brand, 13, "Riesling", category="Beverages/Wine")
    await cats.place(brand, g1, green.id)
    await cats.place(brand, g2, red.id)
    await engine.catalogue.details.set_specs(brand, g1, [("净含量", "250克"), ("产地", "西湖")])
    await engine.catalogue.details.set_units(brand, g1, [("item", 1, None), ("case", 12, gtin(90))])
    p1 = await engine.catalogue.get(brand, g1)
    assert p1.specs == (ProductSpec("净含量", "250克"), ProductSpec("产地", "西湖"))
    assert p1.units == (ProductUnit(UnitKind.ITEM, 1), ProductUnit(UnitKind.CASE, 12, gtin(90)))

    async def found(q: str, **kw: object) -> set[str]:
        return {p.gtin for p in await engine.catalogue.search(brand, q, **kw)}  # type: ignore[arg-type]

    assert await found("绿茶") == {g1}  # not 红茶
    assert await found("红茶") == {g2}
    assert await found("茶") == {g1, g2}  # a single character matches
    assert await found("西湖") == {g1}  # a specification value
    assert await found("杭州") == {g1}  # the manufacturer
    assert await found(g3.lstrip("0")) == {g3}  # a GTIN without its leading zeros
    assert await found("wine") == {g3}  # a category name
    assert await found("绿茶 礼盒") == {g1}
    assert await found("绿茶 红酒") == set()  # every word must occur
    tea = tree[("Beverages", "Tea")].id
    assert await found("", category_id=tea) == {"09506000134352", g1, g2}  # descendants
    assert await found("茶", category_id=red.id) == {g2}
    everything = await found("")
    assert everything == {"09506000134352", g1, g2, g3}


async def test_search_pages_by_gtin(engine: Engine, brand: Brand) -> None:
    made = sorted([await _add(engine, brand, 20 + i, f"绿茶 {i}") for i in range(7)])
    pages: list[list[str]] = []
    after = None
    while True:
        page = await engine.catalogue.search(brand, "绿茶", limit=3, after=after)
        if not page:
            break
        pages.append([p.gtin for p in page])
        after = page[-1].gtin
    assert [g for page in pages for g in page] == made
    assert [len(p) for p in pages] == [3, 3, 1]


async def test_bad_details_and_searches_are_refused(engine: Engine, brand: Brand) -> None:
    g = "09506000134352"
    details = engine.catalogue.details
    for units in (
        [("item", 2, None)],
        [("case", 1, None)],
        [("box", 6, None)],
        [("case", 6, None), ("case", 12, None)],
        [("case", 6, g)],
        [("case", 6, "123")],
    ):
        with pytest.raises(ProductDetailInvalid):
            await details.set_units(brand, g, units)
    with pytest.raises(ProductDetailInvalid):
        await details.set_specs(brand, g, [("", "x")])
    with pytest.raises(ProductDetailInvalid):
        await details.set_specs(brand, g, [("a", "b\x00")])
    assert (await engine.catalogue.get(brand, g)).units == ()
    for kw in ({"limit": 0}, {"limit": 201}, {"after": "nope"}):
        with pytest.raises(SearchInvalid):
            await engine.catalogue.search(brand, "", **kw)  # type: ignore[arg-type]
    with pytest.raises(CategoryNotFound):
        await engine.catalogue.search(brand, "", category_id=987654)


async def test_plugin_context_reads_the_tree_and_searches(engine: Engine, brand: Brand) -> None:
    ctx = engine.plugins.context("territories")
    tree = await ctx.categories(brand)
    assert [c.path for c in tree] == [
        ("Beverages",),
        ("Beverages", "Tea"),
        ("Beverages", "Tea", "Green"),
    ]
    leaf = tree[-1]
    assert await ctx.category_chain(brand, "09506000134352") == tuple(reversed(leaf.chain))
    found = await ctx.search_products(brand, "green", category_id=tree[0].id)
    assert [p.gtin for p in found] == ["09506000134352"]
    assert found[0].category_id == leaf.id
    assert (await ctx.product(brand, "09506000134352")).category_id == leaf.id


async def test_add_by_category_id_and_csv_import_land_in_the_tree(
    engine: Engine, brand: Brand
) -> None:
    cats = engine.catalogue.categories
    tree = _by_path(await cats.tree(brand))
    green = tree[("Beverages", "Tea", "Green")]
    g = gtin(40)
    await engine.catalogue.add(
        dataclasses.replace(make_product(brand, g, "By id"), category_id=green.id)
    )
    assert (await engine.catalogue.get(brand, g)).category == ("Beverages", "Tea", "Green")
    other = await engine.brands.create("other", "Other", "id.other.example")
    theirs = await cats.create(other, "Theirs")
    with pytest.raises(CategoryNotFound):  # never another brand's node
        await engine.catalogue.add(
            dataclasses.replace(make_product(brand, gtin(41), "X"), category_id=theirs.id)
        )
    with pytest.raises(ProductNotFound):  # and nothing of it was stored
        await engine.catalogue.get(brand, gtin(41))
    rows, errors = parse_csv(brand, f"gtin,name,类目\n{gtin(42)},乌龙,饮料/茶/乌龙\n")
    report = await engine.catalogue.import_products(brand, rows, errors, skip_bad=False)
    assert report.imported == 1
    paths = {c.path for c in await cats.tree(brand)}
    assert ("饮料", "茶", "乌龙") in paths
    assert [p.gtin for p in await engine.catalogue.search(brand, "乌龙")] == [gtin(42)]
