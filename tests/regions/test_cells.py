"""Regions remembered per certified grid cell: never a different answer, only a faster
one. Every expectation comes from the same resolver with the memo switched off (the
exact path, the ground truth a memo must reproduce), never from the memo itself."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal.models import Location, LocationSource
from veriseal.regions import cells
from veriseal.regions.cells import LEVELS, SIGHTINGS, CellMemo, bounds, cell_of
from veriseal.regions.resolver import RegionResolver, default_resolver
from veriseal.scanning import service as scan_service
from veriseal.scanning.service import GroupCommitter

#: City centres, and places where borders meet: Shenzhen and Hong Kong (the Shenzhen
#: River), Guangzhou and Foshan, Shanghai's districts, the Sino-Vietnamese border at
#: Pingxiang, the Beijing-Hebei line at Sanhe; the memo is hardest tested where
#: districts are small and places dense.
CENTRES = (
    (31.23, 121.47), (39.90, 116.40), (23.13, 113.26), (22.54, 114.06), (30.57, 104.07),
    (22.52, 114.10), (23.05, 113.15), (31.10, 121.30), (22.10, 106.75), (39.98, 116.90),
)  # fmt: skip


@pytest.fixture(scope="module")
def exact() -> RegionResolver:
    return default_resolver().with_cells(0)


@pytest.fixture
def memo() -> RegionResolver:
    return default_resolver().with_cells(50_000)


def snapped(lat: float, lon: float, level: int, corner: int) -> tuple[float, float]:
    """The point moved onto a corner of its cell at ``level`` (``corner``: 0-3): the
    points a rounding step decides the cell of."""
    cell = cell_of(lat, lon, level)
    assert cell is not None
    west, south, east, north = bounds(cell)
    pad = cells.PAD_DEGREES
    return (north - pad if corner & 1 else south + pad), (east - pad if corner & 2 else west + pad)


points = st.one_of(
    st.tuples(st.sampled_from(CENTRES), st.floats(-0.04, 0.04), st.floats(-0.04, 0.04)).map(
        lambda t: (t[0][0] + t[1], t[0][1] + t[2])
    ),
    st.tuples(st.floats(-60.0, 75.0), st.floats(-180.0, 180.0)),  # anywhere, sea too
)


@settings(max_examples=150, deadline=None)
@given(st.lists(points, min_size=1, max_size=12), st.integers(0, LEVELS), st.integers(0, 3))
def test_remembered_regions_are_the_exact_ones(
    exact: RegionResolver, pts: list[tuple[float, float]], snap: int, corner: int
) -> None:
    """Seen again and again (counted, certified or found mixed, its quarters likewise,
    answered from the memo), each point and its neighbours in its cells get exact
    resolution's answer, one at a time and in bulk."""
    memo = default_resolver().with_cells(50_000)
    if snap < LEVELS:
        pts = pts + [snapped(lat, lon, snap, corner) for lat, lon in pts]
    lat, lon = [p[0] for p in pts], [p[1] for p in pts]
    want = exact.resolve_many(lat, lon)
    for _ in range(SIGHTINGS * LEVELS):  # resolve() sights each point once; resolve_many never
        assert [memo.resolve(y, x) for y, x in pts] == want
        assert memo.resolve_many(lat, lon) == want
    probed = [memo.cached(y, x) for y, x in pts]
    assert all(got in (None, region) for got, region in zip(probed, want, strict=True))
    assert memo.cells is not None
    if memo.cells.certified:  # a proved cell's point is answered by the loop-side probe
        assert any(got is not None for got in probed)


def grid(cell: cells.Cell, n: int = 7) -> Iterator[tuple[float, float]]:
    """``n`` x ``n`` points spread over the cell, its corners and edges included."""
    west, south, east, north = bounds(cell)
    for i, j in itertools.product(range(n), range(n)):
        yield south + (north - south) * i / (n - 1), west + (east - west) * j / (n - 1)


def test_every_point_of_a_certified_cell_resolves_alike(
    exact: RegionResolver, memo: RegionResolver
) -> None:
    """Over many cells around city centres and borders, each certified cell's region is
    what exact resolution gives at 49 points across it; crossed cells are found and
    their points still answered exactly."""
    assert memo.cells is not None
    offsets = itertools.product((-0.03, -0.011, 0.0, 0.017, 0.031), (-0.027, 0.0, 0.013, 0.029))
    seeds = [(la + dy, lo + dx) for (la, lo), (dy, dx) in itertools.product(CENTRES, offsets)]
    for _ in range(SIGHTINGS * LEVELS):
        for lat, lon in seeds:
            memo.resolve(lat, lon)
    held = memo.cells.certified_cells()
    assert memo.cells.certified >= len(seeds) // 4  # the memo does certify
    assert memo.cells.mixed >= len(CENTRES)  # and finds crossed cells near borders
    assert {cell[0] for cell, _ in held} > {0}  # quarters, not only the largest cells
    for cell, region in held:
        for lat, lon in grid(cell):
            assert exact.resolve(lat, lon) == region, (cell, lat, lon)


def test_a_cell_is_proved_on_its_third_sighting(
    exact: RegionResolver, memo: RegionResolver
) -> None:
    """Counted twice, proved (or found mixed) on the third sighting, one certificate per
    sighting; a mixed cell's quarter is then counted from its own first sighting."""
    assert memo.cells is not None
    lat, lon = 34.7466, 113.6253  # Zhengzhou
    for proofs in range(1, LEVELS + 1):
        for _ in range(SIGHTINGS - 1):
            assert memo.resolve(lat, lon) == exact.resolve(lat, lon)
            assert memo.cells.certified + memo.cells.mixed == proofs - 1
            assert memo.cached(lat, lon) is None
        memo.resolve(lat, lon)
        assert memo.cells.certified + memo.cells.mixed == proofs
        if memo.cells.certified:
            break
    assert memo.cells.certified == 1, "no cell of the point proved at any level"
    assert memo.cached(lat, lon) == exact.resolve(lat, lon)


def test_points_no_cell_stands_for() -> None:
    assert cell_of(float("nan"), 10.0) is None
    assert cell_of(89.0, 10.0) is None  # polar
    assert cell_of(10.0, 181.0) is None
    memo = CellMemo(lambda *box: pytest.fail("nothing to certify"), 8)
    for _ in range(3):
        assert memo.lookup(float("inf"), 0.0) is None
        assert memo.peek(-89.5, 0.0) is None


def test_bounded(exact: RegionResolver) -> None:
    memo = default_resolver().with_cells(8)
    assert memo.cells is not None
    for k in range(40):
        for _ in range(SIGHTINGS):
            memo.resolve(30.0 + k * 0.05, 110.0)
    assert len(memo.cells) == 8
    assert memo.resolve(30.0, 110.0) == exact.resolve(30.0, 110.0)  # forgotten, still right


async def test_certified_points_skip_the_worker_thread(
    exact: RegionResolver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A point needed before its verdict is answered on the loop once its cell is
    certified: no thread hop."""
    resolver = default_resolver().with_cells(1000)
    committer = GroupCommitter(None, resolver=lambda: resolver)  # type: ignore[arg-type]
    hops = 0
    real = asyncio.to_thread

    async def counted(*args: object, **kwargs: object) -> object:
        nonlocal hops
        hops += 1
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scan_service.asyncio, "to_thread", counted)
    where = [Location(lat, lon, 20.0, LocationSource.GPS) for lat, lon in CENTRES]
    want = [exact.resolve(p.lat, p.lon) for p in where]
    for _ in range(SIGHTINGS):  # counted, then proved: in a thread
        assert [await committer.region(p) for p in where] == want
    assert hops == SIGHTINGS * len(where)
    known = [p for p in where if resolver.cached(p.lat, p.lon) is not None]
    assert len(known) >= 3
    assert [await committer.region(p) for p in known] == [
        exact.resolve(p.lat, p.lon) for p in known
    ]
    assert hops == SIGHTINGS * len(where)  # from the memo, on the loop
    assert [await committer.region(p) for p in where] == want
    assert hops == SIGHTINGS * len(where) + len(where) - len(known)  # only the rest
    committer.resolver = lambda: exact  # replaced: its own, no memo of the old one's
    assert await committer.region(known[0]) == want[where.index(known[0])]
    assert hops == SIGHTINGS * len(where) + len(where) - len(known) + 1
