"""veriseal_analytics.recommend and rec_eval.split_latest: co-ordered products are
suggested, staples come back, exclude / candidates are honoured, cold start is the
popularity ranking, results are deterministic, and the time split never leaks."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal_analytics.rec_eval import evaluate, split_latest
from veriseal_analytics.recommend import Purchase, Recommender, Suggestion, popularity

D0 = dt.date(2026, 1, 5)
A, B, C, S, N1, N2 = ("6900000000011", "6900000000028", "6900000000035", "6900000000042",
                      "6900000000059", "6900000000066")  # fmt: skip


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def channel() -> list[Purchase]:
    """20 dealers order A with B; 30 order C alone (C is the most popular); dealer 900
    orders A alone, dealer 901 orders S every 7 days plus the odd N1."""
    out: list[Purchase] = []
    order = 0
    for d in range(1, 21):
        for n in range(3):
            order += 1
            out += [Purchase(d, order, day(10 * n + d % 5), A, 2),
                    Purchase(d, order, day(10 * n + d % 5), B, 1)]  # fmt: skip
    for d in range(21, 51):
        order += 1
        out.append(Purchase(d, order, day(d % 7), C, 3))
    for n in range(3):
        order += 1
        out.append(Purchase(900, order, day(5 + 10 * n), A, 1))
    for n in range(6):
        order += 1
        out.append(Purchase(901, order, day(7 * n), S, 4))
        if n == 2:
            out.append(Purchase(901, order, day(7 * n), N1, 1))
    return out


@pytest.fixture(scope="module")
def model() -> Recommender:
    return Recommender.fit(channel())


def gtins(xs: Sequence[Suggestion]) -> list[str]:
    return [x.gtin for x in xs]


def test_co_ordered_products_are_suggested(model: Recommender) -> None:
    recs = gtins(model.recommend(900, 5))
    assert recs[0] == A  # its own staple
    assert B in recs
    assert recs.index(B) < recs.index(C)  # C has more dealers, B goes with A
    reason = model.recommend(900, 5)[recs.index(B)]
    assert A in reason.reason_en
    assert A in reason.reason_zh
    assert "一起订购" in reason.reason_zh


def test_staples_are_reordered_with_their_cycle(model: Recommender) -> None:
    recs = model.recommend(901, 3)
    assert recs[0].gtin == S
    assert "every 7 days" in recs[0].reason_en
    assert "7 天" in recs[0].reason_zh
    # bought once, long ago: below the weekly staple
    assert gtins(recs).index(N1) > 0


def test_exclude_and_candidates_are_honoured(model: Recommender) -> None:
    assert A not in gtins(model.recommend(900, 10, exclude={A}))
    only = gtins(model.recommend(900, 10, candidates=[B, C, "unknown"]))
    assert set(only) == {B, C}
    assert gtins(model.recommend(900, 10, candidates=[B, C], exclude=[B])) == [C]
    assert model.recommend(900, 10, candidates=[]) == []
    assert model.recommend(900, 0) == []


def test_cold_start_is_the_popularity_ranking(model: Recommender) -> None:
    data = channel()
    assert gtins(model.recommend(123456, 4)) == gtins(popularity(data, 4))
    assert gtins(model.recommend(123456, 4, exclude={C})) == gtins(popularity(data, 4, exclude={C}))
    top = model.recommend(123456, 1)[0]
    assert top.gtin == C
    assert "30" in top.reason_en
    assert "30" in top.reason_zh


def test_popularity_counts_dealers_then_units_then_gtin() -> None:
    p = [Purchase(1, 1, D0, "b", 1), Purchase(2, 2, D0, "b", 1),
         Purchase(1, 1, D0, "a", 50),  # one dealer, many units
         Purchase(3, 3, D0, "d", 5), Purchase(3, 4, D0, "c", 5)]  # fmt: skip
    assert gtins(popularity(p, 10)) == ["b", "a", "c", "d"]
    assert [s.score for s in popularity(p, 2)] == [2.0, 1.0]


def test_results_do_not_depend_on_input_order() -> None:
    data = channel()
    shuffled = list(data)
    random.Random(4).shuffle(shuffled)
    one, two = Recommender.fit(data), Recommender.fit(shuffled)
    for dealer in (1, 25, 900, 901, 77777):
        assert one.recommend(dealer, 6) == two.recommend(dealer, 6)


def test_ties_are_broken_by_gtin() -> None:
    # two products with identical histories for one dealer
    p = [Purchase(1, n, day(7 * n), g, 1) for n in range(4) for g in ("z9", "a1", "m5")]
    recs = Recommender.fit(p).recommend(1, 3)
    assert gtins(recs) == ["a1", "m5", "z9"]
    assert len({s.score for s in recs}) == 1


def test_an_empty_history_fits_and_recommends_nothing() -> None:
    model = Recommender.fit([])
    assert model.recommend(1, 10) == []
    assert popularity([], 10) == []


purchase_st = st.builds(
    Purchase,
    dealer=st.integers(1, 5),
    order=st.integers(1, 12),
    day=st.integers(0, 40).map(day),
    gtin=st.sampled_from(["g1", "g2", "g3", "g4", "g5"]),
    units=st.integers(1, 9),
)


def one_day_per_order(lines: list[Purchase]) -> list[Purchase]:
    """An order has one day: the first line's."""
    first: dict[tuple[int, int], dt.date] = {}
    out = []
    for p in lines:
        d = first.setdefault((p.dealer, p.order), p.day)
        out.append(Purchase(p.dealer, p.order, d, p.gtin, p.units))
    return out


@settings(max_examples=150)
@given(st.lists(purchase_st, max_size=60).map(one_day_per_order), st.integers(1, 3))
def test_the_split_never_leaks_a_held_out_order(lines: list[Purchase], n: int) -> None:
    train, truth = split_latest(lines, n)
    orders: dict[int, dict[int, dt.date]] = {}
    for p in lines:
        orders.setdefault(p.dealer, {})[p.order] = p.day
    train_orders = {(p.dealer, p.order) for p in train}
    for dealer, days in orders.items():
        ranked = sorted(days, key=lambda o: (days[o], o))
        held = set(ranked[-n:]) if len(ranked) > n else set()
        assert (dealer in truth) == bool(held)
        # no held-out order in training, every other order is
        assert not {(dealer, o) for o in held} & train_orders
        assert {(dealer, o) for o in days if o not in held} <= train_orders
        if held:
            want = {p.gtin for p in lines if p.dealer == dealer and p.order in held}
            assert truth[dealer] == want
            latest_train = max((days[o], o) for o in days if o not in held)
            assert all(latest_train < (days[o], o) for o in held)
    held_lines = [p for p in lines if (p.dealer, p.order) not in train_orders]
    assert len(train) + len(held_lines) == len(lines)


def test_split_refuses_zero_orders() -> None:
    with pytest.raises(ValueError, match="n_orders"):
        split_latest([], 0)


def test_evaluate_scores_the_staple_dealer() -> None:
    # dealer 901's latest order is S again: the recommender finds it at rank 1
    report = evaluate(channel(), k=3)
    assert report.dealers > 0
    assert 0.0 <= report.baseline.map <= 1.0
    assert report.recommender.hit_rate >= report.baseline.hit_rate
    assert report.fit_seconds >= 0.0


def test_the_due_product_comes_before_the_one_just_bought() -> None:
    # orders every 7 days alternate "b" and "a" (each every 14 days); "a" was bought
    # in the last order, so "b" is due at the next one despite the gtin tie-break
    p = [Purchase(1, n, day(7 * n), "b" if n % 2 == 0 else "a", 1) for n in range(6)]
    model = Recommender.fit(p)
    assert gtins(model.recommend(1, 2)) == ["b", "a"]
    assert "every 14 days" in model.recommend(1, 1)[0].reason_en


def test_a_long_lapsed_staple_fades() -> None:
    p = [Purchase(1, n, day(7 * n), S, 1) for n in range(6)]
    now = Recommender.fit(p, as_of=day(42)).recommend(1, 1)[0]
    later = Recommender.fit(p, as_of=day(400)).recommend(1, 1)[0]
    assert now.gtin == later.gtin == S
    assert later.score < now.score / 2
