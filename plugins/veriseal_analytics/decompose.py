"""Trend and seasonality of a regular series (sales or scans per day, week or month), by a
classical additive decomposition that a manager can follow:

``value = trend + seasonal + residual``

1. **Trend**: the centred moving average over one period (7 days for daily data): each
   point is the mean of the period around it, so a weekly pattern averages out. For an
   even period the window is one longer with half weight at both ends (the "2 x m"
   average), which keeps it centred. The first and last half-period, where the window
   does not fit, continue the straight line fitted through the nearest period of
   averages.
2. **Seasonal**: the series minus its trend, averaged per position in the period (all
   Mondays, all Tuesdays, ...), then shifted so the positions sum to zero; it repeats
   unchanged every period. Only points whose trend is a real average are used.
3. **Residual**: what is left; spikes and drops show up here (:mod:`.spikes`).

Strengths as in Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*
(3rd ed., 6.7): ``F_T = max(0, 1 - var(R) / var(T + R))`` and
``F_S = max(0, 1 - var(R) / var(S + R))``: 0 means none, 1 means the component explains
all the variation it could.

A series shorter than two periods cannot show a season apart from noise; it gets a
trend only (a moving average over as many points as fit, at most one period), a zero
seasonal, and the explanation says so.

Contract: :func:`decompose` takes finite numbers and a period >= 2 and raises
``ValueError`` otherwise (a programming error, not user input).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["Decomposition", "Step", "decompose", "fill_calendar", "period_for"]

Step = Literal["day", "week", "month"]
_PERIODS: dict[str, int] = {"day": 7, "week": 52, "month": 12}
_POSITION_EN = {7: "weekday", 12: "month", 52: "week of the year"}
_POSITION_ZH = {7: "星期", 12: "月份", 52: "周次"}

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Decomposition:
    """``trend[i] + seasonal[i] + residual[i] == values[i]`` (up to rounding).

    ``seasonal_fitted`` is False when the series was too short for a season (then
    ``seasonal`` is all zeros and ``strength_seasonal`` is 0)."""

    trend: tuple[float, ...]
    seasonal: tuple[float, ...]
    residual: tuple[float, ...]
    strength_trend: float
    strength_seasonal: float
    explanation_en: str
    explanation_zh: str
    period: int
    seasonal_fitted: bool


def period_for(step: Step) -> int:
    """The season's length in steps: a week of days (7), a year of weeks (52) or months
    (12). ``ValueError`` for another step."""
    try:
        return _PERIODS[step]
    except KeyError:
        raise ValueError(f"step must be day, week or month, not {step!r}") from None


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def fill_calendar(
    points: Mapping[dt.date, float], start: dt.date, end: dt.date, step: Step = "day"
) -> list[float]:
    """One value per step from ``start`` to ``end`` (both included), 0 where nothing was
    recorded.

    Buckets: ``"day"`` is each date; ``"week"`` is the 7 days from ``start``, then the
    next 7, and so on (the last may be cut short by ``end``); ``"month"`` is each
    calendar month from ``start``'s to ``end``'s. Points in the same bucket are added up
    (counts and amounts add); points outside ``[start, end]`` are ignored.
    """
    period_for(step)
    if end < start:
        return []
    if step == "day":
        size = (end - start).days + 1
    elif step == "week":
        size = (end - start).days // 7 + 1
    else:
        size = _month_index(end) - _month_index(start) + 1
    out = [0.0] * size
    for day, value in points.items():
        if not start <= day <= end:
            continue
        if step == "day":
            at = (day - start).days
        elif step == "week":
            at = (day - start).days // 7
        else:
            at = _month_index(day) - _month_index(start)
        out[at] += float(value)
    return out


def _moving_average(x: Floats, m: int) -> tuple[Floats, int]:
    """Centred m-point average (2 x m for even m) where it fits; returns the averages
    and the index of the first one. Needs ``len(x) > m`` for even m, ``>= m`` for odd."""
    if m % 2:
        weights = np.full(m, 1.0 / m)
    else:
        weights = np.full(m + 1, 1.0 / m)
        weights[0] = weights[-1] = 0.5 / m
    return np.convolve(x, weights, mode="valid"), (len(weights) - 1) // 2


def _extend(avg: Floats, first: int, n: int, m: int) -> Floats:
    """The averages placed at their indices, the ends continued along the straight line
    fitted through the nearest ``m`` averages (flat when only one is known)."""
    out = np.empty(n)
    out[first : first + len(avg)] = avg
    k = min(m, len(avg))
    last = first + len(avg)
    for idx, fill in (
        (np.arange(first, first + k), np.arange(0, first)),
        (np.arange(last - k, last), np.arange(last, n)),
    ):
        ys = out[idx]
        slope = float(np.polyfit(idx, ys, 1)[0]) if k >= 2 else 0.0
        intercept = float(ys.mean()) - slope * float(idx.mean())
        out[fill] = intercept + slope * fill
    return out


def _trend(x: Floats, m: int) -> tuple[Floats, int]:
    """The trend and the window it used (shrunk for a series shorter than a period)."""
    n = len(x)
    # shrink the window until at least one average fits (short series only)
    while m > 1 and (n <= m if m % 2 == 0 else n < m):
        m -= 1
    if m <= 1:
        return x.copy(), 1
    avg, first = _moving_average(x, m)
    return _extend(avg, first, n, m), m


def _strength(part: Floats, residual: Floats) -> float:
    whole = float(np.var(part + residual))
    if whole <= 0.0:
        return 0.0
    return max(0.0, min(1.0, 1.0 - float(np.var(residual)) / whole))


def _check(values: Sequence[float], period: int) -> Floats:
    if isinstance(period, bool) or not isinstance(period, int) or period < 2:
        raise ValueError(f"period must be an integer >= 2, not {period!r}")
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or len(x) == 0:
        raise ValueError("values must be a non-empty sequence of numbers")
    if not np.all(np.isfinite(x)):
        raise ValueError("values must be finite numbers")
    return x


def decompose(values: Sequence[float], period: int) -> Decomposition:
    """Split ``values`` (equally spaced, oldest first) into trend, seasonal and residual
    over a season of ``period`` steps (see the module docstring); the explanation says
    in English and Chinese what was done and what it found."""
    x = _check(values, period)
    n = len(x)
    if n < 2 * period:
        trend, used = _trend(x, period)
        seasonal = np.zeros(n)
        residual = x - trend
        fitted = False
    else:
        avg, first = _moving_average(x, period)
        trend = _extend(avg, first, n, period)
        detrended = (x - trend)[first : first + len(avg)]
        positions = np.arange(first, first + len(avg)) % period
        means = np.array([detrended[positions == p].mean() for p in range(period)])
        means -= means.mean()
        seasonal = means[np.arange(n) % period]
        residual = x - trend - seasonal
        fitted = True
        used = period
    f_t = _strength(trend, residual)
    f_s = _strength(seasonal, residual) if fitted else 0.0
    en, zh = _explain(x, trend, seasonal, period, used, fitted, (f_t, f_s))
    return Decomposition(
        trend=tuple(float(v) for v in trend),
        seasonal=tuple(float(v) for v in seasonal),
        residual=tuple(float(v) for v in residual),
        strength_trend=f_t,
        strength_seasonal=f_s,
        explanation_en=en,
        explanation_zh=zh,
        period=period,
        seasonal_fitted=fitted,
    )


def _num(v: float) -> str:
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


def _explain(
    x: Floats,
    trend: Floats,
    seasonal: Floats,
    period: int,
    used: int,
    fitted: bool,
    strengths: tuple[float, float],
) -> tuple[str, str]:
    n, (f_t, f_s) = len(x), strengths
    start, stop = float(trend[0]), float(trend[-1])
    change = (stop - start) / abs(start) if start else math.nan
    rel = "" if math.isnan(change) else f" ({change:+.0%})"
    rel_zh = "" if math.isnan(change) else f"（{change:+.0%}）"
    window = f"2x{used}" if used % 2 == 0 else str(used)
    span_en = "one period" if used == period else "as many points as the series allows"
    span_zh = "一个周期" if used == period else "序列长度所允许的点数"
    en = [
        f"Trend: the centred moving average over {span_en} ({window} points), the ends"
        " continued along a straight line; it moves from"
        f" {_num(start)} to {_num(stop)}{rel} over {n} points."
    ]
    zh = [
        f"趋势：以{span_zh}（{window} 个点）的居中移动平均计算，两端按直线延伸；"
        f"在 {n} 个点内从 {_num(start)} 变为 {_num(stop)}{rel_zh}。"
    ]
    if fitted:
        pos_en = _POSITION_EN.get(period, "position in the period")
        pos_zh = _POSITION_ZH.get(period, "周期内位置")
        season = seasonal[:period]
        hi, lo = int(np.argmax(season)), int(np.argmin(season))
        en.append(
            f"Season: the average distance from the trend at each {pos_en} (period"
            f" {period}), centred on zero; counting positions from the first point,"
            f" highest at position {hi + 1}"
            f" ({_num(float(season[hi]))}), lowest at position {lo + 1}"
            f" ({_num(float(season[lo]))})."
        )
        zh.append(
            f"季节性：每个{pos_zh}（周期 {period}）相对趋势的平均偏离，总和为零；"
            "位置从第一个点起算，"
            f"第 {hi + 1} 位最高（{_num(float(season[hi]))}），"
            f"第 {lo + 1} 位最低（{_num(float(season[lo]))}）。"
        )
    else:
        en.append(
            f"Season: not estimated; {n} points are fewer than two periods ({2 * period}),"
            " too few to tell a season from noise, so only the trend is shown."
        )
        zh.append(
            f"季节性：未估计；{n} 个点少于两个周期（{2 * period}），"
            "无法区分季节性与噪声，因此只给出趋势。"
        )
    en.append(
        f"Residual: the rest. Strength of trend {f_t:.2f}, of season {f_s:.2f}"
        " (0 = none, 1 = explains all the variation besides the residual)."
    )
    zh.append(
        f"残差：其余部分。趋势强度 {f_t:.2f}，季节强度 {f_s:.2f}"
        "（0 表示没有，1 表示除残差外的变化全部由其解释）。"
    )
    return " ".join(en), "".join(zh)
