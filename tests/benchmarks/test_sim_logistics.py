"""benchmarks/sim_logistics.py keeps running: its own geometry, its truth by construction,
and a tiny run through the real logistics service (and through its naive stand-in),
whose report has every kind with its counts and rates in [0, 1]. The accuracy target is
the benchmark's business, not this test's."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import sim_logistics as sim

TINY = ["--shipments", "60", "--warmup", "40", "--warmup-days", "3", "--days", "3",
        "--check-hours", "6", "--stall", "0.1", "--detour", "0.1", "--misdelivery", "0.1",
        "--examples", "1"]  # fmt: skip


def test_haversine_knows_real_distances() -> None:
    # 北京 - 上海 is about 1,068 km, 广州 - 深圳 about 105 km
    bj, sh = (39.90, 116.40), (31.23, 121.47)
    assert 1050 < sim.haversine_km(*bj, *sh) < 1090
    assert 95 < sim.haversine_km(23.13, 113.26, 22.54, 114.06) < 115


@given(st.floats(20, 45), st.floats(90, 125), st.floats(20, 45), st.floats(90, 125),
       st.floats(20, 45), st.floats(90, 125))  # fmt: skip
def test_the_distance_to_an_arc_is_at_most_that_to_its_ends(
    plat: float, plon: float, alat: float, alon: float, blat: float, blon: float
) -> None:
    p, a, b = (plat, plon), (alat, alon), (blat, blon)
    km, along = sim.arc_km(p, a, b)
    assert 0 <= along <= 1
    assert km <= min(sim.haversine_km(*p, *a), sim.haversine_km(*p, *b)) + 1e-6
    assert sim.arc_km(a, a, b)[0] < 1e-6


def test_the_truth_is_by_construction() -> None:
    args = sim.parser().parse_args([*TINY, "--detector", "naive"])
    clock0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ships, _end = sim.world(args, clock0)
    evaluated = [s for s in ships if not s.warmup]
    assert all(not s.truth and not s.injected for s in ships if s.warmup)
    for s in evaluated:
        assert all(e.arrives >= e.at for e in s.arrivals)
        assert [e.at for e in s.events] == sorted(e.at for e in s.events)
        if "detour" in s.truth:
            assert any(sim.route_km((e.lat, e.lon), s.route) > sim.DETOUR_KM for e in s.events)
        if "misdelivery" in s.truth:
            assert s.events[-1].city is not s.destination
        if s.note.get("lost"):
            assert s.delivered is None and "late" in s.truth
        if "late" not in s.truth:
            assert s.delivered is not None and s.delivered <= s.promised
    assert sum("stall" in s.truth for s in evaluated) >= 2


def check_report(result: dict[str, Any], out: str) -> None:
    assert result["evaluated"] == 60 and result["shipments"] == 100
    assert result["sent"] >= result["events"] > 100
    assert set(result["kinds"]) == {"stall", "detour", "misdelivery", "late"}
    for kind, fig in result["kinds"].items():
        for rate in (fig["precision"], fig["recall"]):  # None: undefined (no alert, no truth)
            assert rate is None or 0.0 <= rate <= 1.0, kind
        assert fig["tp"] + fig["fn"] == fig["truth"] and fig["tp"] + fig["fp"] == fig["alerts"]
    assert "precision" in out and "recall" in out and "events/s" in out
    for alert in ("stalled", "off_route", "wrong_destination", "late"):
        assert alert in out


async def test_a_tiny_run_with_the_naive_detector(capsys: pytest.CaptureFixture[str]) -> None:
    result = await sim.main(sim.parser().parse_args([*TINY, "--detector", "naive"]))
    check_report(result, capsys.readouterr().out)


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_a_tiny_run_through_the_logistics_service(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = sim.parser().parse_args([*TINY, "--backend", backend, "--rules", "min_samples=5"])
    result = await sim.main(args)  # by default: the naive baseline, then Veriseal
    out = capsys.readouterr().out
    check_report(result, out)
    check_report(result["naive"], out)
    assert "'min_samples': 5" in out  # --rules reached the brand's settings
    assert "Veriseal against the naive detector" in out
    for kind in ("stall", "detour", "misdelivery", "late"):
        assert re.search(rf"^{kind} +\S+ +\S+ +\S+$", out, re.M), kind
