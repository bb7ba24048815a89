"""Ranking metrics of veriseal_analytics.rec_eval, as the ``implicit`` library defines
them: bounds, perfect and empty rankings, the min(k, |truth|) denominators, hand-worked
cases, and agreement with a transcription of implicit's per-user loop."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal_analytics.rec_eval import (
    hit_rate_at_k,
    map_at_k,
    ndcg_at_k,
    precision_at_k,
)

METRICS = (precision_at_k, map_at_k, ndcg_at_k, hit_rate_at_k)
GTINS = [f"g{i:02d}" for i in range(30)]

rankings_st = st.dictionaries(
    st.integers(0, 8), st.lists(st.sampled_from(GTINS), max_size=15, unique=True), max_size=8
)
truth_st = st.dictionaries(
    st.integers(0, 8), st.sets(st.sampled_from(GTINS), max_size=12), max_size=8
)


def implicit_loop(
    rankings: dict[int, list[str]], truth: dict[int, set[str]], k: int
) -> dict[str, float]:
    """implicit's ranking_metrics_at_k accumulation, written out for one thread."""
    cg = [1.0 / math.log2(i + 2) for i in range(k)]
    relevant = pr_div = total = mean_ap = ndcg = hits_any = 0.0
    for u, likes in truth.items():
        if not likes:
            continue
        ids = (list(rankings.get(u, [])) + [None] * k)[:k]
        pr_div += min(k, len(likes))
        idcg = sum(cg[: min(k, len(likes))])
        ap = hit = 0.0
        for i in range(k):
            if ids[i] in likes:
                relevant += 1
                hit += 1
                ap += hit / (i + 1)
                ndcg += cg[i] / idcg
        hits_any += hit > 0
        mean_ap += ap / min(k, len(likes))
        total += 1
    if total == 0:
        return {"precision": 0.0, "map": 0.0, "ndcg": 0.0, "hit": 0.0}
    return {"precision": relevant / pr_div, "map": mean_ap / total, "ndcg": ndcg / total,
            "hit": hits_any / total}  # fmt: skip


@given(rankings_st, truth_st, st.integers(1, 12))
def test_metrics_are_between_0_and_1(
    rankings: dict[int, list[str]], truth: dict[int, set[str]], k: int
) -> None:
    for metric in METRICS:
        assert 0.0 <= metric(rankings, truth, k) <= 1.0


@given(rankings_st, truth_st, st.integers(1, 12))
def test_metrics_agree_with_implicits_loop(
    rankings: dict[int, list[str]], truth: dict[int, set[str]], k: int
) -> None:
    ref = implicit_loop(rankings, truth, k)
    assert precision_at_k(rankings, truth, k) == pytest.approx(ref["precision"])
    assert map_at_k(rankings, truth, k) == pytest.approx(ref["map"])
    assert ndcg_at_k(rankings, truth, k) == pytest.approx(ref["ndcg"])
    assert hit_rate_at_k(rankings, truth, k) == pytest.approx(ref["hit"])


@given(st.dictionaries(st.integers(0, 8), st.sets(st.sampled_from(GTINS), min_size=1, max_size=12),
                       min_size=1, max_size=8),
       st.integers(1, 12), st.randoms(use_true_random=False))  # fmt: skip
def test_a_perfect_ranking_scores_1(truth: dict[int, set[str]], k: int, rnd: random.Random) -> None:
    # the held-out items first (any order), then misses
    rankings = {}
    for u, items in truth.items():
        hits = sorted(items)
        rnd.shuffle(hits)
        rankings[u] = hits + [g for g in GTINS if g not in items]
    for metric in METRICS:
        assert metric(rankings, truth, k) == pytest.approx(1.0)


@given(truth_st, st.integers(1, 12))
def test_a_ranking_without_hits_scores_0(truth: dict[int, set[str]], k: int) -> None:
    rankings = {u: [g for g in GTINS if g not in items] for u, items in truth.items()}
    for metric in METRICS:
        assert metric(rankings, truth, k) == 0.0


def test_precision_divides_by_min_k_and_truth_size() -> None:
    truth = {1: {"a", "b", "c"}}
    ranking = {1: ["a", "b", "c"] + [f"x{i}" for i in range(7)]}
    assert precision_at_k(ranking, truth, 10) == 1.0  # 3 hits over min(10, 3), not over 10
    assert precision_at_k(ranking, truth, 2) == 1.0  # 2 hits over min(2, 3)
    assert precision_at_k({1: ["x", "a"]}, truth, 2) == 0.5


def test_precision_is_pooled_over_dealers() -> None:
    truth = {1: {"a"}, 2: {"b", "c", "d"}}
    rankings = {1: ["a"], 2: ["x", "y", "z"]}
    # implicit sums hits and denominators: 1 / (1 + 3), not the mean of 1 and 0
    assert precision_at_k(rankings, truth, 10) == 0.25
    assert map_at_k(rankings, truth, 10) == 0.5
    assert hit_rate_at_k(rankings, truth, 10) == 0.5


def test_hand_computed_map_and_ndcg() -> None:
    truth = {7: {"a", "b"}}
    ranking = {7: ["x", "a", "y", "b"]}
    # AP = (1/2 + 2/4) / min(4, 2)
    assert map_at_k(ranking, truth, 4) == pytest.approx(0.5)
    # DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    want = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(ranking, truth, 4) == pytest.approx(want)
    # at k=2 only "a" counts: AP = (1/2) / 2, precision 1/2
    assert map_at_k(ranking, truth, 2) == pytest.approx(0.25)
    assert precision_at_k(ranking, truth, 2) == 0.5
    assert ndcg_at_k(ranking, truth, 2) == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    )


def test_only_dealers_with_truth_count_and_a_missing_ranking_scores_0() -> None:
    truth: dict[int, set[str]] = {1: {"a"}, 2: set(), 3: {"b"}}
    rankings = {1: ["a"], 2: ["a"], 4: ["b"]}  # dealer 3 has no ranking
    assert hit_rate_at_k(rankings, truth, 5) == 0.5
    assert map_at_k(rankings, truth, 5) == 0.5
    for metric in METRICS:
        assert metric({}, {}, 5) == 0.0


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="k must"):
        map_at_k({1: ["a"]}, {1: {"a"}}, 0)
    with pytest.raises(ValueError, match="repeat"):
        precision_at_k({1: ["a", "a"]}, {1: {"a"}}, 5)
