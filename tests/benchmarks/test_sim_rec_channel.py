"""benchmarks/sim_rec_channel.py keeps running and keeps its promise: on a small
simulated channel the recommender beats the popularity baseline on hit-rate@10 and
MAP@10 with the same time split. The sim itself: deterministic per seed, valid GTINs,
one day per order, dealers within range."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import sim_rec_channel as sim
from veriseal_analytics.rec_eval import evaluate


def gtin_ok(g: str) -> bool:
    digits = [int(c) for c in g]
    return len(g) == 13 and sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0


def test_the_sim_is_deterministic_and_well_formed() -> None:
    one = sim.generate(40, 80, 120, seed=3)
    assert one == sim.generate(40, 80, 120, seed=3)
    assert one != sim.generate(40, 80, 120, seed=4)
    assert all(gtin_ok(p.gtin) for p in one)
    assert {p.dealer for p in one} <= set(range(1, 41))
    days: dict[int, set[object]] = defaultdict(set)
    for p in one:
        days[p.order].add(p.day)
        assert p.units >= 1
    assert all(len(d) == 1 for d in days.values())
    assert all(0 <= (p.day - sim.START).days < 120 for p in one)


def test_the_recommender_beats_popularity_on_a_small_channel() -> None:
    t0 = time.perf_counter()
    report = evaluate(sim.generate(300, 300, 365, seed=7), k=10)
    assert time.perf_counter() - t0 < 30
    assert report.dealers > 250
    assert report.recommender.hit_rate > report.baseline.hit_rate
    assert report.recommender.map > report.baseline.map
    assert report.beats_baseline


def test_the_cli_prints_both_methods(capsys: pytest.CaptureFixture[str]) -> None:
    assert sim.main(["--dealers", "60", "--products", "90", "--days", "120", "--seed", "2"]) == 0
    out = capsys.readouterr()
    for word in ("hit-rate@10", "MAP@10", "precision@10", "NDCG@10", "recommender",
                 "popularity", "ratio", "own history", "fit", "recommend median"):  # fmt: skip
        assert word in out.out
    assert "generating 60 dealers" in out.err
