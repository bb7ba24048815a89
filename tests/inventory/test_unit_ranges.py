"""Property tests of code-tracked unit arithmetic (veriseal_inventory.unit_ranges)
against a model: a plain set of ``(batch_id, index)`` pairs, the truth here."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal import IndexRange
from veriseal_inventory import unit_ranges as ur

Model = set[tuple[int, int]]

spans = st.lists(
    st.tuples(st.integers(0, 120), st.integers(0, 25)).map(lambda p: IndexRange(p[0], p[0] + p[1])),
    max_size=6,
)
# batches 1..4 (few, so two sets often share one), some with empty lists
units = st.dictionaries(st.integers(1, 4), spans, max_size=4)


def model(u: ur.Units) -> Model:
    return {(b, i) for b, rs in u.items() for r in rs for i in range(r.first, r.last + 1)}


def is_normal(u: dict[int, list[IndexRange]]) -> bool:
    return list(u) == sorted(u) and all(
        rs
        and all(r.first <= r.last for r in rs)
        and all(a.last + 1 < b.first for a, b in itertools.pairwise(rs))
        for rs in u.values()
    )


@given(units, units)
def test_set_operations_match_the_model(a: ur.Units, b: ur.Units) -> None:
    for got, want in (
        (ur.normalise(a), model(a)),
        (ur.union(a, b), model(a) | model(b)),
        (ur.subtract(a, b), model(a) - model(b)),
        (ur.intersect(a, b), model(a) & model(b)),
    ):
        assert model(got) == want and is_normal(got)
        assert ur.count(got) == len(want)
    assert ur.overlaps(a, b) == bool(model(a) & model(b))
    assert ur.contains(a, b) == (model(b) <= model(a))
    assert ur.count(a) == len(model(a))


@given(units)
def test_text_round_trips(u: ur.Units) -> None:
    text = ur.to_text(u)
    assert ur.parse_text(text) == ur.normalise(u)
    assert model(ur.of_pairs(ur.pairs(u))) == model(u)


@given(units, st.integers(10, 80))
def test_describe_is_short_and_counts_what_it_leaves_out(u: ur.Units, limit: int) -> None:
    text = ur.describe(u, limit)
    if len(ur.to_text(u)) <= limit:
        assert text == ur.to_text(u)
        return
    shown, _, rest = text.partition(" (+")
    left_out = int(rest.removesuffix(" more)"))
    named = ur.parse_text(shown)
    assert model(named) <= model(u) and named  # never names a unit not in the set
    assert len(model(named)) + left_out == len(model(u))


def test_compact_text_examples() -> None:
    # typed by hand: batch 12 units 1..5 and 9, batch 13 units 100..199
    u = {13: [IndexRange(100, 199)], 12: [IndexRange(9, 9), IndexRange(1, 3), IndexRange(4, 5)]}
    assert ur.to_text(u) == "12:1-5,9 13:100-199"
    assert ur.parse_text(" 13:150-199,100-160;12:9,1-5 ") == ur.normalise(u)
    assert ur.count(u) == 106
    assert ur.to_text({}) == "" and ur.parse_text("") == {}


@pytest.mark.parametrize("text", ["12", "12:", ":5", "12:5-3", "x:1", "12:1-", "12:1,,2", "١:1"])
def test_bad_text_is_refused(text: str) -> None:
    with pytest.raises(ur.UnitsInvalid) as e:
        ur.parse_text(text)
    assert e.value.code == "stock_units_invalid"


@given(st.lists(st.tuples(spans, st.one_of(st.none(), st.integers(1, 3))), max_size=6))
def test_assign_matches_a_per_index_model(
    history: list[tuple[list[IndexRange], int | None]],
) -> None:
    rows: list[tuple[IndexRange, int]] = []
    truth: dict[int, int] = {}
    for moved, place in history:
        rows = ur.assign(rows, moved, place)
        for i in model({0: moved}):
            if place is None:
                truth.pop(i[1], None)
            else:
                truth[i[1]] = place
        assert {i: v for r, v in rows for i in range(r.first, r.last + 1)} == truth
        # ordered, disjoint, and no two touching rows with the same place
        for (r1, v1), (r2, v2) in itertools.pairwise(rows):
            assert r1.last < r2.first and not (r1.last + 1 == r2.first and v1 == v2)
