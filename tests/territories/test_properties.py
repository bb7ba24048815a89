"""Property tests: holdings range arithmetic against a set model, and the dealer CSV
parser on generated files (hypothesis)."""

from __future__ import annotations

import csv
import io
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal.lifecycle.index_ranges import IndexRange
from veriseal_territories import ranges
from veriseal_territories.dealers import check_refs, parse_csv

spans = st.lists(
    st.tuples(st.integers(0, 200), st.integers(0, 30)).map(lambda p: IndexRange(p[0], p[0] + p[1])),
    max_size=8,
)


def as_set(rs: list[IndexRange]) -> set[int]:
    return {i for r in rs for i in range(r.first, r.last + 1)}


def is_normal(rs: list[IndexRange]) -> bool:
    return all(a.last + 1 < b.first for a, b in itertools.pairwise(rs))


@given(spans, spans)
def test_set_operations(a: list[IndexRange], b: list[IndexRange]) -> None:
    for got, want in (
        (ranges.normalise(a), as_set(a)),
        (ranges.subtract(a, b), as_set(a) - as_set(b)),
        (ranges.intersect(a, b), as_set(a) & as_set(b)),
    ):
        assert as_set(got) == want and is_normal(got)
        assert ranges.count(got) == len(want)


@given(st.lists(st.tuples(spans, st.integers(1, 4)), max_size=6), spans)
def test_reassign_matches_a_per_index_model(
    history: list[tuple[list[IndexRange], int]], probe: list[IndexRange]
) -> None:
    held: list[tuple[IndexRange, int]] = []
    model: dict[int, int] = {}
    for moved, holder in history:
        if not moved:
            continue
        held = ranges.reassign(held, moved, holder)
        model.update({i: holder for i in as_set(moved)})
        flat = {i: v for r, v in held for i in range(r.first, r.last + 1)}
        assert flat == model
        # disjoint, ordered, and no two adjacent rows with the same holder
        for (r1, v1), (r2, v2) in itertools.pairwise(held):
            assert r1.last < r2.first and not (r1.last + 1 == r2.first and v1 == v2)
    found, free = ranges.split_by_holder(held, ranges.normalise(probe))
    assert {i: v for r, v in found for i in range(r.first, r.last + 1)} == {
        i: model[i] for i in as_set(probe) if i in model
    }
    assert as_set(free) == {i for i in as_set(probe) if i not in model}


@given(st.lists(st.tuples(spans, st.integers(0, 3)), max_size=8))
def test_release_matches_a_per_index_model(history: list[tuple[list[IndexRange], int]]) -> None:
    """Shipments (holder 1-3) and take-backs (0: the units go back to nobody, the brand)
    in any order: the holdings are always the per-index model, in canonical rows."""
    held: list[tuple[IndexRange, int]] = []
    model: dict[int, int] = {}
    for moved, holder in history:
        if not moved:
            continue
        if holder == 0:
            held = ranges.release(held, moved)
            for i in as_set(moved):
                model.pop(i, None)
        else:
            held = ranges.reassign(held, moved, holder)
            model.update({i: holder for i in as_set(moved)})
        assert {i: v for r, v in held for i in range(r.first, r.last + 1)} == model
        for (r1, v1), (r2, v2) in itertools.pairwise(held):
            assert r1.last < r2.first and not (r1.last + 1 == r2.first and v1 == v2)


codes = st.from_regex(r"[A-Z][A-Z0-9]{1,7}", fullmatch=True)
names = st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=20).filter(
    lambda s: s.strip() != ""
)


@settings(max_examples=60, deadline=None)  # the first call loads the region data
@given(
    st.lists(
        st.tuples(
            codes,
            names,
            st.sampled_from(["distributor", "retailer", ""]),
            st.sampled_from(["CN-GD", "440000", "CN-ZJ;CN-SH", ""]),
        ),
        unique_by=lambda r: r[0],
        max_size=12,
    )
)
def test_generated_csv_parses_back(rows: list[tuple[str, str, str, str]]) -> None:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["编码", "名称", "类型", "区域"])
    for row in rows:
        w.writerow(row)
    parsed, errors = parse_csv(out.getvalue())
    assert errors == []
    assert [(p.code, p.name, str(p.kind)) for p in parsed] == [
        (c, n.strip(), k or "distributor") for c, n, k, _ in rows
    ]
    for p, (*_, regions) in zip(parsed, rows, strict=True):
        assert len(p.regions) == len({r for r in regions.split(";") if r})


@settings(deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_rows_or_line_numbered_errors(text: str) -> None:
    try:
        parsed, errors = parse_csv("code,name,parent\n" + text)
    except Exception as exc:  # only the coded error for an unusable structure
        assert getattr(exc, "code", None) == "csv_invalid"
        return
    ordered, ref_errors = check_refs(parsed, {})
    assert all(e.line >= 2 for e in errors + ref_errors)
    assert len(ordered) + len({e.line for e in ref_errors}) == len(parsed)
    seen: set[str] = set()
    for r in ordered:  # parents always come first
        assert not r.parent or r.parent in seen
        seen.add(r.code)
