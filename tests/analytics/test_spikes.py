"""Spike and drop detection: injected anomalies found, quiet series left alone, scores
independent of the series' scale, the short-series path, period-over-period change."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal_analytics.spikes import FLAT_SCORE, Anomaly, change, detect, infer_period

START = dt.date(2026, 1, 1)


def days(n: int, step: int = 1) -> list[dt.date]:
    return [START + dt.timedelta(days=i * step) for i in range(n)]


def weekly_sales(n: int = 140, seed: int = 5, noise: float = 3.0) -> np.ndarray:
    t = np.arange(n)
    season = np.array([0.0, -5, -3, 0, 4, 18, 22])
    rng = np.random.default_rng(seed)
    values: np.ndarray = 200 + 0.6 * t + season[t % 7] + rng.normal(0, noise, n)
    return values


def test_constant_series_has_no_anomalies() -> None:
    for n in (10, 30, 200):
        assert detect([7.25] * n, dates=days(n)) == []
    assert detect([0.0] * 50, dates=days(50)) == []


def test_clean_trend_and_season_have_no_anomalies() -> None:
    t = np.arange(210)
    values = 1000 + 3.0 * t + np.array([5.0, -3, 0, 2, -4, 1, -1])[t % 7]
    assert detect(list(values), dates=days(210)) == []


def test_injected_spike_and_drop_are_found_with_their_expected_value() -> None:
    values = weekly_sales()
    clean = values.copy()
    values[90] += 60  # 20 noise sigmas
    values[117] -= 60
    found = detect(list(values), dates=days(140))
    by_date = {a.date: a for a in found}
    spike, drop = by_date[days(140)[90]], by_date[days(140)[117]]
    assert spike.kind == "spike" and spike.score > 3.5 and spike.value == values[90]
    assert drop.kind == "drop" and drop.score < -3.5
    # the expected value is near what the day would have been without the injection
    assert abs(spike.expected - clean[90]) < 15 and abs(drop.expected - clean[117]) < 15
    # a weekly season 10x the noise does not fire by itself
    assert len(found) <= 4


def test_weekend_peaks_are_not_spikes_but_a_spike_on_a_quiet_weekday_is() -> None:
    values = weekly_sales(noise=1.0)
    values[100] += 15  # a Tuesday lifted to about a Saturday's level: unusual for Tuesday
    anomalies = detect(list(values), dates=days(140))
    assert [a.date for a in anomalies if a.kind == "spike"] == [days(140)[100]]


def test_short_series_compares_raw_values_with_the_trailing_median() -> None:
    values = [10.0, 11, 9, 10, 12, 10, 11, 9, 10, 60, 10, 11]  # 12 < 2 x 7
    found = detect(values, dates=days(12))
    assert [(a.date, a.kind) for a in found] == [(days(12)[9], "spike")]
    assert found[0].expected == pytest.approx(float(np.median(values[1:9])))


def test_min_points_and_window() -> None:
    values = [10.0, 11, 9, 50, 10, 11, 9, 10, 12, 10]
    assert detect(values, dates=days(10)) == []  # the jump has only 3 points before it
    found = detect(values, dates=days(10), min_points=3, window=3)
    assert [a.date for a in found] == [days(10)[3]]


def test_flat_window_then_a_step() -> None:
    values = [5.0] * 10 + [6.0]
    found = detect(values, dates=days(11))
    assert found == [Anomaly(days(11)[10], 6.0, 5.0, FLAT_SCORE, "spike")]


def test_half_flat_window_uses_the_mean_absolute_deviation() -> None:
    values = [5.0] * 6 + [6.0, 4.0] + [5.0] * 4 + [9.0]  # MAD 0, mean deviation 2/12
    found = detect(values, dates=days(13), window=12)
    assert len(found) == 1
    assert found[0].score == pytest.approx(4.0 / (1.253314 * 2 / 12))


@given(
    st.lists(st.floats(0, 1000, allow_nan=False), min_size=10, max_size=50),
    st.integers(-20, 20),
)
def test_scores_do_not_depend_on_the_scale(values: list[float], exponent: int) -> None:
    """Multiplying a series by a power of two changes no rounding, so the anomalies
    must be the same ones with the same scores and scaled values."""
    factor = 2.0**exponent
    base = detect(values, dates=days(len(values)))
    scaled = detect([v * factor for v in values], dates=days(len(values)))
    assert [(a.date, a.kind) for a in base] == [(a.date, a.kind) for a in scaled]
    for a, b in zip(base, scaled, strict=True):
        assert b.score == pytest.approx(a.score, rel=1e-9)
        assert b.expected == pytest.approx(a.expected * factor, rel=1e-9, abs=1e-300)


@given(st.floats(0.001, 1000))
def test_scores_do_not_depend_on_any_positive_scale(factor: float) -> None:
    values = weekly_sales()
    values[90] += 40
    base = detect(list(values), dates=days(140))
    scaled = detect(list(values * factor), dates=days(140))
    assert base and [a.date for a in base] == [a.date for a in scaled]
    for a, b in zip(base, scaled, strict=True):
        assert b.score == pytest.approx(a.score, rel=1e-6)


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=60))
def test_any_finite_series_gives_well_formed_anomalies(values: list[float]) -> None:
    found = detect(values, dates=days(len(values)))
    for a in found:
        assert math.isfinite(a.score) and abs(a.score) > 3.5
        assert (a.kind == "spike") == (a.score > 0)
        assert a.date in days(len(values))[8:]


def test_weekly_and_monthly_dates_choose_their_period() -> None:
    assert infer_period(days(10)) == 7
    assert infer_period(days(10, step=7)) == 52
    months = [dt.date(2022 + m // 12, m % 12 + 1, 1) for m in range(48)]
    assert infer_period(months) == 12
    with pytest.raises(ValueError):
        infer_period(days(10, step=3))
    noise = np.random.default_rng(2).normal(0, 1, 48)
    values = list(100 + 10 * np.sin(np.arange(48) * np.pi / 6) + noise)
    values[40] += 20
    found = detect(values, dates=months)
    spikes = [a for a in found if a.kind == "spike"]
    assert [a.date for a in spikes] == [months[40]]
    # what the spike left in its month's season may flag a borderline drop, never worse
    assert all(abs(a.score) < spikes[0].score / 3 for a in found if a.kind == "drop")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"values": [1.0, 2.0], "dates": days(3)},
        {"values": [1.0], "dates": days(1), "window": 5, "min_points": 6},
        {"values": [1.0], "dates": days(1), "min_points": 1},
        {"values": [1.0], "dates": days(1), "threshold": 0},
        {"values": [math.nan] * 20, "dates": days(20)},
    ],
)
def test_programming_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        detect(**kwargs)  # type: ignore[arg-type]


def test_change() -> None:
    assert change(125.0, 100.0) == pytest.approx(0.25)
    assert change(50.0, 100.0) == pytest.approx(-0.5)
    assert change(-5.0, -10.0) == pytest.approx(0.5)  # a smaller loss is a rise
    assert change(3.0, 0.0) is None
    assert change(0.0, 4.0) == -1.0


def test_a_huge_spike_does_not_make_its_neighbours_drops() -> None:
    """A spike of 100 noise sigmas moves the 7-day average around it by 14 sigmas and
    its weekday's season by 5: fitted once, its neighbours and its weekday all look like
    drops. The refit after replacing it must leave them alone."""
    clean = weekly_sales()
    values = clean.copy()
    values[70] += 300
    found = detect(list(values), dates=days(140))
    assert [(a.date, a.kind) for a in found if a.date != days(140)[70]] == [
        (a.date, a.kind) for a in detect(list(clean), dates=days(140))
    ]
    assert any(a.date == days(140)[70] and a.kind == "spike" for a in found)
