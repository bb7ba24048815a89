"""Dealer recommendations on a simulated ordering channel, against a popularity baseline.

The world's truth is the simulation's own ordering process; it owes nothing to the
recommender's scoring (only the ``Purchase`` record type is shared):

- **Products** (``--products``) in categories, each category cut into *complementary
  groups* of 3-6 products that are bought together (a cleaner and its refill). Each
  product has a global appeal (Zipf-like); each category a seasonal swing (amplitude up
  to 80 %, its own phase); about 12 % of products are *launched* during the period.
- **Regions** (8): each has its own taste over the groups.
- **Dealers** (``--dealers``): a size (log-normal) that sets how often it orders (every
  3-60 days, mean gap shrinking with size) and its units; a region; a *staple set*
  (4-40 products, drawn as whole-or-partial groups mostly from its region's taste); each
  staple with its own re-order cycle (1, 2 or 3 of the dealer's order gaps). 15 % of
  dealers join the channel during the period.
- **An order**: each due staple (days since last bought >= 0.8 x cycle) goes in with
  probability 85 % x the season; a staple not yet due with 4 %; each line pulls a group
  mate in with 25 %; plus Poisson(0.6) noise lines drawn by global appeal. Staple sets
  drift: with 3 % per order the dealer adopts a new product (a recent launch if any,
  else one of its groups' products) and drops its oldest staple half the time.

Evaluation (``veriseal_analytics.rec_eval.evaluate``): each dealer's latest order is held
out; the recommender and the popularity baseline are fitted on the same training lines;
hit-rate@10, MAP@10, precision@10 and NDCG@10 as in the ``implicit`` library.

Run: ``python benchmarks/sim_rec_channel.py`` (2,000 dealers, ~1 minute) or ``--large``
(10,000 dealers, 2,000 products, about a million lines).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from veriseal_analytics.rec_eval import EvalReport, evaluate
from veriseal_analytics.recommend import Purchase, RecommenderConfig

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
START = dt.date(2025, 1, 1)
REGIONS = 8


@dataclass(frozen=True, eq=False)
class World:
    """Products, their groups, appeal, season and launch day."""

    gtins: list[str]
    group: IntArray  # product -> group
    members: list[IntArray]  # group -> products
    appeal: FloatArray  # product -> global appeal (sums to 1)
    launch: IntArray  # product -> first day on sale
    season: FloatArray  # [product, day] -> demand factor
    taste: FloatArray  # [region, group] -> preference (rows sum to 1)


def _gtin(n: int) -> str:
    """A GTIN-13 with a valid check digit, in the 690 (China) prefix."""
    body = f"690{n:09d}"
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def make_world(products: int, days: int, rng: np.random.Generator) -> World:
    """Products in categories of complementary groups, with appeal, season and launch."""
    group = np.zeros(products, np.int64)
    members: list[IntArray] = []
    cat_of_group: list[int] = []
    i, cat = 0, 0
    while i < products:
        size = int(rng.integers(3, 7))
        members.append(np.arange(i, min(i + size, products), dtype=np.int64))
        group[i : i + size] = len(members) - 1
        cat_of_group.append(cat)
        if rng.random() < 0.12:  # about 8 groups per category
            cat += 1
        i += size
    n_cat = cat + 1
    appeal = 1.0 / np.arange(1, products + 1) ** 0.8
    appeal = rng.permutation(appeal)
    appeal /= appeal.sum()
    launch = np.where(
        rng.random(products) < 0.12, rng.integers(30, max(days - 30, 31), products), 0
    )
    amp = rng.uniform(0.0, 0.8, n_cat)
    phase = rng.uniform(0.0, 2 * math.pi, n_cat)
    t = np.arange(days + 1) * 2 * math.pi / 365.0
    cat_season = 1.0 + amp[:, None] * np.sin(t[None, :] + phase[:, None])
    season = cat_season[np.asarray(cat_of_group)[group]]
    taste = rng.dirichlet(np.full(len(members), 0.3), REGIONS)
    return World([_gtin(k + 1) for k in range(products)], group, members,
                 np.asarray(appeal, np.float64),
                 launch.astype(np.int64), season, taste)  # fmt: skip


@dataclass(eq=False)
class _Dealer:
    gap: float
    scale: float
    staples: IntArray
    cycle: FloatArray
    last: FloatArray
    region: int


def _staples(world: World, region: int, n: int, rng: np.random.Generator) -> IntArray:
    """``n`` products taken as partial groups, mostly from the region's taste."""
    pref = 0.7 * world.taste[region] + 0.3 / len(world.members)
    chosen: list[int] = []
    while len(chosen) < n:
        g = int(rng.choice(len(world.members), p=pref))
        mem = world.members[g]
        take = rng.choice(mem, size=int(rng.integers(1, len(mem) + 1)), replace=False)
        chosen.extend(int(x) for x in take if int(x) not in chosen)
    return np.asarray(chosen[:n], np.int64)


def _dealer(world: World, start: int, rng: np.random.Generator) -> _Dealer:
    size = float(rng.lognormal(0.0, 0.8))
    gap = float(np.clip(24.0 / math.sqrt(size), 3.0, 60.0))
    region = int(rng.integers(REGIONS))
    staples = _staples(world, region, int(np.clip(round(5 + 5 * size), 4, 40)), rng)
    cycle = gap * rng.choice([1.0, 1.0, 1.0, 2.0, 2.0, 3.0], len(staples))
    last = start - rng.uniform(0.0, 1.0, len(staples)) * cycle
    return _Dealer(gap, size, staples, cycle, last, region)


def _drift(world: World, d: _Dealer, day: int, rng: np.random.Generator) -> None:
    """Adopt a new product (a recent launch if any), sometimes dropping the oldest staple."""
    recent = np.flatnonzero((world.launch <= day) & (world.launch > day - 60) & (world.launch > 0))
    if len(recent) and rng.random() < 0.6:
        new = int(rng.choice(recent))
    else:
        new = int(rng.choice(world.members[int(world.group[int(rng.choice(d.staples))])]))
    if new in d.staples:
        return
    d.staples = np.append(d.staples, new)
    d.cycle = np.append(d.cycle, d.gap * float(rng.choice([1.0, 2.0])))
    d.last = np.append(d.last, float(day) - d.gap)
    if rng.random() < 0.5:
        oldest = int(np.argmin(d.last[:-1]))
        keep = np.arange(len(d.staples)) != oldest
        d.staples, d.cycle, d.last = d.staples[keep], d.cycle[keep], d.last[keep]


def _basket(world: World, d: _Dealer, day: int, rng: np.random.Generator) -> list[int]:
    """Products in one order of ``d`` on ``day``."""
    on_sale = world.launch[d.staples] <= day
    due = (day - d.last) >= 0.8 * d.cycle
    p = np.where(due, 0.85 * world.season[d.staples, day], 0.04)
    take = on_sale & (rng.random(len(d.staples)) < np.clip(p, 0.0, 1.0))
    items = [int(x) for x in d.staples[take]]
    d.last[take] = day
    for it in list(items):
        if rng.random() < 0.25:
            mate = int(rng.choice(world.members[int(world.group[it])]))
            if world.launch[mate] <= day and mate not in items:
                items.append(mate)
    for _ in range(int(rng.poisson(0.6))):
        noise = int(rng.choice(len(world.gtins), p=world.appeal))
        if world.launch[noise] <= day and noise not in items:
            items.append(noise)
    return items


def generate(
    dealers: int = 2000, products: int = 1000, days: int = 365, seed: int = 1,
    *, start: dt.date = START, progress: bool = False,
) -> list[Purchase]:  # fmt: skip
    """Purchase lines of ``dealers`` dealers (ids 1..dealers) over ``days`` days from
    ``start``; order ids are unique over the channel. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    world = make_world(products, days, rng)
    out: list[Purchase] = []
    order_id = 0
    for dealer_id in range(1, dealers + 1):
        first = int(rng.integers(0, days * 2 // 3)) if rng.random() < 0.15 else 0
        d = _dealer(world, first, rng)
        day = first + float(rng.uniform(0.0, d.gap))
        while day < days:
            today = int(day)
            if rng.random() < 0.03:
                _drift(world, d, today, rng)
            items = _basket(world, d, today, rng)
            if items:
                order_id += 1
                date = start + dt.timedelta(days=today)
                for it in items:
                    units = max(1, int(rng.poisson(2.0 * d.scale)))
                    out.append(Purchase(dealer_id, order_id, date, world.gtins[it], units))
            day += max(1.0, d.gap * float(rng.gamma(4.0, 0.25)))
        if progress and dealer_id % 1000 == 0:
            print(f"  generated {dealer_id}/{dealers} dealers, {len(out)} lines",
                  file=sys.stderr, flush=True)  # fmt: skip
    return out


def _row(name: str, s: object) -> str:
    vals = [getattr(s, f) for f in ("hit_rate", "map", "precision", "ndcg")]
    return f"{name:<14}" + "".join(f"{v:>14.4f}" for v in vals)


def format_report(
    r: EvalReport, lines: int, gen_seconds: float, own: EvalReport | None = None
) -> str:
    """The figures as a small table (what the CLI prints); ``own`` is the same run with
    the co-ordering switched off (the dealer's own history only), for comparison."""
    names = (f"hit-rate@{r.k}", f"MAP@{r.k}", f"precision@{r.k}", f"NDCG@{r.k}")
    head = f"{'':<14}" + "".join(f"{h:>14}" for h in names)
    return "\n".join([
        f"lines {lines}, training lines {r.train_lines}, dealers evaluated {r.dealers}",
        head,
        _row("recommender", r.recommender),
        _row("popularity", r.baseline),
        _row("ratio", r.ratio),
        *([_row("own history", own.recommender)] if own is not None else []),
        f"generate {gen_seconds:.1f} s, fit {r.fit_seconds:.2f} s, "
        f"recommend median {r.recommend_ms_median:.2f} ms per dealer",
        "recommender beats popularity on hit-rate and MAP: "
        + ("yes" if r.beats_baseline else "NO"),
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--dealers", type=int, default=2000)
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--large", action="store_true",
                    help="10,000 dealers, 2,000 products (about a million lines)")  # fmt: skip
    a = ap.parse_args(argv)
    if a.large:
        a.dealers, a.products = 10000, 2000
    t0 = time.perf_counter()
    print(f"generating {a.dealers} dealers, {a.products} products, {a.days} days, "
          f"seed {a.seed}", file=sys.stderr, flush=True)  # fmt: skip
    purchases = generate(a.dealers, a.products, a.days, a.seed, progress=True)
    gen = time.perf_counter() - t0
    print(f"evaluating {len(purchases)} lines", file=sys.stderr, flush=True)
    report = evaluate(purchases, k=a.k)
    own = evaluate(purchases, k=a.k, config=RecommenderConfig(co_weight=0.0))
    print(format_report(report, len(purchases), gen, own))
    return 0


if __name__ == "__main__":
    sys.exit(main())
