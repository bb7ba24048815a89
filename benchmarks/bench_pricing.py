"""Quote throughput of THE pricing engine (pure, in memory).

Usage::

    PYTHONPATH=src:plugins .venv/bin/python benchmarks/bench_pricing.py [--lines 20]
        [--rows 1000] [--promotions 200] [--quotes 200] [--rounds 5] [--seed 1]

Builds a brand's rules: ``--rows`` price rows (product, category, level, organisation,
region and tier rows over 200 products, ~1/3 of them derived from a base list with a
rounding rule) and ``--promotions`` active promotions of every benefit (most covering
some products or categories, with minimum amounts, priorities, a few exclusive ones),
then prices one ``--lines``-line basket ``--quotes`` times per round. It prints the
MEDIAN quotes per second over the rounds, next to the baseline measured in the same
run: the same basket against the same rows with no promotions. The ratio is
(with promotions) / (without): what the promotions cost a quote.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from decimal import Decimal

from veriseal_commerce.engine import (
    Basket,
    BasketLine,
    Buyer,
    PriceList,
    PriceRow,
    Promotion,
    Rules,
    price_basket,
)

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
PRODUCTS = [f"0950600{n:07d}" for n in range(200)]
CATEGORIES = list(range(1, 41))  # 40 leaves under 8 parents under one root (id 100)
LEVELS = ("distributor", "sub_distributor", "retailer", "consumer")
REGIONS = ("CN", "CN-GD", "440100", "440300", "CN-ZJ", "330100")


def chain(gtin: str) -> tuple[int, ...]:
    leaf = CATEGORIES[int(gtin[-3:]) % len(CATEGORIES)]
    return (leaf, 50 + leaf % 8, 100)


def rows(rng: random.Random, n: int) -> tuple[PriceRow, ...]:
    out = [PriceRow(1, 1, amount=10000), PriceRow(2, 2, base_list_id=1, percent=Decimal(70))]
    for i in range(3, n + 1):
        derived = rng.random() < 0.33
        scope = rng.random()
        out.append(
            PriceRow(
                id=i,
                list_id=2 if derived else 1,
                gtin=rng.choice(PRODUCTS) if scope < 0.6 else None,
                category_id=rng.choice(CATEGORIES) if 0.6 <= scope < 0.85 else None,
                level=rng.choice((*LEVELS, None)),
                org_id=rng.choice((None, None, 30, 31, 1)),
                region=rng.choice((None, *REGIONS)),
                min_qty=rng.choice((1, 1, 10, 50)),
                amount=0 if derived else rng.randint(500, 50000),
                base_list_id=1 if derived else None,
                percent=Decimal(rng.choice((60, 70, 85))),
                rounding=rng.choice(("none", "end_8", "end_9_9")),
            )
        )
    return tuple(out)


def promotions(rng: random.Random, n: int) -> tuple[Promotion, ...]:
    benefits = ("percent_off", "amount_off", "fixed_price", "tiered", "gift", "free_shipping")
    out = []
    for i in range(1, n + 1):
        out.append(
            Promotion(
                i,
                1,
                f"P{i}",
                rng.choice(benefits),
                priority=rng.randint(0, 5),
                exclusive=rng.random() < 0.02,
                gtins=tuple(rng.sample(PRODUCTS, rng.randint(0, 5))),
                category_ids=tuple(rng.sample(CATEGORIES, rng.randint(0, 2))),
                min_amount=rng.choice((0, 10000, 100000)),
                levels=rng.choice(((), ("distributor",), ("retailer",))),
                regions=rng.choice(((), ("CN-GD",), ("CN-ZJ",))),
                percent=Decimal(rng.randint(1, 10)),
                amount=rng.randint(100, 2000),
                tiers=((10, Decimal(2)), (50, Decimal(5))),
                buy_qty=10,
                gift_qty=1,
                gift_gtin=rng.choice(PRODUCTS),
                budget=rng.choice((None, 10**7)),
            )
        )
    return tuple(out)


def basket(rng: random.Random, lines: int) -> Basket:
    chosen = rng.sample(PRODUCTS, lines)
    buyer = Buyer(30, "distributor", (30, 1), ("440100", "CN-GD", "CN"), False)
    items = tuple(BasketLine(g, rng.randint(1, 60), chain(g)) for g in chosen)
    return Basket(1, "CNY", items, buyer, NOW)


def rate(b: Basket, rules: Rules, quotes: int) -> float:
    """Quotes per second for ``quotes`` quotes of ``b``."""
    start = time.perf_counter()
    for _ in range(quotes):
        price_basket(b, rules)
    return quotes / (time.perf_counter() - start)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", type=int, default=20)
    p.add_argument("--rows", type=int, default=1000)
    p.add_argument("--promotions", type=int, default=200)
    p.add_argument("--quotes", type=int, default=200)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    return p


def main(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    lists = (PriceList(1, 1, "retail"), PriceList(2, 1, "wholesale"))
    price_rows = rows(rng, args.rows)
    full = Rules(lists, price_rows, promotions(rng, args.promotions), {})
    bare = Rules(lists, price_rows, (), {})
    b = basket(rng, args.lines)
    quote = price_basket(b, full)
    with_p, without = [], []
    for _ in range(args.rounds):  # interleaved, so both see the same machine load
        with_p.append(rate(b, full, args.quotes))
        without.append(rate(b, bare, args.quotes))
    mw, mo = statistics.median(with_p), statistics.median(without)
    print(f"basket: {args.lines} lines; rules: {len(price_rows)} price rows, "
          f"{args.promotions} active promotions ({len(quote.promotions)} applied, "
          f"total {quote.total} of {quote.subtotal})")  # fmt: skip
    print(f"with promotions:    {mw:10.1f} quotes/s (median of {args.rounds} rounds)")
    print(f"without promotions: {mo:10.1f} quotes/s (median of {args.rounds} rounds, baseline)")
    print(f"ratio with/without: {mw / mo:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(parser().parse_args()))
