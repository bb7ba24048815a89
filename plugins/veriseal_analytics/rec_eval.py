"""Offline evaluation of dealer recommendations on held-out orders.

Split by **time**, not at random: each dealer's latest orders are held out and the
model is fitted on everything before them (a random split would let the model see a
dealer's future and flatter it). The metrics are those of the ``implicit`` library
(``implicit/evaluation.pyx``, ``ranking_metrics_at_k``), re-implemented here:

- only dealers with a non-empty truth set count; a dealer with no ranking scores 0;
- only the first ``k`` entries of a ranking count;
- **precision@k** is pooled: total hits over the sum of ``min(k, |truth|)`` (so a dealer
  whose held-out order has 3 products is not punished for the 7 other slots);
- **MAP@k**: per dealer, the sum over hits at (1-based) rank r of hits-so-far / r,
  divided by ``min(k, |truth|)``; averaged over dealers;
- **NDCG@k**: per dealer, the sum over hits at rank r of 1 / log2(r + 1), over the ideal
  sum for ``min(k, |truth|)`` hits; averaged over dealers;
- **hit-rate@k** (not in implicit): the share of dealers with at least one hit.

Items the dealer already bought are **not** excluded from the rankings: dealers re-order
their staples, so the held-out order mostly repeats earlier products, and excluding them
would measure a different task (discovery) and throw away the most useful suggestions.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from veriseal_analytics.recommend import Purchase, Recommender, RecommenderConfig, popularity

__all__ = [
    "EvalReport",
    "Scores",
    "evaluate",
    "hit_rate_at_k",
    "map_at_k",
    "ndcg_at_k",
    "precision_at_k",
    "split_latest",
]

Rankings = Mapping[int, Sequence[str]]
Truth = Mapping[int, set[str]]


def split_latest(
    purchases: Iterable[Purchase], n_orders: int = 1
) -> tuple[list[Purchase], dict[int, set[str]]]:
    """Hold out each dealer's latest ``n_orders`` orders (by day, ties by order id).

    Returns the training lines (input order kept) and, per dealer with at least
    ``n_orders + 1`` orders, the set of gtins in its held-out orders. Dealers with fewer
    orders stay whole in training and have no truth entry.
    """
    if n_orders < 1:
        raise ValueError("n_orders must be at least 1")
    lines = list(purchases)
    orders: dict[int, dict[int, object]] = {}
    for p in lines:
        orders.setdefault(p.dealer, {})[p.order] = p.day
    held: set[tuple[int, int]] = set()
    for dealer, days in orders.items():
        if len(days) > n_orders:
            latest = sorted(days, key=lambda o: (days[o], o))[-n_orders:]
            held.update((dealer, o) for o in latest)
    train: list[Purchase] = []
    truth: dict[int, set[str]] = {}
    for p in lines:
        if (p.dealer, p.order) in held:
            truth.setdefault(p.dealer, set()).add(p.gtin)
        else:
            train.append(p)
    return train, truth


def _check(k: int) -> None:
    if k < 1:
        raise ValueError("k must be at least 1")


def _hits(ranking: Sequence[str], truth: set[str], k: int) -> list[bool]:
    top = list(ranking[:k])
    if len(set(top)) != len(top):
        raise ValueError("a ranking must not repeat a gtin")
    return [g in truth for g in top]


def _scored(rankings: Rankings, truth: Truth, k: int) -> Iterable[tuple[list[bool], int]]:
    """(hits in the top k, min(k, |truth|)) per dealer with a non-empty truth."""
    _check(k)
    for dealer, items in truth.items():
        if items:
            yield _hits(rankings.get(dealer, ()), items, k), min(k, len(items))


def precision_at_k(rankings: Rankings, truth: Truth, k: int = 10) -> float:
    """Pooled precision@k with denominator min(k, |truth|) per dealer (0.0 if no truth)."""
    relevant = denominator = 0
    for hits, cap in _scored(rankings, truth, k):
        relevant += sum(hits)
        denominator += cap
    return relevant / denominator if denominator else 0.0


def map_at_k(rankings: Rankings, truth: Truth, k: int = 10) -> float:
    """Mean over dealers of average precision@k (normaliser min(k, |truth|))."""
    total, n = 0.0, 0
    for hits, cap in _scored(rankings, truth, k):
        found, ap = 0, 0.0
        for r, hit in enumerate(hits, start=1):
            if hit:
                found += 1
                ap += found / r
        total += ap / cap
        n += 1
    return total / n if n else 0.0


def ndcg_at_k(rankings: Rankings, truth: Truth, k: int = 10) -> float:
    """Mean over dealers of binary-relevance NDCG@k."""
    total, n = 0.0, 0
    for hits, cap in _scored(rankings, truth, k):
        ideal = sum(1.0 / math.log2(r + 1) for r in range(1, cap + 1))
        dcg = sum(1.0 / math.log2(r + 1) for r, hit in enumerate(hits, start=1) if hit)
        total += dcg / ideal
        n += 1
    return total / n if n else 0.0


def hit_rate_at_k(rankings: Rankings, truth: Truth, k: int = 10) -> float:
    """Share of dealers (with a non-empty truth) having at least one hit in the top k."""
    scored = [any(hits) for hits, _ in _scored(rankings, truth, k)]
    return sum(scored) / len(scored) if scored else 0.0


@dataclass(frozen=True)
class Scores:
    """The four metrics at ``k`` for one method."""

    hit_rate: float
    map: float
    precision: float
    ndcg: float

    @classmethod
    def of(cls, rankings: Rankings, truth: Truth, k: int) -> Scores:
        return cls(
            hit_rate=hit_rate_at_k(rankings, truth, k),
            map=map_at_k(rankings, truth, k),
            precision=precision_at_k(rankings, truth, k),
            ndcg=ndcg_at_k(rankings, truth, k),
        )


@dataclass(frozen=True)
class EvalReport:
    """Recommender against the popularity baseline on one split.

    ``ratio`` is recommender / baseline per metric (``inf`` when the baseline scores 0 and
    the recommender does not; 1.0 when both are 0). ``fit_seconds`` is the recommender's
    fit time; ``recommend_ms_median`` the median wall time of one ``recommend`` call.
    """

    k: int
    dealers: int  # dealers evaluated (with a held-out order)
    train_lines: int
    recommender: Scores
    baseline: Scores
    ratio: Scores
    fit_seconds: float
    recommend_ms_median: float

    @property
    def beats_baseline(self) -> bool:
        """True when the recommender is strictly better on hit-rate@k and MAP@k."""
        return (
            self.recommender.hit_rate > self.baseline.hit_rate
            and self.recommender.map > self.baseline.map
        )


def _ratio(a: float, b: float) -> float:
    if b == 0:
        return 1.0 if a == 0 else math.inf
    return a / b


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    if not s:
        return 0.0
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2.0


def evaluate(
    purchases: Iterable[Purchase],
    *,
    k: int = 10,
    n_orders: int = 1,
    config: RecommenderConfig | None = None,
) -> EvalReport:
    """Split with :func:`split_latest`, fit the recommender and the popularity baseline on
    the same training lines, rank ``k`` products for every held-out dealer with each, and
    score both. Nothing is excluded from either ranking (see the module docstring)."""
    _check(k)
    train, truth = split_latest(purchases, n_orders)
    t0 = time.perf_counter()
    model = Recommender.fit(train, config=config)
    fit_seconds = time.perf_counter() - t0
    base = [s.gtin for s in popularity(train, k)]
    ours: dict[int, list[str]] = {}
    timings: list[float] = []
    for dealer in sorted(truth):
        t = time.perf_counter()
        ours[dealer] = [s.gtin for s in model.recommend(dealer, k)]
        timings.append((time.perf_counter() - t) * 1000.0)
    rec = Scores.of(ours, truth, k)
    bl = Scores.of(dict.fromkeys(truth, base), truth, k)
    ratio = Scores(
        hit_rate=_ratio(rec.hit_rate, bl.hit_rate),
        map=_ratio(rec.map, bl.map),
        precision=_ratio(rec.precision, bl.precision),
        ndcg=_ratio(rec.ndcg, bl.ndcg),
    )
    return EvalReport(
        k=k,
        dealers=len(truth),
        train_lines=len(train),
        recommender=rec,
        baseline=bl,
        ratio=ratio,
        fit_seconds=fit_seconds,
        recommend_ms_median=_median(timings),
    )
