"""Dealer recommendations: the products a dealer is likely to put in its next order.

Contract: :meth:`Recommender.fit` takes purchase lines (no database) and returns an
immutable model; :meth:`Recommender.recommend` ranks products for one dealer. Two signals
are blended:

- **Re-order** (the dealer's own history): dealers re-buy their staples. For each product
  the dealer bought, its recency-weighted share of the dealer's orders, times how *due*
  it is: the days from its last purchase to the dealer's expected next order, over its
  own re-order cycle (mean days between the orders holding it). Lapsed products (not
  bought for several cycles) fade.
- **Co-ordering** (everyone's history): product-product similarity from co-occurrence in
  the same order (complements bought together) and in the same dealer's history
  (products the same kind of dealer stocks), each normalised as a cosine with a
  shrinkage term so that a pair seen once between two rare products does not look like
  a strong bond; the dealer's recency-weighted profile times that similarity.

Dealers with no history get the popularity ranking (:func:`popularity`): most distinct
dealers ordering the product, then most units, then gtin. Every ranking is deterministic:
equal scores are ordered by gtin.

Scale: a fit over 1,000,000 lines, 10,000 dealers and 2,000 products is a few scipy.sparse
products (seconds); a recommendation is one sparse row times a pruned similarity matrix
(about a millisecond).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = [
    "Purchase",
    "Recommender",
    "RecommenderConfig",
    "Suggestion",
    "popularity",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Purchase:
    """One order line: ``dealer`` ordered ``units`` of ``gtin`` in ``order`` on ``day``.

    ``order`` identifies an order within its dealer (the pair ``(dealer, order)`` is the
    order's key); an order has one ``day``.
    """

    dealer: int
    order: int
    day: dt.date
    gtin: str
    units: int


@dataclass(frozen=True)
class Suggestion:
    """A recommended product, its score (higher is better; comparable only within one
    ranking) and why, in English and Simplified Chinese."""

    gtin: str
    score: float
    reason_en: str
    reason_zh: str


@dataclass(frozen=True)
class RecommenderConfig:
    """Tuning knobs (defaults tuned on ``benchmarks/sim_rec_channel.py``).

    ``half_life_days``: weight of a past order halves every this many days (staples
    drift). ``shrink``: added to the cosine denominator (a pair needs about this many
    co-occurrences to count fully). ``order_weight``: share of same-order co-occurrence
    in the item similarity (the rest is same-dealer). ``neighbours``: similar products
    kept per product. ``co_weight`` and ``pop_weight``: weight of the co-ordering and of
    the popularity score against the re-order score (which is in 0..1). ``lapse_cycles``:
    a product not bought for more than this many of its cycles fades. ``due_at``: the
    share of its cycle at which a product counts as half due; ``due_floor``: the weight
    of a product not due at all (dealers also top up early).
    """

    half_life_days: float = 120.0
    shrink: float = 10.0
    order_weight: float = 0.5
    neighbours: int = 100
    co_weight: float = 0.05
    pop_weight: float = 0.02
    lapse_cycles: float = 3.0
    due_at: float = 0.8
    due_floor: float = 0.3


@dataclass(frozen=True, eq=False)
class _Lines:
    """Purchase lines as arrays, one row per distinct (order, product)."""

    dealer: IntArray  # dense dealer index
    order: IntArray  # dense order index
    day: IntArray  # proleptic ordinal
    item: IntArray  # product index (gtins sorted, so index order is gtin order)
    units: IntArray


def _to_lines(purchases: Iterable[Purchase]) -> tuple[_Lines, list[int], list[str]]:
    """Columnar lines, merged per (order, product), with the dealer and gtin tables."""
    dealers_raw: list[int] = []
    orders_raw: list[int] = []
    days: list[int] = []
    gtins_raw: list[str] = []
    units: list[int] = []
    for p in purchases:
        dealers_raw.append(p.dealer)
        orders_raw.append(p.order)
        days.append(p.day.toordinal())
        gtins_raw.append(p.gtin)
        units.append(p.units)
    gtins = sorted(set(gtins_raw))
    if not gtins:
        empty = np.zeros(0, np.int64)
        return _Lines(empty, empty, empty, empty, empty), [], []
    gindex = {g: i for i, g in enumerate(gtins)}
    item = np.fromiter((gindex[g] for g in gtins_raw), np.int64, len(gtins_raw))
    d_arr = np.asarray(dealers_raw, np.int64)
    dealer_ids, dealer = np.unique(d_arr, return_inverse=True)
    okey = np.stack([dealer, np.asarray(orders_raw, np.int64)], axis=1)
    order = np.unique(okey, axis=0, return_inverse=True)[1].astype(np.int64).reshape(-1)
    # merge repeated lines of one product in one order (units add up)
    n_items = max(len(gtins), 1)
    key = order * n_items + item
    ukey, first, inv = np.unique(key, return_index=True, return_inverse=True)
    u_units = np.bincount(inv.reshape(-1), weights=np.asarray(units, np.float64))
    lines = _Lines(
        dealer=dealer.astype(np.int64)[first],
        order=(ukey // n_items).astype(np.int64),
        day=np.asarray(days, np.int64)[first],
        item=(ukey % n_items).astype(np.int64),
        units=u_units.astype(np.int64),
    )
    return lines, [int(x) for x in dealer_ids], gtins


def _cosine(counts: sp.csr_matrix, support: FloatArray, shrink: float) -> sp.csr_matrix:
    """Co-occurrence counts to shrunk cosine: c_ij / (sqrt(n_i n_j) + shrink), no diagonal."""
    coo = counts.tocoo()
    keep = coo.row != coo.col
    row, col, data = coo.row[keep], coo.col[keep], coo.data[keep].astype(np.float64)
    data = data / (np.sqrt(support[row] * support[col]) + shrink)
    return sp.csr_matrix((data, (row, col)), shape=counts.shape)


def _prune(sim: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """Keep each row's ``keep`` largest entries (ties by column), so scoring stays fast."""
    coo = sim.tocoo()
    order = np.lexsort((coo.col, -coo.data, coo.row))
    row = coo.row[order]
    starts = np.searchsorted(row, row, side="left")
    rank = np.arange(len(row)) - starts
    sel = order[rank < keep]
    return sp.csr_matrix((coo.data[sel], (coo.row[sel], coo.col[sel])), shape=sim.shape)


def _similarity(
    lines: _Lines, n_dealers: int, n_items: int, cfg: RecommenderConfig
) -> sp.csr_matrix:
    """Item-item similarity: same-order and same-dealer shrunk cosines, blended, pruned."""
    n_orders = int(lines.order.max()) + 1 if len(lines.order) else 0
    ones = np.ones(len(lines.item), np.float32)
    x = sp.csr_matrix((ones, (lines.order, lines.item)), shape=(n_orders, n_items))
    b = sp.csr_matrix((ones, (lines.dealer, lines.item)), shape=(n_dealers, n_items))
    b.data[:] = 1.0  # a dealer's history counts each product once
    s_order = _cosine(x.T @ x, np.asarray(x.sum(axis=0)).ravel(), cfg.shrink)
    s_dealer = _cosine(b.T @ b, np.asarray(b.sum(axis=0)).ravel(), cfg.shrink)
    sim = cfg.order_weight * s_order + (1.0 - cfg.order_weight) * s_dealer
    return _prune(sp.csr_matrix(sim), cfg.neighbours)


@dataclass(frozen=True, eq=False)
class _History:
    """Per dealer-product statistics as CSR matrices sharing one sparsity pattern."""

    weight: sp.csr_matrix  # recency-weighted number of orders holding the product
    count: sp.csr_matrix  # number of orders holding the product
    first: sp.csr_matrix  # ordinal day of the first such order
    last: sp.csr_matrix  # ordinal day of the last such order
    order_weight: FloatArray  # per dealer: recency-weighted number of orders
    last_order: IntArray  # per dealer: ordinal day of its last order
    gap: FloatArray  # per dealer: median days between its orders


def _dealer_orders(lines: _Lines, n_dealers: int) -> tuple[IntArray, IntArray]:
    """One row per order: (dealer, day), sorted by dealer then day."""
    _, first = np.unique(lines.order, return_index=True)
    od, oday = lines.dealer[first], lines.day[first]
    srt = np.lexsort((oday, od))
    return np.asarray(od[srt], np.int64), np.asarray(oday[srt], np.int64)


def _gaps(od: IntArray, oday: IntArray, n_dealers: int) -> FloatArray:
    """Median days between a dealer's consecutive orders (the global median if fewer than
    two orders on distinct days)."""
    same = od[1:] == od[:-1]
    diff = (oday[1:] - oday[:-1]).astype(np.float64)
    ok = same & (diff > 0)
    g_dealer, g_diff = od[1:][ok], diff[ok]
    default = float(np.median(g_diff)) if len(g_diff) else 7.0
    gap = np.full(n_dealers, default)
    if len(g_diff):
        srt = np.lexsort((g_diff, g_dealer))
        g_dealer, g_diff = g_dealer[srt], g_diff[srt]
        starts = np.searchsorted(g_dealer, np.arange(n_dealers), side="left")
        ends = np.searchsorted(g_dealer, np.arange(n_dealers), side="right")
        has = ends > starts
        lo = g_diff[(starts + (ends - starts - 1) // 2)[has]]
        hi = g_diff[(starts + (ends - starts) // 2)[has]]
        gap[has] = (lo + hi) / 2.0
    return gap


def _history(lines: _Lines, n_dealers: int, n_items: int, cfg: RecommenderConfig) -> _History:
    od, oday = _dealer_orders(lines, n_dealers)
    last_order = np.zeros(n_dealers, np.int64)
    np.maximum.at(last_order, od, oday)
    decay = np.log(2.0) / cfg.half_life_days
    ow = np.exp(-decay * (last_order[od] - oday))
    order_weight = np.bincount(od, weights=ow, minlength=n_dealers).astype(np.float64)
    lw = np.exp(-decay * (last_order[lines.dealer] - lines.day))
    shape = (n_dealers, n_items)
    idx = (lines.dealer, lines.item)
    weight = sp.csr_matrix((lw, idx), shape=shape)
    count = sp.csr_matrix((np.ones(len(lw)), idx), shape=shape)
    # first / last day per cell: csr construction would sum them, so pick the extreme
    # line of each (dealer, product) run after sorting by day
    key = lines.dealer * n_items + lines.item
    srt = np.lexsort((lines.day, key))
    k_sorted, d_sorted = key[srt], lines.day[srt]
    change = k_sorted[1:] != k_sorted[:-1]
    is_first = np.ones(len(key), bool)
    is_first[1:] = change
    is_last = np.ones(len(key), bool)
    is_last[:-1] = change
    first = sp.csr_matrix(
        (d_sorted[is_first].astype(np.float64), divmod(k_sorted[is_first], n_items)), shape=shape
    )
    last = sp.csr_matrix(
        (d_sorted[is_last].astype(np.float64), divmod(k_sorted[is_last], n_items)), shape=shape
    )
    for m in (weight, count, first, last):
        m.sort_indices()
    return _History(
        weight, count, first, last, order_weight, last_order, _gaps(od, oday, n_dealers)
    )


def _popularity_table(lines: _Lines, n_items: int) -> tuple[IntArray, FloatArray, IntArray]:
    """(distinct dealers, units, rank) per product; rank 0 is the most popular, ties by gtin."""
    pairs = np.unique(lines.dealer * n_items + lines.item)
    dealers = np.bincount(pairs % n_items, minlength=n_items).astype(np.int64)
    units: FloatArray = np.asarray(
        np.bincount(lines.item, weights=lines.units.astype(np.float64), minlength=n_items),
        np.float64,
    )
    order = np.lexsort((np.arange(n_items), -units, -dealers))
    rank = np.empty(n_items, np.int64)
    rank[order] = np.arange(n_items, dtype=np.int64)
    return dealers, units, rank


def _reason_pop(dealers: int) -> tuple[str, str]:
    return (f"popular: ordered by {dealers} dealers", f"热销：{dealers} 家经销商订购过")


@dataclass(frozen=True, eq=False)
class _Scored:
    reorder: FloatArray
    co: FloatArray
    total: FloatArray
    hist_items: IntArray
    hist_profile: FloatArray
    cycles: FloatArray  # per hist item: days per re-order cycle (nan: bought once)
    last_days: IntArray  # per hist item


@dataclass(frozen=True, eq=False)
class Recommender:
    """A fitted recommender (immutable). Build with :meth:`fit`."""

    gtins: tuple[str, ...]
    dealer_index: dict[int, int]
    sim: sp.csr_matrix
    history: _History
    pop_dealers: IntArray
    pop_units: FloatArray
    pop_rank: IntArray
    as_of: int | None = None
    config: RecommenderConfig = field(default_factory=RecommenderConfig)

    @classmethod
    def fit(
        cls,
        purchases: Iterable[Purchase],
        *,
        as_of: dt.date | None = None,
        config: RecommenderConfig | None = None,
    ) -> Recommender:
        """Fit on ``purchases``. ``as_of`` is the day the recommendations are for (today);
        a dealer's next order is expected at the later of ``as_of`` and its last order
        plus its usual gap between orders. Without ``as_of`` only the latter is used (the
        offline evaluation: each dealer's next order after its own training history)."""
        cfg = config or RecommenderConfig()
        lines, dealer_ids, gtins = _to_lines(purchases)
        n_dealers, n_items = len(dealer_ids), len(gtins)
        dealers, units, rank = _popularity_table(lines, n_items)
        return cls(
            gtins=tuple(gtins),
            dealer_index={d: i for i, d in enumerate(dealer_ids)},
            sim=_similarity(lines, n_dealers, n_items, cfg) if n_items else sp.csr_matrix((0, 0)),
            history=_history(lines, n_dealers, n_items, cfg),
            pop_dealers=dealers,
            pop_units=units,
            pop_rank=rank,
            as_of=as_of.toordinal() if as_of is not None else None,
            config=cfg,
        )

    # -- scoring -------------------------------------------------------------------------

    def _score(self, d: int) -> _Scored:
        h, cfg, n = self.history, self.config, len(self.gtins)
        row = slice(h.weight.indptr[d], h.weight.indptr[d + 1])
        items = h.weight.indices[row].astype(np.int64)
        w = h.weight.data[row]
        cnt = h.count.data[row]
        first = h.first.data[row]
        last = h.last.data[row]
        nxt = float(h.last_order[d] + h.gap[d])
        if self.as_of is not None:
            nxt = max(nxt, float(self.as_of))
        share = w / (h.order_weight[d] + 1.0)
        cycles = np.where(cnt >= 2, (last - first) / np.maximum(cnt - 1, 1), np.nan)
        elapsed = nxt - last
        ratio = elapsed / np.where(np.isnan(cycles), np.inf, np.maximum(cycles, 1.0))
        due = np.where(np.isnan(cycles), 0.5, 1.0 / (1.0 + np.exp(-6.0 * (ratio - cfg.due_at))))
        lapsed = np.exp(-np.maximum(ratio - cfg.lapse_cycles, 0.0) / cfg.lapse_cycles)
        reorder = np.zeros(n)
        reorder[items] = share * (cfg.due_floor + (1.0 - cfg.due_floor) * due) * lapsed
        profile = w / max(float(w.sum()), 1e-12)
        co = np.asarray(self.sim[items].T @ profile).ravel() if len(items) else np.zeros(n)
        top = float(co.max()) if len(co) else 0.0
        co_n = co / top if top > 0 else co
        # the dealer count, not the rank, so that equally popular products tie
        pop = self.pop_dealers / max(int(self.pop_dealers.max(initial=0)), 1)
        total = reorder + cfg.co_weight * co_n + cfg.pop_weight * pop
        return _Scored(reorder, co_n, total, items, profile, cycles, last.astype(np.int64))

    def _reason(self, i: int, s: _Scored) -> tuple[str, str]:
        cfg = self.config
        if s.reorder[i] > 0 and s.reorder[i] >= cfg.co_weight * s.co[i]:
            pos = int(np.searchsorted(s.hist_items, i))
            cyc = s.cycles[pos]
            if np.isnan(cyc):
                day = dt.date.fromordinal(int(s.last_days[pos])).isoformat()
                return (f"you ordered it on {day}", f"您曾于 {day} 订购")
            days = round(float(cyc))
            return (
                f"you reorder it about every {days} days",
                f"您大约每 {days} 天补货一次",
            )
        if s.co[i] > 0 and len(s.hist_items):
            contrib = np.asarray(self.sim[s.hist_items][:, [i]].todense()).ravel()
            contrib = contrib * s.hist_profile
            g = self.gtins[int(s.hist_items[int(np.argmax(contrib))])]
            return (f"often ordered with {g}", f"常与 {g} 一起订购")
        return _reason_pop(int(self.pop_dealers[i]))

    def _mask(self, exclude: Collection[str], candidates: Collection[str] | None) -> FloatArray:
        """0 where allowed, -inf where excluded or not a candidate."""
        n = len(self.gtins)
        allowed = np.ones(n, bool)
        if candidates is not None:
            allowed[:] = False
            allowed[self._indices(candidates)] = True
        allowed[self._indices(exclude)] = False
        return np.where(allowed, 0.0, -np.inf)

    def _indices(self, gtins: Collection[str]) -> IntArray:
        idx = np.searchsorted(self.gtins, list(gtins)) if len(gtins) else np.zeros(0, np.int64)
        idx = np.asarray(idx, np.int64)
        ok = idx < len(self.gtins)
        idx = idx[ok]
        wanted = np.asarray(list(gtins), dtype=object)[ok]
        return np.asarray(idx[np.asarray(self.gtins, dtype=object)[idx] == wanted], np.int64)

    def _top(self, score: FloatArray, k: int) -> IntArray:
        """Indices of the k best finite scores, ties by gtin (= index)."""
        ok = np.flatnonzero(np.isfinite(score))
        order = np.lexsort((ok, -score[ok]))
        return ok[order[:k]]

    def popular(self, k: int = 10, *, exclude: Collection[str] = (),
                candidates: Collection[str] | None = None) -> list[Suggestion]:  # fmt: skip
        """The popularity ranking over the fitted data (the cold-start answer)."""
        score = -self.pop_rank.astype(np.float64) + self._mask(exclude, candidates)
        out = []
        for i in self._top(score, k):
            en, zh = _reason_pop(int(self.pop_dealers[i]))
            out.append(Suggestion(self.gtins[i], float(self.pop_dealers[i]), en, zh))
        return out

    def recommend(
        self,
        dealer: int,
        k: int = 10,
        *,
        exclude: Collection[str] = (),
        candidates: Collection[str] | None = None,
    ) -> list[Suggestion]:
        """Up to ``k`` products for ``dealer``, best first; never a gtin in ``exclude``,
        only gtins in ``candidates`` when given (gtins the model never saw are ignored).
        Products the dealer already bought are *not* excluded: re-orders are the point.
        A dealer without history gets :meth:`popular`."""
        d = self.dealer_index.get(dealer)
        if d is None or k <= 0:
            return self.popular(k, exclude=exclude, candidates=candidates) if k > 0 else []
        s = self._score(d)
        out = []
        for i in self._top(s.total + self._mask(exclude, candidates), k):
            en, zh = self._reason(int(i), s)
            out.append(Suggestion(self.gtins[i], round(float(s.total[i]), 6), en, zh))
        return out


def popularity(
    purchases: Iterable[Purchase], k: int, *, exclude: Collection[str] = ()
) -> list[Suggestion]:
    """The baseline: the ``k`` products ordered by the most distinct dealers, then the most
    units, then by gtin; ``score`` is the number of dealers."""
    dealers: dict[str, set[int]] = {}
    units: dict[str, int] = {}
    for p in purchases:
        dealers.setdefault(p.gtin, set()).add(p.dealer)
        units[p.gtin] = units.get(p.gtin, 0) + p.units
    skip = set(exclude)
    ranked: Sequence[str] = sorted(
        (g for g in dealers if g not in skip), key=lambda g: (-len(dealers[g]), -units[g], g)
    )
    out = []
    for g in ranked[:k]:
        en, zh = _reason_pop(len(dealers[g]))
        out.append(Suggestion(g, float(len(dealers[g])), en, zh))
    return out
