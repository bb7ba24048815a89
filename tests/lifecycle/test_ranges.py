"""Range arithmetic against a plain set-of-indexes model (hypothesis)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal.lifecycle.errors import RangeInvalid
from veriseal.lifecycle.index_ranges import (
    IndexRange,
    RangeMap,
    first_overlap,
    from_indexes,
    intersect,
    normalise,
    parse,
    subtract,
    total,
)

spans = st.builds(lambda a, n: IndexRange(a, a + n), st.integers(0, 200), st.integers(0, 30))
range_lists = st.lists(spans, max_size=12)


def as_set(ranges: list[IndexRange]) -> set[int]:
    return {i for r in ranges for i in range(r.first, r.last + 1)}


def is_normal(ranges: list[IndexRange]) -> bool:
    return all(b.first > a.last + 1 for a, b in itertools.pairwise(ranges))


@given(range_lists)
def test_normalise_merges_overlapping_and_adjacent(ranges: list[IndexRange]) -> None:
    out = normalise(ranges)
    assert as_set(out) == as_set(ranges)
    assert is_normal(out)
    assert total(out) == len(as_set(ranges))


@given(st.sets(st.integers(0, 500), max_size=60))
def test_from_indexes_is_the_runs(indexes: set[int]) -> None:
    out = from_indexes(indexes)
    assert as_set(out) == indexes and is_normal(out)
    runs = sum(1 for i in indexes if i - 1 not in indexes)
    assert len(out) == runs  # one range per run: the row count the ledger pays


@given(range_lists, range_lists)
def test_subtract_and_intersect_match_sets(a: list[IndexRange], b: list[IndexRange]) -> None:
    diff, both = subtract(a, b), intersect(a, b)
    assert as_set(diff) == as_set(a) - as_set(b) and is_normal(diff)
    assert as_set(both) == as_set(a) & as_set(b) and is_normal(both)
    # split and merge back: the pieces rebuild the original
    assert normalise(diff + both) == normalise(a)


@given(range_lists)
def test_first_overlap_finds_shared_indexes(ranges: list[IndexRange]) -> None:
    clash = first_overlap(ranges)
    shared = sum(r.count for r in ranges) != len(as_set(ranges))
    assert (clash is not None) == shared
    if clash is not None:
        assert as_set([clash[0]]) & as_set([clash[1]])


@given(st.lists(st.tuples(spans, st.sampled_from("abc")), max_size=15), st.integers(0, 240))
def test_range_map_last_assignment_wins(history: list[tuple[IndexRange, str]], probe: int) -> None:
    m: RangeMap[str] = RangeMap(history)
    model: dict[int, str] = {}
    for r, v in history:
        for i in range(r.first, r.last + 1):
            model[i] = v
    assert m.get(probe) == model.get(probe)
    segments = m.segments()
    assert all(b[0].first > a[0].last for a, b in itertools.pairwise(segments))
    for value in "abc":
        assert as_set(m.ranges_with(value)) == {i for i, v in model.items() if v == value}


@pytest.mark.parametrize(
    ("text", "want"),
    [("5", IndexRange(5, 5)), ("10-19", IndexRange(10, 19)), (" 3..4 ", IndexRange(3, 4))],
)
def test_parse(text: str, want: IndexRange) -> None:
    assert parse(text) == want


@pytest.mark.parametrize("text", ["", "-1", "9-3", "a-b", "1-2-3", "1e3"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(RangeInvalid):
        parse(text)


@given(st.lists(st.tuples(spans, st.sampled_from("ab")), max_size=15), spans)
def test_range_map_overlapping(history: list[tuple[IndexRange, str]], probe: IndexRange) -> None:
    m: RangeMap[str] = RangeMap(history)
    found = m.overlapping(probe)
    assert {(i, v) for r, v in found for i in range(r.first, r.last + 1)} == {
        (i, m.get(i)) for i in range(probe.first, probe.last + 1) if m.get(i) is not None
    }


@given(st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=4))
def test_parse_reads_ascii_digits_only(digits: str) -> None:
    """Other scripts' digits ('١', '²') are not indexes: int() would read some of them."""
    if digits.isascii():
        return
    with pytest.raises(RangeInvalid):
        parse(digits)
