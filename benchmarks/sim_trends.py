"""Accuracy of the analytics plugin's spike and drop detection on simulated regional sales.

The ground truth owes nothing to the code under test: this file has its own generator.

**The world** (seeded): ``--regions`` regions, each a daily series of ``--days`` days
(default 12 x 730, two years) made of

- a level (200 to 2,000 units a day) growing or shrinking linearly by -20 % to +60 %
  over the run;
- a weekly season (each weekday a fixed multiple of the level, weekend +15 % to +35 %)
  and a yearly season (a sine of amplitude 5 % to 20 % of the level, peak at a random
  day, plus a Spring Festival dip of 20 % to 40 % over 10 days, moving by year);
- noise: Gaussian with a standard deviation of 4 % to 10 % of the day's expected value.

**Injected anomalies**: ``--events`` per region (default 8), on distinct days at least
10 days apart and not in the first 21 days (no history to judge them by): half
*spikes* (a promotion, a bulk order: + 5 to 12 noise standard deviations) and half
*drops* (a stock-out, an outage: the day falls to 10 % to 50 % of its expected value,
always at least 5 standard deviations below it).

**Scoring**, per kind: a reported anomaly of that kind on an injected day of that kind
is a true positive; any other report of that kind is a false positive; an injected day
not reported as its kind is a miss. The baseline, in the same run on the same series,
is a fixed 3-sigma rule on the raw series (mean +- 3 standard deviations of the whole
series).

Run: ``python benchmarks/sim_trends.py [--regions 12] [--days 730] [--events 8]
[--seed 19] [--threshold 3.5] [--window 28]`` (under a second for the default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from veriseal_analytics.spikes import detect

START = dt.date(2025, 1, 1)
#: Spring Festival (正月初一) of the simulated years, from the Chinese calendar.
SPRING_FESTIVAL = {
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
}


@dataclass
class Region:
    values: np.ndarray
    dates: list[dt.date]
    truth: dict[dt.date, str] = field(default_factory=dict)


def simulate(rng: np.random.Generator, days: int, events: int) -> Region:
    t = np.arange(days)
    dates = [START + dt.timedelta(days=int(i)) for i in t]
    level = rng.uniform(200, 2000) * (1 + rng.uniform(-0.2, 0.6) * t / days)
    week = rng.uniform(0.85, 1.05, 7)
    week[[d.weekday() for d in dates[:7]].index(5)] = rng.uniform(1.15, 1.35)
    week[[d.weekday() for d in dates[:7]].index(6)] = rng.uniform(1.15, 1.35)
    week /= week.mean()
    year = 1 + rng.uniform(0.05, 0.2) * np.sin(2 * np.pi * (t - rng.uniform(0, 365)) / 365.25)
    dip = np.ones(days)
    for festival in SPRING_FESTIVAL.values():
        at = (festival - START).days
        if 0 <= at < days:
            dip[max(0, at - 3) : at + 7] -= rng.uniform(0.2, 0.4)
    expected = level * week[t % 7] * year * dip
    sigma = expected * rng.uniform(0.04, 0.10)
    values = expected + rng.normal(0, 1, days) * sigma
    region = Region(values=values, dates=dates)
    chosen: list[int] = []
    while len(chosen) < events:
        day = int(rng.integers(21, days))
        if all(abs(day - c) >= 10 for c in chosen):
            chosen.append(day)
    for k, day in enumerate(chosen):
        if k % 2 == 0:
            values[day] = expected[day] + rng.uniform(5, 12) * sigma[day]
            region.truth[dates[day]] = "spike"
        else:
            low = min(rng.uniform(0.1, 0.5) * expected[day], expected[day] - 5 * sigma[day])
            values[day] = max(0.0, low)
            region.truth[dates[day]] = "drop"
    return region


def baseline(values: np.ndarray, dates: list[dt.date]) -> dict[dt.date, str]:
    mean, std = float(values.mean()), float(values.std())
    found: dict[dt.date, str] = {}
    for day, v in zip(dates, values, strict=True):
        if v > mean + 3 * std:
            found[day] = "spike"
        elif v < mean - 3 * std:
            found[day] = "drop"
    return found


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def f1(self) -> float:
        p, r = self.precision(), self.recall()
        return 2 * p * r / (p + r) if p + r else 0.0


def score(
    found: Mapping[dt.date, str], truth: Mapping[dt.date, str], tallies: dict[str, Tally]
) -> None:
    for kind, tally in tallies.items():
        for day, k in found.items():
            if k != kind:
                continue
            if truth.get(day) == kind:
                tally.tp += 1
            else:
                tally.fp += 1
        tally.fn += sum(1 for day, k in truth.items() if k == kind and found.get(day) != kind)


def main(argv: list[str] | None = None) -> dict[str, dict[str, Tally]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=12)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--events", type=int, default=8)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--threshold", type=float, default=3.5, help="detect's threshold")
    parser.add_argument("--window", type=int, default=28, help="detect's trailing window")
    parser.add_argument(
        "--log", action="store_true", help="run detect on log(1 + value) (multiplicative noise)"
    )
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    ours = {"spike": Tally(), "drop": Tally()}
    naive = {"spike": Tally(), "drop": Tally()}
    began = time.perf_counter()
    for _ in range(args.regions):
        region = simulate(rng, args.days, args.events)
        found = {
            a.date: a.kind
            for a in detect(
                list(np.log1p(region.values) if args.log else region.values),
                dates=region.dates,
                threshold=args.threshold,
                window=args.window,
            )
        }
        score(found, region.truth, ours)
        score(baseline(region.values, region.dates), region.truth, naive)
    took = time.perf_counter() - began
    print(
        f"sim_trends: {args.regions} regions x {args.days} days, {args.events} events each,"
        f" seed {args.seed}; detect threshold {args.threshold}, window {args.window}"
        f"{' on log(1 + value)' if args.log else ''};"
        f" {took:.1f} s"
    )
    print(
        f"{'kind':<6} {'method':<13} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} "
        f"{'recall':>6} {'F1':>5}"
    )
    for kind in ("spike", "drop"):
        for name, tallies in (("detect", ours), ("3-sigma raw", naive)):
            t = tallies[kind]
            print(
                f"{kind:<6} {name:<13} {t.tp:>4} {t.fp:>4} {t.fn:>4} {t.precision():>9.3f} "
                f"{t.recall():>6.3f} {t.f1():>5.3f}"
            )
        o, b = ours[kind], naive[kind]
        ratios = ", ".join(
            f"{name} {mine / theirs:.2f}" if theirs else f"{name} inf"
            for name, mine, theirs in (
                ("precision", o.precision(), b.precision()),
                ("recall", o.recall(), b.recall()),
                ("F1", o.f1(), b.f1()),
            )
        )
        print(f"{kind:<6} ratio detect / baseline: {ratios}")
    return {"detect": ours, "baseline": naive}


if __name__ == "__main__":
    main()
