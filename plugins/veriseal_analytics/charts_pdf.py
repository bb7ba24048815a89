"""Report charts as reportlab vector drawings (no raster image anywhere), for the PDF.

Pure: :func:`chart_drawing` turns a :class:`ChartSpec` into a ``Drawing`` flowable.

- ``line``: one line per series over the categories; ``bar``: vertical grouped bars;
  ``hbar``: horizontal grouped bars (long category names read better).
- A missing value (``None``) is never drawn as 0: a bar chart has no bar there, a line
  chart no point (the line joins the neighbouring points).
- The value axis starts at 0 when every value is >= 0, and its labels carry thousands
  separators (``1,250,000``; decimals only when the step between labels needs them).
- A legend names the series (colour swatch + name) under the plot.
- With many categories only every k-th category label is printed (at most
  :data:`MAX_CATEGORY_LABELS`) and the labels are slanted, so they never overprint.
- Text uses the CJK font STSong-Light, so Chinese titles and names print.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

FONT = "STSong-Light"
MAX_CATEGORY_LABELS = 16
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip
_TITLE_H = 18.0
_LEGEND_ROW_H = 12.0

if FONT not in pdfmetrics.getRegisteredFontNames():
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


@dataclass(frozen=True)
class Series:
    """One named series; ``values`` aligned with the chart's categories (None = no data)."""

    name: str
    values: list[float | None]


@dataclass(frozen=True)
class ChartSpec:
    """A chart: its kind, title, category labels and series (each as long as categories)."""

    kind: Literal["line", "bar", "hbar"]
    title: str
    categories: list[str]
    series: list[Series] = field(default_factory=list)

    def __post_init__(self) -> None:
        for s in self.series:
            if len(s.values) != len(self.categories):
                raise ValueError(f"series {s.name!r} has {len(s.values)} values for "
                                 f"{len(self.categories)} categories")  # fmt: skip


def nice_step(span: float, ticks: int = 5) -> float:
    """A 1/2/5 x 10^k step giving about ``ticks`` intervals over ``span`` (> 0)."""
    raw = span / max(1, ticks)
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 5.0, 10.0):
        if raw <= m * power:
            return m * power
    return 10 * power  # pragma: no cover - the loop always returns


def axis_label(value: float, step: float) -> str:
    """A value-axis label: thousands separators, as many decimals as ``step`` needs."""
    decimals = 0 if step >= 1 else min(6, -math.floor(math.log10(step)))
    text = f"{value:,.{decimals}f}"
    return "0" if text.strip("-0.,") == "" else text


def _bounds(series: Sequence[Series]) -> tuple[float, float, float]:
    values = [v for s in series for v in s.values if v is not None and math.isfinite(v)]
    lo = min([0.0, *values])
    hi = max([0.0, *values])
    if hi == lo:
        hi = lo + 1.0
    step = nice_step(hi - lo)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def _category_names(categories: Sequence[str]) -> list[str]:
    k = max(1, math.ceil(len(categories) / MAX_CATEGORY_LABELS))
    return [c if i % k == 0 else "" for i, c in enumerate(categories)]


def _legend(spec: ChartSpec, x: float, y: float, width: float) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName = FONT
    legend.fontSize = 7
    legend.alignment = "right"
    legend.boxAnchor = "nw"
    legend.dx = legend.dy = 7
    legend.deltay = _LEGEND_ROW_H
    per_row = max(1, int(width // 120))
    legend.columnMaximum = math.ceil(len(spec.series) / per_row)
    legend.colorNamePairs = [(colors.HexColor(PALETTE[i % len(PALETTE)]), s.name[:40])
                             for i, s in enumerate(spec.series)]  # fmt: skip
    return legend


def _style_value_axis(axis: Any, lo: float, hi: float, step: float) -> None:
    axis.valueMin, axis.valueMax, axis.valueStep = lo, hi, step
    axis.labels.fontName = FONT
    axis.labels.fontSize = 7
    axis.labelTextFormat = lambda v: axis_label(v, step)
    axis.visibleGrid = True
    axis.gridStrokeColor = colors.HexColor("#dddddd")
    axis.gridStrokeWidth = 0.3


def _style_category_axis(axis: Any, spec: ChartSpec, slant: bool) -> None:
    axis.categoryNames = [c[:24] for c in _category_names(spec.categories)]
    axis.labels.fontName = FONT
    axis.labels.fontSize = 7
    # at the plot's edge, not where the axis crosses 0: negative bars would hide them
    axis.labelAxisMode = "low"
    if slant:
        axis.labels.angle = 30
        axis.labels.boxAnchor = "ne"
        axis.labels.dx = 4


def _plot(spec: ChartSpec) -> Any:
    if spec.kind == "line":
        chart: Any = HorizontalLineChart()
        chart.joinedLines = 1
        for i in range(len(spec.series)):
            chart.lines[i].strokeColor = colors.HexColor(PALETTE[i % len(PALETTE)])
            chart.lines[i].strokeWidth = 1.2
        return chart
    chart = VerticalBarChart() if spec.kind == "bar" else HorizontalBarChart()
    for i in range(len(spec.series)):
        chart.bars[i].fillColor = colors.HexColor(PALETTE[i % len(PALETTE)])
        chart.bars[i].strokeColor = None
    chart.barSpacing = 0.5
    chart.groupSpacing = 4
    return chart


def chart_drawing(spec: ChartSpec, width: float, height: float | None = None) -> Drawing:
    """The chart as a vector ``Drawing`` of ``width`` points (height from the kind and the
    number of categories unless given)."""
    n = max(1, len(spec.categories))
    if height is None:
        height = max(200.0, min(600.0, 14.0 * n + 90)) if spec.kind == "hbar" else 220.0
    per_row = max(1, int(width // 120))
    legend_h = _LEGEND_ROW_H * math.ceil(len(spec.series) / per_row) if spec.series else 0
    slant = spec.kind != "hbar" and n > 8
    bottom = legend_h + (42.0 if slant else 22.0)
    left = 110.0 if spec.kind == "hbar" else 52.0
    d = Drawing(width, height)
    d.add(String(0, height - 12, spec.title[:120], fontName=FONT, fontSize=10))
    if not spec.series or not spec.categories:
        d.add(String(left, height / 2, "—", fontName=FONT, fontSize=10))
        return d
    chart = _plot(spec)
    chart.x, chart.y = left, bottom
    chart.width = width - left - 10
    chart.height = height - bottom - _TITLE_H - 6
    if spec.kind == "hbar":
        # reportlab stacks categories bottom-up; reversed, the first reads at the top
        spec = ChartSpec(spec.kind, spec.title, spec.categories[::-1],
                         [Series(s.name, s.values[::-1]) for s in spec.series])  # fmt: skip
    chart.data = [tuple(s.values) for s in spec.series]
    lo, hi, step = _bounds(spec.series)
    _style_value_axis(chart.valueAxis, lo, hi, step)
    _style_category_axis(chart.categoryAxis, spec, slant)
    d.add(chart)
    d.add(_legend(spec, left, legend_h + 2, width - left))
    return d
