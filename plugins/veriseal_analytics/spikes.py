"""Spikes and drops in a regular series (sales or scans per day, week or month).

Method, in plain words: take what the trend and the season do not explain (the
residual of :func:`~veriseal_analytics.decompose.decompose`), and compare each point's
residual with the ``window`` points before it. "Normal" there is their median, "usual
spread" their median absolute deviation (MAD); the score is Iglewicz & Hoaglin's modified
z-score ``0.6745 * (x - median) / MAD``, which is about a standard z-score for normal
noise but is not dragged by earlier spikes. A score above ``threshold`` (3.5, their
recommendation) is a spike, below ``-threshold`` a drop.

A series shorter than two periods has no season to remove: the raw values are compared
with the trailing window directly. A point with fewer than ``min_points`` earlier points
is not scored (too little history to know what is usual).

Zero spread: when at least half the window is identical the MAD is 0; the score then
uses the mean absolute deviation (``(x - median) / (1.253314 * MeanAD)``, the same
fallback as IBM SPSS Modeler's); when the window is entirely flat, a point off it gets
the score :data:`FLAT_SCORE` (a flat line broken is as unusual as it gets). Differences
smaller than a billionth of the series' largest magnitude count as zero, so rounding in
the decomposition never makes a constant series "spike". Scores are unchanged when the
series is multiplied by a positive constant.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from veriseal_analytics.decompose import decompose

__all__ = ["FLAT_SCORE", "Anomaly", "change", "detect", "infer_period"]

#: The score of a point off an entirely flat window (finite so it serialises as JSON).
FLAT_SCORE = 1e6
_MAD_K = 0.6745  # the 0.75 quantile of the standard normal: MAD / 0.6745 estimates sigma
_MEANAD_K = 1.253314  # sqrt(pi / 2): the mean absolute deviation's ratio to sigma
_TOL = 1e-9
_MAX_REPLACED = 100  # a series is not all anomalies: stop cleaning after this many
_SETTLE = 3  # rounds re-estimating the replaced points once none is new


@dataclass(frozen=True, slots=True)
class Anomaly:
    """A point far from what its trend, season and recent history make usual.

    ``expected`` is the value the point would have had with a usual residual (its trend
    + season + the window's median residual; for a short series, the window's median);
    ``score`` is the modified z-score (positive for a spike, negative for a drop)."""

    date: dt.date
    value: float
    expected: float
    score: float
    kind: Literal["spike", "drop"]


def infer_period(dates: Sequence[dt.date]) -> int:
    """The season length the dates' spacing implies: 7 for days, 52 for weeks, 12 for
    months (median gap 1, 7, or 28-31 days). ``ValueError`` for anything else."""
    if len(dates) < 2:
        return 7
    gaps = sorted((b - a).days for a, b in itertools.pairwise(dates))
    gap = gaps[len(gaps) // 2]
    if gap == 1:
        return 7
    if gap == 7:
        return 52
    if 28 <= gap <= 31:
        return 12
    raise ValueError(f"dates {gap} days apart are neither days, weeks nor months")


def _score(x: float, window: np.ndarray, tol: float) -> tuple[float, float]:
    """(modified z-score of x against window, the window's median)."""
    med = float(np.median(window))
    dev = x - med
    if abs(dev) <= tol:
        return 0.0, med
    spread = np.abs(window - med)
    mad = float(np.median(spread))
    if mad > tol:
        return _MAD_K * dev / mad, med
    mean_ad = float(spread.mean())
    if mean_ad > tol:
        return dev / (_MEANAD_K * mean_ad), med
    return math.copysign(FLAT_SCORE, dev), med


def detect(
    values: Sequence[float],
    *,
    dates: Sequence[dt.date],
    window: int = 28,
    threshold: float = 3.5,
    min_points: int = 8,
    period: int | None = None,
) -> list[Anomaly]:
    """Spikes and drops of ``values`` (equally spaced, oldest first; ``dates[i]`` is the
    date of ``values[i]``), oldest first. ``period`` defaults to what the dates' spacing
    implies (:func:`infer_period`). ``ValueError`` when the lengths differ, a value is
    not finite, or a parameter is out of range (``window >= min_points >= 2``,
    ``threshold > 0``)."""
    if len(values) != len(dates):
        raise ValueError(f"{len(values)} values but {len(dates)} dates")
    if not 2 <= min_points <= window:
        raise ValueError("need 2 <= min_points <= window")
    if not threshold > 0:
        raise ValueError("threshold must be positive")
    if not values:
        return []
    season = infer_period(dates) if period is None else period
    x = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("values must be finite numbers")
    tol = _TOL * float(np.max(np.abs(x)))
    if len(x) < 2 * season:
        scores, medians = _scores(x, window, min_points, tol)
        return _anomalies(x, medians, scores, dates, threshold)
    expected, scores = _robust_fit(x, season, window, min_points, threshold, tol)
    return _anomalies(x, expected, scores, dates, threshold)


def _robust_fit(
    x: np.ndarray, season: int, window: int, min_points: int, threshold: float, tol: float
) -> tuple[np.ndarray, np.ndarray]:
    """(expected values, scores) of a series of at least two periods."""
    # A big spike leaks into the moving average around it (1/period of its size) and
    # into its position's season, so other points look like drops. So the most extreme
    # flagged point is replaced by what the fit expected and the series fitted again,
    # one point a round (a leak never scores above its cause); every replaced point is
    # re-estimated each round, since its first estimate still held part of the leak
    # (a third of it for a season seen three times). Once no new point is flagged,
    # _SETTLE more rounds shrink that remainder; then the real values are scored.
    cleaned = x.copy()
    replaced: list[int] = []
    settled = 0
    while True:
        fitted = cleaned - np.asarray(decompose(list(cleaned), season).residual)
        scores, medians = _scores(x - fitted, window, min_points, tol)
        flagged = np.flatnonzero(np.abs(scores) > threshold).tolist()
        fresh = [i for i in flagged if i not in replaced]
        if fresh and len(replaced) < _MAX_REPLACED:
            replaced.append(max(fresh, key=lambda i: abs(float(scores[i]))))
        elif not replaced or settled >= _SETTLE:
            break
        else:
            settled += 1
        for i in replaced:
            cleaned[i] = fitted[i] + medians[i]
    return fitted + medians, scores


def _scores(
    residual: np.ndarray, window: int, min_points: int, tol: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each point's modified z-score against the ``window`` residuals before it, and
    their median; NaN where fewer than ``min_points`` precede it."""
    n = len(residual)
    scores = np.full(n, np.nan)
    medians = np.full(n, np.nan)
    for i in range(min_points, min(window, n)):
        scores[i], medians[i] = _score(float(residual[i]), residual[:i], tol)
    if n > window:
        # the full windows at once: row k is residual[k : k + window], scoring k + window
        rows = np.lib.stride_tricks.sliding_window_view(residual, window)[: n - window]
        med = np.median(rows, axis=1)
        spread = np.abs(rows - med[:, None])
        mad = np.median(spread, axis=1)
        mean_ad = spread.mean(axis=1)
        dev = residual[window:] - med
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(
                mad > tol,
                _MAD_K * dev / mad,
                np.where(mean_ad > tol, dev / (_MEANAD_K * mean_ad), np.sign(dev) * FLAT_SCORE),
            )
        score[np.abs(dev) <= tol] = 0.0
        scores[window:] = score
        medians[window:] = med
    return scores, medians


def _anomalies(
    x: np.ndarray,
    expected: np.ndarray,
    scores: np.ndarray,
    dates: Sequence[dt.date],
    threshold: float,
) -> list[Anomaly]:
    return [
        Anomaly(
            date=dates[i],
            value=float(x[i]),
            expected=float(expected[i]),
            score=float(scores[i]),
            kind="spike" if scores[i] > 0 else "drop",
        )
        for i in np.flatnonzero(np.abs(scores) > threshold).tolist()
    ]


def change(current: float, previous: float) -> float | None:
    """Period-over-period change as a fraction (0.25 = +25 %): ``(current - previous) /
    |previous|``, so a rise is positive even from a negative base. ``None`` when
    ``previous`` is 0 (no finite change from nothing)."""
    if previous == 0:
        return None
    return (current - previous) / abs(previous)
