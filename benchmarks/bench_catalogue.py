"""Catalogue throughput: adding products onto the category tree, and product search.

Usage::

    PYTHONPATH=src python benchmarks/bench_catalogue.py [--n 3000] [--repeat 3]
                                                        [--queries 200]
                                                        [--backend sqlite|postgres|both]

Each figure is the MEDIAN of ``--repeat`` runs on a fresh ledger, beside a baseline
measured in the same run on the same ledger, with the ratio:

- add: ``Catalogue.add`` of products with a three-level category path (one transaction
  each: product row, tree placement, derived path, search tokens) vs the same number of
  one-row INSERT transactions into a bare table (the ledger's commit cost alone);
- search: ``Catalogue.search`` for two-character Chinese words (a page of 50, with
  details) vs a page of 50 read straight from ``products`` by GTIN (a plain indexed read);
- browse: a category filter (sub-categories included) without words vs the same
  baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench_ledgers import drop, fresh_ledger
from veriseal.catalog.products import Catalogue, make_product
from veriseal.ledger import Ledger
from veriseal.models import Brand

TEAS = ["绿茶", "红茶", "乌龙", "白茶", "普洱", "花茶"]
PLACES = ["杭州", "福建", "云南", "安徽", "四川"]
WORDS = ["礼盒", "散装", "特级", "明前", "高山"]


def gtin(n: int) -> str:
    body = f"0691{n:09d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


async def rate(n: int, step: Callable[[int], Awaitable[object]]) -> float:
    t0 = time.perf_counter()
    for k in range(n):
        await step(k)
    return n / (time.perf_counter() - t0)


async def add_figures(
    ledger: Ledger, catalogue: Catalogue, brand: Brand, n: int
) -> dict[str, float]:
    async with ledger.write() as tx:
        await tx.execute("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, body TEXT)")

    async def bare(k: int) -> None:
        async with ledger.write() as tx:
            await tx.execute("INSERT INTO bench_rows (id, body) VALUES (?, ?)", k + 1, "绿茶")

    async def add(k: int) -> None:
        tea, place, word = TEAS[k % 6], PLACES[k % 5], WORDS[k % 7 % 5]
        await catalogue.add(make_product(
            brand, gtin(k), f"{place}{word}{tea} {k}", manufacturer=f"{place}茶厂",
            category=f"茶叶/{tea}/{place}",
        ))  # fmt: skip

    return {"base_add": await rate(n, bare), "add": await rate(n, add)}


async def read_figures(ledger: Ledger, catalogue: Catalogue, brand: Brand, queries: int
                       ) -> dict[str, float]:  # fmt: skip
    top = [c.id for c in await catalogue.categories.tree(brand) if len(c.chain) == 2]

    async def plain(k: int) -> None:
        async with ledger.read() as tx:
            await tx.fetch(
                "SELECT * FROM products WHERE brand_id = ? AND gtin > ? ORDER BY gtin LIMIT 50",
                brand.id, gtin(k * 7),
            )  # fmt: skip

    async def search(k: int) -> None:
        await catalogue.search(brand, TEAS[k % 6] + " " + PLACES[k % 5], limit=50)

    async def browse(k: int) -> None:
        await catalogue.search(brand, "", category_id=top[k % len(top)], limit=50)

    return {
        "base_read": await rate(queries, plain),
        "search": await rate(queries, search),
        "browse": await rate(queries, browse),
    }


async def one_run(backend: str, args: argparse.Namespace, tmp: Path, i: int) -> dict[str, float]:
    ledger, name = await fresh_ledger(backend, tmp, f"veriseal_bench_catalogue_{i}")
    try:
        catalogue = Catalogue(ledger)
        brand = await ledger.create_brand("bench", "Bench", "id.bench.example")
        figures = await add_figures(ledger, catalogue, brand, args.n)
        return figures | await read_figures(ledger, catalogue, brand, args.queries)
    finally:
        await ledger.close()
        await drop(name)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    return ap


async def main(args: argparse.Namespace) -> int:
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            runs = [await one_run(backend, args, Path(tmp), i) for i in range(args.repeat)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(f"{backend}: n={args.n} products, {args.queries} queries, "
                  f"medians of {args.repeat} runs")  # fmt: skip
            ratio = med["add"] / med["base_add"]
            print(f"  add     {med['add']:8.0f} products/s   baseline one-row commit"
                  f" {med['base_add']:8.0f}/s   ratio {ratio:.2f}")  # fmt: skip
            for key in ("search", "browse"):
                print(f"  {key:7} {med[key]:8.0f} pages/s      baseline page by GTIN"
                      f"   {med['base_read']:8.0f}/s   ratio {med[key] / med['base_read']:.2f}"
                      )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parser().parse_args())))
