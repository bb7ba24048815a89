"""A dated (cached) position from the browser: its accuracy grows with its age, so a
phone's last fix from another city never places a scan "outside" by itself."""

from __future__ import annotations

import math

from aiohttp.test_utils import make_mocked_request
from hypothesis import given
from hypothesis import strategies as st

from veriseal.models import LocationSource
from veriseal.server.scan_context import FRESH_FIX_S, STALE_FIX_SPEED_MS, location


def fix(query: str) -> tuple[float | None, LocationSource] | None:
    loc = location(make_mocked_request("GET", f"/01/09506000134352/21/X?{query}"))
    return None if loc is None else (loc.accuracy_m, loc.source)


def test_a_fresh_fix_keeps_its_accuracy_and_an_aged_one_grows() -> None:
    assert fix("lat=23.1&lon=113.3&acc=20") == (20.0, LocationSource.GPS)
    assert fix("lat=23.1&lon=113.3&acc=20&age=0") == (20.0, LocationSource.GPS)
    # two hours old: a traveller may have covered 216 km since
    assert fix("lat=23.1&lon=113.3&acc=20&age=7200") == (20.0 + 7200 * 30.0, LocationSource.GPS)
    assert fix("lat=23.1&lon=113.3&acc=20&age=60") == (20.0, LocationSource.GPS)  # current
    assert fix("lat=23.1&lon=113.3&age=600") == (18_000.0, LocationSource.GPS)
    # a malformed or negative age is ignored, never a failure
    assert fix("lat=23.1&lon=113.3&acc=20&age=-5") == (20.0, LocationSource.GPS)
    assert fix("lat=23.1&lon=113.3&acc=20&age=abc") == (20.0, LocationSource.GPS)


@given(st.floats(0, 1e5), st.floats(0, 1e9, allow_nan=False))
def test_accuracy_never_shrinks_with_age(acc: float, age: float) -> None:
    got = fix(f"lat=23.1&lon=113.3&acc={acc!r}&age={age!r}")
    assert got is not None and got[0] is not None
    if FRESH_FIX_S < age <= 10 * 365 * 86400:
        expected = min(acc + age * STALE_FIX_SPEED_MS, 1_000_000.0)
        assert math.isclose(got[0], max(expected, acc), rel_tol=1e-9)
    assert got[0] >= acc - 1e-9
