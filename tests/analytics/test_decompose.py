"""The classical decomposition recovers a known trend and season; the calendar filler."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal_analytics.decompose import decompose, fill_calendar, period_for


def synthetic(n: int, period: int, noise: float, seed: int = 3) -> tuple[np.ndarray, ...]:
    t = np.arange(n)
    trend = 100 + 0.8 * t
    shape = np.sin(2 * np.pi * np.arange(period) / period) * 10
    shape[0] += 6  # not a pure sine: a peak the positions must carry
    shape -= shape.mean()
    season = shape[t % period]
    rng = np.random.default_rng(seed)
    return trend, season, trend + season + rng.normal(0, noise, n)


@pytest.mark.parametrize("period", [7, 12, 4])
def test_recovers_a_known_trend_and_season(period: int) -> None:
    trend, season, values = synthetic(20 * period, period, noise=1.0)
    parts = decompose(list(values), period)
    assert parts.seasonal_fitted and parts.period == period
    # within 1.5 noise standard deviations everywhere (ends included), far better inside
    assert np.max(np.abs(np.array(parts.seasonal) - season)) < 1.5
    assert np.max(np.abs(np.array(parts.trend) - trend)) < 2.5
    inner = slice(period, -period)
    assert np.mean(np.abs(np.array(parts.trend)[inner] - trend[inner])) < 0.6
    assert parts.strength_trend > 0.95 and parts.strength_seasonal > 0.9


def test_exact_without_noise_even_and_odd() -> None:
    for period in (6, 7):
        trend, season, values = synthetic(5 * period, period, noise=0.0)
        parts = decompose(list(values), period)
        assert np.allclose(parts.trend, trend, atol=1e-9)
        assert np.allclose(parts.seasonal, season, atol=1e-9)
        assert np.allclose(parts.residual, 0, atol=1e-9)


@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60),
    st.integers(2, 13),
)
def test_parts_add_up_and_season_repeats_centred(values: list[float], period: int) -> None:
    parts = decompose(values, period)
    total = np.array(parts.trend) + np.array(parts.seasonal) + np.array(parts.residual)
    scale = max(1.0, *(abs(v) for v in values))
    assert np.allclose(total, values, atol=1e-9 * scale)
    assert 0 <= parts.strength_trend <= 1 and 0 <= parts.strength_seasonal <= 1
    seasonal = np.array(parts.seasonal)
    if parts.seasonal_fitted:
        assert len(values) >= 2 * period
        assert abs(seasonal[:period].sum()) <= 1e-8 * scale
        assert np.allclose(seasonal[period:], seasonal[:-period])
    else:
        assert not seasonal.any()


def test_strengths_follow_fpp() -> None:
    *_, values = synthetic(84, 7, noise=2.0)
    parts = decompose(list(values), 7)
    r, t, s = (np.array(x) for x in (parts.residual, parts.trend, parts.seasonal))
    assert parts.strength_trend == pytest.approx(max(0, 1 - r.var() / (t + r).var()))
    assert parts.strength_seasonal == pytest.approx(max(0, 1 - r.var() / (s + r).var()))
    noise_only = decompose(list(np.random.default_rng(1).normal(0, 1, 84)), 7)
    assert noise_only.strength_seasonal < 0.4


def test_constant_series() -> None:
    parts = decompose([5.0] * 30, 7)
    assert np.allclose(parts.trend, 5) and np.allclose(parts.seasonal, 0)
    assert parts.strength_trend == 0 and parts.strength_seasonal == 0


def test_short_series_falls_back_to_trend_only_and_says_so() -> None:
    values = [10.0, 12, 11, 13, 12, 14, 13, 15, 14, 16]  # 10 < 2 x 7
    parts = decompose(values, 7)
    assert not parts.seasonal_fitted
    assert parts.seasonal == (0.0,) * 10 and parts.strength_seasonal == 0
    assert "fewer than two periods" in parts.explanation_en
    assert "少于两个周期" in parts.explanation_zh
    assert parts.trend[0] < parts.trend[-1]  # it rises
    one = decompose([4.0], 7)
    assert one.trend == (4.0,) and one.residual == (0.0,)
    assert "window" not in one.explanation_en


def test_explanation_names_the_method_and_the_season() -> None:
    season = np.array([9.0, -3, 0, 2, -4, 1, -5])
    values = 50 + 0.1 * np.arange(70) + season[np.arange(70) % 7]
    parts = decompose(list(values), 7)
    assert "centred moving average" in parts.explanation_en
    assert "weekday" in parts.explanation_en
    assert "highest at position 1 (9)" in parts.explanation_en
    assert "lowest at position 7 (-5)" in parts.explanation_en
    assert "居中移动平均" in parts.explanation_zh and "星期" in parts.explanation_zh
    assert "2x12" in decompose(list(range(30)), 12).explanation_en


@pytest.mark.parametrize(
    ("values", "period"),
    [([1.0, math.nan], 7), ([1.0, math.inf], 7), ([], 7), ([1.0], 1), ([1.0], True)],
)
def test_programming_errors(values: list[float], period: int) -> None:
    with pytest.raises(ValueError):
        decompose(values, period)


def test_period_for() -> None:
    assert (period_for("day"), period_for("week"), period_for("month")) == (7, 52, 12)
    with pytest.raises(ValueError):
        period_for("year")  # type: ignore[arg-type]


def test_fill_calendar_days_weeks_months() -> None:
    d = dt.date
    points = {d(2026, 1, 1): 2.0, d(2026, 1, 3): 5.0, d(2026, 1, 9): 1.0, d(2025, 12, 31): 9.0}
    assert fill_calendar(points, d(2026, 1, 1), d(2026, 1, 4)) == [2, 0, 5, 0]
    assert fill_calendar(points, d(2026, 1, 1), d(2026, 1, 10), "week") == [7, 1]
    monthly = {d(2026, 1, 31): 1.0, d(2026, 3, 1): 2.0, d(2026, 3, 20): 3.0}
    # 20 March is after the end: ignored even though its month is in the series
    assert fill_calendar(monthly, d(2025, 12, 15), d(2026, 3, 2), "month") == [0, 1, 0, 2]
    assert fill_calendar(monthly, d(2026, 1, 1), d(2026, 3, 31), "month") == [1, 0, 5]
    assert fill_calendar(points, d(2026, 1, 5), d(2026, 1, 4)) == []
    with pytest.raises(ValueError):
        fill_calendar(points, d(2026, 1, 1), d(2026, 1, 4), "hour")  # type: ignore[arg-type]


@given(
    st.dictionaries(st.dates(dt.date(2025, 1, 1), dt.date(2026, 12, 31)), st.integers(0, 99)),
    st.sampled_from(["day", "week", "month"]),
)
def test_fill_calendar_keeps_every_point_in_range(points: dict[dt.date, int], step: str) -> None:
    start, end = dt.date(2025, 1, 1), dt.date(2026, 12, 31)
    series = fill_calendar({k: float(v) for k, v in points.items()}, start, end, step)  # type: ignore[arg-type]
    assert sum(series) == sum(points.values())
    assert len(series) == {"day": 730, "week": 105, "month": 24}[step]
