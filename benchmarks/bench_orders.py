"""Order submission end to end (create a priced draft, then submit it: verification,
dealer status, territory per line, re-pricing, promotion usage, the timeline, the
messages and the stream event), on a real ledger.

Usage::

    PYTHONPATH=src:plugins .venv/bin/python benchmarks/bench_orders.py [--orders 50]
        [--lines 3] [--rounds 5] [--ledger sqlite | postgresql://postgres@127.0.0.1/x]

Builds a brand with ``--lines`` products, a verified distributor granted its province,
a dealer price list and one promotion, then per round places ``--orders`` orders one
after another. It prints the MEDIAN orders per second over the rounds, next to the
baseline measured in the same run: quoting the same basket for the same dealer (the
pricing engine alone). The ratio (orders/s) / (quotes/s) is what everything an order
does besides pricing costs.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from veriseal.accounts.identity import uscc_check
from veriseal.accounts.models import SYSTEM, Principal, Role
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.models import Brand
from veriseal_commerce.engine import PriceRow, Promotion
from veriseal_commerce.orders import OrderRequest
from veriseal_commerce.service import of as commerce_of
from veriseal_territories.service import of as territories_of


def gtin(n: int) -> str:
    from veriseal.codes.gtin import gs1_check_digit  # noqa: PLC0415

    body = f"0950600{n:06d}"
    return body + str(gs1_check_digit(body))


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 400), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


async def world(engine: Engine, lines: int) -> tuple[Brand, Principal, list[tuple[str, int]]]:
    """The brand, the distributor's principal and the basket."""
    brand = await engine.brands.create("acme", "Acme Tea", "id.acme.example")
    gtins = [gtin(n) for n in range(1, lines + 1)]
    for g in gtins:
        await engine.catalogue.add(make_product(brand, g, f"Tea {g}", category="Tea"))
    t = territories_of(engine.plugins.context("territories"))
    await t.dealers.import_csv(
        SYSTEM, brand.id, "code,name,kind,parent,contact,phone,regions,status\n"
        "GD01,华南总代,distributor,,张三,13800000001,CN-GD,active\n",
    )  # fmt: skip
    org_id = (await t.dealers.find(brand.id, "GD01")).org_id
    user = await engine.accounts.create_user(SYSTEM, contact="13711110003", display_name="gd",
                                             role=Role.DISTRIBUTOR, org_id=org_id)  # fmt: skip
    dealer = await engine.accounts.principal(user)
    first = "91440100MA0000001"
    sub = await engine.kyc.submit_enterprise(dealer, "GD Co.", first + uscc_check(first), jpeg())
    await engine.kyc.review(SYSTEM, sub.id, True, "ok")
    await t.grants.grant(SYSTEM, brand.id, "GD01", "*", "CN-GD")
    p = commerce_of(engine.plugins.context("commerce")).pricing
    dealer_list = await p.add_list(SYSTEM, brand, "dealer")
    for g in gtins:
        await p.set_row(SYSTEM, brand, PriceRow(0, dealer_list.id, gtin=g, level="distributor",
                                                amount=1250))  # fmt: skip
    await p.add_promotion(SYSTEM, brand, Promotion(0, 0, "立减", "amount_off", amount=100))
    return brand, dealer, [(g, 3) for g in gtins]


async def measure(ledger: str, args: argparse.Namespace) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "bench.key"
        create_key_file(key)
        url = f"sqlite:///{tmp}/bench.db" if ledger == "sqlite" else ledger
        cfg = Config(None, url, KeySource(key_file=key), plugins=("territories", "commerce"))
        engine = await Engine.open(cfg)
        try:
            brand, dealer, basket = await world(engine, args.lines)
            c = commerce_of(engine.plugins.context("commerce"))
            orders, quotes = [], []
            for _ in range(args.rounds):
                start = time.perf_counter()
                for _ in range(args.orders):
                    d = await c.orders.create(dealer, brand, OrderRequest(basket, "440100", "x"))
                    await c.orders.submit(dealer, d.order_no)
                orders.append(args.orders / (time.perf_counter() - start))
                start = time.perf_counter()
                for _ in range(args.orders):
                    await c.pricing.quote(dealer, brand, None, basket, "440100")
                quotes.append(args.orders / (time.perf_counter() - start))
            return statistics.median(orders), statistics.median(quotes)
        finally:
            await engine.close()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--orders", type=int, default=50)
    p.add_argument("--lines", type=int, default=3)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--ledger", default="sqlite", help="sqlite, or a PostgreSQL URL")
    return p


def main(args: argparse.Namespace) -> int:
    orders, quotes = asyncio.run(measure(args.ledger, args))
    backend = "sqlite" if args.ledger == "sqlite" else "postgresql"
    print(f"{backend}: {args.orders} orders x {args.lines} lines per round")
    print(f"order submission end to end: {orders:.1f} orders/s (median of {args.rounds} rounds)")
    print(f"baseline, the quote alone: {quotes:.1f} quotes/s (median of {args.rounds} rounds)")
    print(f"ratio orders/quotes: {orders / quotes:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(parser().parse_args()))
