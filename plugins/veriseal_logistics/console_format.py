"""How the logistics pages say things, in English and Simplified Chinese: a status, the
ETA a receiver sees ("expected 12–14 Dec" / "预计 12月12日–14日") and its basis, an
alert's kind and the gist of its evidence. Pure functions of their arguments (the
reader's language and time zone included), so the pages and the tests agree."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from veriseal_logistics.models import AlertKind, Eta
from veriseal_logistics.statuses import LABELS, Status

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: (English, 中文) of each alert kind
KIND_LABELS: dict[str, tuple[str, str]] = {
    AlertKind.STALLED: ("Stalled", "停滞"),
    AlertKind.LATE: ("Late", "延误"),
    AlertKind.OFF_ROUTE: ("Off route", "偏离路线"),
    AlertKind.WRONG_DESTINATION: ("Delivered elsewhere", "签收地不符"),
}

#: (English, 中文) of each event source
SOURCE_LABELS: dict[str, tuple[str, str]] = {
    "kuaidi100": ("快递100 push", "快递100 推送"),
    "webhook": ("carrier webhook", "承运商回调"),
    "csv": ("CSV import", "CSV 导入"),
    "poll": ("carrier query", "主动查询"),
    "manual": ("entered by hand", "手工录入"),
}

#: evidence keys shown first in a summary (rules.py's findings), with their names
_EVIDENCE_NAMES: dict[str, tuple[str, str]] = {
    "checkpoints": ("off the route", "偏离的轨迹点"),
    "delivered_place": ("delivered at", "签收地"),
    "silent_hours": ("hours without news", "无更新小时"),
    "hours_late": ("hours late", "延误小时"),
    "threshold_hours": ("threshold hours", "阈值小时"),
    "distance_km": ("km away", "距离公里"),
    "corridor_km": ("corridor km", "走廊公里"),
    "route_km": ("route km", "路线公里"),
    "tolerance_km": ("tolerance km", "容差公里"),
    "status": ("status", "状态"),
    "basis": ("basis", "依据"),
    "samples": ("samples", "样本数"),
}
#: the values of an evidence's ``basis``
_BASES: dict[str, tuple[str, str]] = {
    "history": ("past deliveries", "历史送达"), "default": ("default", "默认值"),
    "promised": ("promised date", "承诺日期"), "eta": ("ETA", "预计送达"),
    "coordinates": ("coordinates", "坐标"), "codes": ("area codes", "区划代码"),
}  # fmt: skip
_SUMMARY_ITEMS = 4


def pick(lang: str, pair: tuple[str, str]) -> str:
    return pair[1] if lang == "zh" else pair[0]


def status_label(status: Status | str, lang: str) -> str:
    """A status in the reader's language (an unknown value as it is)."""
    try:
        return pick(lang, LABELS[Status(status)])
    except ValueError:
        return str(status)


def kind_label(kind: str, lang: str) -> str:
    return pick(lang, KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def source_label(source: str, lang: str) -> str:
    return pick(lang, SOURCE_LABELS[source]) if source in SOURCE_LABELS else source


def _day(d: dt.date, lang: str, month: bool, year: bool) -> str:
    if lang == "zh":
        return (f"{d.year}年" if year else "") + (f"{d.month}月" if month else "") + f"{d.day}日"
    return f"{d.day}" + (f" {_MONTHS[d.month - 1]}" if month else "") + (
        f" {d.year}" if year else "")  # fmt: skip


def eta_text(eta: Eta, tz: ZoneInfo, lang: str, today: dt.date) -> str:
    """The receiver's window: the days of p50 and p90 in the reader's time zone, the year
    only when it is not ``today``'s: "expected 12–14 Dec", "expected 30 Nov – 2 Dec",
    "expected 12 Dec"; "预计 12月12日–14日", "预计 11月30日–12月2日", "预计 12月12日"."""
    first = eta.p50.astimezone(tz).date()
    last = max(eta.p90.astimezone(tz).date(), first)
    year = first.year != today.year or last.year != today.year
    if first == last:
        span = _day(first, lang, True, year)
    elif (first.year, first.month) == (last.year, last.month):
        if lang == "zh":
            span = f"{_day(first, lang, True, year)}–{last.day}日"
        else:
            span = f"{first.day}–{_day(last, lang, True, year)}"
    else:
        sep = "–" if lang == "zh" else " – "
        span = f"{_day(first, lang, True, year)}{sep}{_day(last, lang, True, year)}"
    return f"预计 {span}" if lang == "zh" else f"expected {span}"


def eta_basis(eta: Eta, lang: str) -> str:
    """What the window rests on: past deliveries (how many) or the distance alone."""
    if eta.basis == "history":
        return pick(lang, (f"from {eta.samples} past deliveries of this carrier on this lane",
                           f"依据该承运商此线路 {eta.samples} 次历史送达"))  # fmt: skip
    if eta.basis == "default":
        return pick(lang, ("estimated from the distance (too few past deliveries)",
                           "按距离估算（历史送达不足）"))  # fmt: skip
    return eta.basis


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}" if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return str(value.get("name") or "")
    if isinstance(value, list | tuple):
        return ", ".join(_stray(v) if isinstance(v, Mapping) else str(v) for v in value[:3])
    return str(value)


def _stray(item: Mapping[str, Any]) -> str:
    """An off-route checkpoint of the evidence: its place and how far off."""
    km = item.get("distance_km")
    where = str(item.get("place") or item.get("province") or "?")
    return where if km is None else f"{where} {_value(km)} km"


def evidence_summary(evidence: Mapping[str, Any], lang: str) -> str:
    """The gist of an alert's evidence: its known entries first (named in the reader's
    language), then other plain values, at most four; a place by its name, off-route
    checkpoints by place and distance, other nested records skipped. The page shows
    the whole evidence beside it."""
    known = [k for k in _EVIDENCE_NAMES if k in evidence]
    other = sorted(k for k, v in evidence.items() if k not in _EVIDENCE_NAMES
                   and isinstance(v, str | int | float) and not isinstance(v, bool))  # fmt: skip
    items: list[str] = []
    for key in [*known, *other]:
        name = pick(lang, _EVIDENCE_NAMES[key]) if key in _EVIDENCE_NAMES else key
        value = evidence[key]
        if key == "status":
            value = status_label(str(value), lang)
        elif key == "basis" and value in _BASES:
            value = pick(lang, _BASES[value])
        text = _value(value)
        if text:
            items.append(f"{name}: {text}"[:120])
        if len(items) == _SUMMARY_ITEMS:
            break
    return " · ".join(items)
