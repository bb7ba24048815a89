"""RFM scoring (pure): scores stay in 1..5 and never punish a better value, ties and
input order change nothing, dormancy follows max(60 days, 3 x the usual gap), and the
segment rules are checked against hand-built dealers."""

from __future__ import annotations

import datetime as dt
import random
import statistics

from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal_analytics.rfm import (
    RULES,
    SEGMENTS,
    OrderFact,
    Scored,
    quintiles,
    rules_table,
    score,
    segment,
    usual_gap,
)

TODAY = dt.date(2026, 12, 4)

facts_st = st.lists(
    st.builds(
        OrderFact,
        org_id=st.integers(1, 12),
        day=st.integers(0, 400).map(lambda n: TODAY - dt.timedelta(days=n)),
        value=st.integers(0, 1_000_000),
    ),
    max_size=80,
)


def by_org(found: list[Scored]) -> dict[int, Scored]:
    return {s.org_id: s for s in found}


@settings(max_examples=150, deadline=None)
@given(facts_st, st.integers(1, 400))
def test_scores_in_range_and_monotone(facts: list[OrderFact], window: int) -> None:
    got = score(facts, TODAY, window)
    assert [s.org_id for s in got] == sorted({f.org_id for f in facts})
    for s in got:
        assert all(1 <= v <= 5 for v in (s.r, s.f, s.m))
        assert s.segment in SEGMENTS
    for a in got:
        for b in got:
            # a better figure never scores lower; equal figures score the same
            if a.monetary > b.monetary:
                assert a.m >= b.m
            if a.frequency > b.frequency:
                assert a.f >= b.f
            if a.recency < b.recency:
                assert a.r >= b.r
            if a.monetary == b.monetary:
                assert a.m == b.m
            if a.recency == b.recency:
                assert a.r == b.r


@settings(max_examples=100, deadline=None)
@given(facts_st, st.randoms(use_true_random=False))
def test_input_order_changes_nothing(facts: list[OrderFact], rnd: random.Random) -> None:
    shuffled = list(facts)
    rnd.shuffle(shuffled)
    assert score(shuffled, TODAY) == score(facts, TODAY)


@settings(max_examples=100, deadline=None)
@given(facts_st, st.integers(1, 400))
def test_figures_match_a_direct_count(facts: list[OrderFact], window: int) -> None:
    start = TODAY - dt.timedelta(days=window - 1)
    for s in score(facts, TODAY, window):
        mine = [f for f in facts if f.org_id == s.org_id]
        inside = [f for f in mine if f.day >= start]
        assert s.frequency == len(inside)
        assert s.monetary == sum(f.value for f in inside)
        assert s.recency == min((TODAY - f.day).days for f in mine)
        days = sorted({f.day for f in mine})
        gaps = [(days[i + 1] - days[i]).days for i in range(len(days) - 1)]
        limit = max(60, 3 * statistics.median(gaps)) if gaps else 60
        assert s.dormant == (s.recency > limit)
        assert (s.segment == "dormant") == s.dormant


@given(st.dictionaries(st.integers(), st.integers(-50, 50), min_size=1, max_size=40))
def test_quintiles_use_every_rank_band_evenly(values: dict[int, int]) -> None:
    got = quintiles({k: float(v) for k, v in values.items()})
    assert set(got) == set(values)
    distinct = len(set(values.values()))
    if distinct == len(values) and len(values) >= 5:
        # distinct values: each score holds about a fifth of the dealers
        counts = [list(got.values()).count(q) for q in range(1, 6)]
        assert max(counts) - min(counts) <= 1


def test_few_dealers_get_middling_scores() -> None:
    assert quintiles({1: 10.0}) == {1: 3}
    assert quintiles({1: 10.0, 2: 20.0}) == {1: 2, 2: 4}
    assert quintiles({1: 5.0, 2: 5.0, 3: 5.0}) == {1: 3, 2: 3, 3: 3}
    assert quintiles({k: float(k) for k in range(10)}) == {
        0: 1, 1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 4, 7: 4, 8: 5, 9: 5,
    }  # fmt: skip


def test_dormancy_threshold_follows_the_usual_gap() -> None:
    weekly = [OrderFact(1, TODAY - dt.timedelta(days=61 + 7 * i), 100) for i in range(5)]
    every_month = [OrderFact(2, TODAY - dt.timedelta(days=61 + 30 * i), 100) for i in range(5)]
    every_quarter = [OrderFact(3, TODAY - dt.timedelta(days=200 + 90 * i), 100) for i in range(3)]
    got = by_org(score(weekly + every_month + every_quarter, TODAY, 730))
    assert usual_gap(f.day for f in weekly) == 7.0
    # 61 days since the last order: over 60 for the weekly buyer, under 3 x 30 for the monthly
    assert got[1].dormant and got[1].dormant_after == 60
    assert not got[2].dormant and got[2].dormant_after == 90
    assert got[2].segment != "dormant"
    # 200 days > 3 x 90 is false: a quarterly buyer is not dormant yet
    assert not got[3].dormant and got[3].dormant_after == 270
    assert got[1].segment == "dormant"


def test_segments_of_hand_built_dealers() -> None:
    facts = []
    # 1 (champion): ordered yesterday and often, big orders; 2: loyal but smaller
    facts += [OrderFact(1, TODAY - dt.timedelta(days=1 + 10 * i), 90_000) for i in range(12)]
    facts += [OrderFact(2, TODAY - dt.timedelta(days=2 + 10 * i), 100) for i in range(11)]
    # 3 (new): first order last week
    facts += [OrderFact(3, TODAY - dt.timedelta(days=5), 1000)]
    # 4 (at risk): ordered a lot, last 40 days ago, usual gap 15 (not dormant: 45 > 40)
    facts += [OrderFact(4, TODAY - dt.timedelta(days=40 + 15 * i), 50_000) for i in range(12)]
    # 5, 6 (low activity): one small old order each, within 60 days
    facts += [OrderFact(5, TODAY - dt.timedelta(days=58), 10)]
    facts += [OrderFact(6, TODAY - dt.timedelta(days=59), 20)]
    # 7 (dormant): last order 120 days ago
    facts += [OrderFact(7, TODAY - dt.timedelta(days=120 + 20 * i), 70_000) for i in range(3)]
    # 8..12 (new): one order three days ago each; they push 4, 5 and 6 down to R <= 2
    facts += [OrderFact(k, TODAY - dt.timedelta(days=3), 2000) for k in range(8, 13)]
    got = by_org(score(facts, TODAY, 365))
    assert got[1].segment == "champions", got[1]
    assert got[2].segment == "loyal", got[2]
    assert got[3].segment == "new"
    assert got[4].segment == "at_risk", got[4]
    assert got[5].segment == "hibernating" and got[6].segment == "hibernating"
    assert got[7].segment == "dormant"
    assert all(got[k].segment == "new" for k in range(8, 13))
    # the scores behind them, by hand from the mid-rank rule (12 dealers)
    assert (got[1].r, got[1].f, got[1].m) == (5, 5, 5)
    assert (got[2].r, got[2].f, got[2].m) == (5, 4, 2)
    assert (got[4].r, got[5].r, got[6].r, got[7].r) == (2, 2, 1, 1)


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.booleans(), st.booleans())
def test_every_score_gets_exactly_the_first_matching_rule(
    r: int, f: int, m: int, dormant: bool, new: bool
) -> None:
    code = segment(r, f, m, dormant=dormant, new=new)
    matching = [x.code for x in RULES if x.test(r, f, m, dormant, new)]
    assert code == matching[0]
    if dormant:
        assert code == "dormant"
    if r >= 4 and f >= 4 and m >= 4 and not dormant and not new:
        assert code == "champions"


def test_rule_table_names_both_languages() -> None:
    zh = {r["code"]: r["name"] for r in rules_table("zh")}
    en = {r["code"]: r["name"] for r in rules_table("en")}
    assert zh["champions"] == "核心客户" and en["champions"] == "Champions"
    assert zh["dormant"] == "沉睡客户" and zh["at_risk"] == "流失风险"
    assert zh["new"] == "新客户" and zh["loyal"] == "忠诚客户" and zh["promising"] == "潜力客户"
    assert list(zh) == [r.code for r in RULES]
    conditions = {r["code"]: r["when"] for r in rules_table("zh")}
    assert "天" in conditions["dormant"] and "倍" in conditions["dormant"]
