"""RFM scoring and segments of dealers from their orders (pure).

Input: one :class:`OrderFact` per order (dealer, the order's day, its value in 分).

Contracts:

- **recency** is the days from a dealer's last order to ``today``; **frequency** the
  orders in the window (the ``window_days`` days ending ``today``); **monetary** the
  revenue of those orders. A dealer with orders only before the window scores with
  frequency and monetary 0;
- each is scored 1..5 by mid-rank quintile among the dealers scored: a dealer's
  position is ``(dealers strictly worse + half of the equal ones) / dealers``, its
  score ``1 + floor(5 * position)`` capped at 5. Equal values get equal scores (ties
  are deterministic and independent of input order), a better value never gets a
  lower score, and few dealers get middling scores rather than extremes (one dealer
  alone is 3/3/3, two are 2 and 4). Recency is better when smaller;
- a dealer is **dormant** when its recency exceeds ``max(60, 3 x usual gap)`` days,
  the usual gap being the median gap between its consecutive order days (60 days
  when it has ordered on one day only);
- the segment is the first rule of :data:`RULES` the dealer meets (the table is the
  documentation; docs/analytics.md prints it)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

MIN_DORMANT_DAYS = 60
DORMANT_GAP_FACTOR = 3
NEW_DAYS = 30  # a dealer whose first order is fewer days old than this is new


class OrderFact(NamedTuple):
    """One order of a dealer: its organisation, day (the brand's calendar) and value."""

    org_id: int
    day: dt.date
    value: int


@dataclass(frozen=True, slots=True)
class Scored:
    """A dealer's RFM figures, scores (1..5), dormancy and segment code."""

    org_id: int
    first_day: dt.date
    last_day: dt.date
    recency: int
    frequency: int
    monetary: int
    r: int
    f: int
    m: int
    usual_gap: float | None
    dormant_after: float
    dormant: bool
    segment: str

    def to_dict(self) -> dict[str, object]:
        return {"org_id": self.org_id, "first_day": self.first_day.isoformat(),
                "last_day": self.last_day.isoformat(), "recency": self.recency,
                "frequency": self.frequency, "monetary": self.monetary,
                "r": self.r, "f": self.f, "m": self.m, "usual_gap": self.usual_gap,
                "dormant_after": self.dormant_after, "dormant": self.dormant,
                "segment": self.segment}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Rule:
    """A segment: its code, names (EN, ZH), the condition in words (EN, ZH) and as a
    test of (r, f, m, dormant, new)."""

    code: str
    en: str
    zh: str
    when: str
    when_zh: str
    test: Callable[[int, int, int, bool, bool], bool]


#: First match wins; the last rule matches every dealer, so each gets one segment.
RULES: tuple[Rule, ...] = (
    Rule("dormant", "Dormant", "沉睡客户",
         "no order for more than max(60 days, 3 x the usual gap)",
         "超过 max(60 天, 3 倍平常下单间隔) 未下单",
         lambda r, f, m, dormant, new: dormant),
    Rule("new", "New", "新客户", f"first order in the last {NEW_DAYS} days",
         f"首单在最近 {NEW_DAYS} 天内", lambda r, f, m, dormant, new: new),
    Rule("champions", "Champions", "核心客户", "R >= 4, F >= 4 and M >= 4",
         "R ≥ 4、F ≥ 4 且 M ≥ 4", lambda r, f, m, dormant, new: r >= 4 and f >= 4 and m >= 4),
    Rule("loyal", "Loyal", "忠诚客户", "R >= 3 and F >= 4", "R ≥ 3 且 F ≥ 4",
         lambda r, f, m, dormant, new: r >= 3 and f >= 4),
    Rule("at_risk", "At risk", "流失风险", "R <= 2 and (F >= 3 or M >= 3)",
         "R ≤ 2 且（F ≥ 3 或 M ≥ 3）",
         lambda r, f, m, dormant, new: r <= 2 and (f >= 3 or m >= 3)),
    Rule("promising", "Promising", "潜力客户", "R >= 4", "R ≥ 4",
         lambda r, f, m, dormant, new: r >= 4),
    Rule("attention", "Needs attention", "需要关注", "R = 3", "R = 3",
         lambda r, f, m, dormant, new: r == 3),
    Rule("hibernating", "Low activity", "低活跃客户", "everyone else (R <= 2, F <= 2, M <= 2)",
         "其余（R ≤ 2、F ≤ 2、M ≤ 2）", lambda r, f, m, dormant, new: True),
)  # fmt: skip
SEGMENTS: dict[str, Rule] = {rule.code: rule for rule in RULES}


def quintiles(values: Mapping[int, float]) -> dict[int, int]:
    """Each key's mid-rank quintile score 1..5 of its value, higher values scoring
    higher (see the module)."""
    n = len(values)
    ordered = sorted(values.values())
    out: dict[int, int] = {}
    below: dict[float, tuple[int, int]] = {}
    i = 0
    while i < n:  # one pass over the sorted values: (strictly lower, equal) per value
        j = i
        while j < n and ordered[j] == ordered[i]:
            j += 1
        below[ordered[i]] = (i, j - i)
        i = j
    for key, v in values.items():
        lower, equal = below[v]
        out[key] = min(5, 1 + math.floor(5 * (lower + equal / 2) / n))
    return out


def usual_gap(days: Iterable[dt.date]) -> float | None:
    """The median gap in days between consecutive distinct order days (None: one day)."""
    distinct = sorted(set(days))
    gaps = [(b - a).days for a, b in itertools.pairwise(distinct)]
    return float(statistics.median(gaps)) if gaps else None


def dormant_after(gap: float | None) -> float:
    """Days without an order after which a dealer with this usual gap is dormant."""
    return float(max(MIN_DORMANT_DAYS, DORMANT_GAP_FACTOR * (gap or 0)))


def segment(r: int, f: int, m: int, *, dormant: bool, new: bool) -> str:
    """The code of the first rule of :data:`RULES` that the scores meet."""
    return next(rule.code for rule in RULES if rule.test(r, f, m, dormant, new))


def score(facts: Iterable[OrderFact], today: dt.date, window_days: int = 365) -> list[Scored]:
    """Every dealer with an order on or before ``today``, scored (see the module), by
    org id. Orders after ``today`` are ignored."""
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    start = today - dt.timedelta(days=window_days - 1)
    days: dict[int, list[dt.date]] = {}
    freq: dict[int, int] = {}
    money: dict[int, int] = {}
    for x in facts:
        if x.day > today:
            continue
        days.setdefault(x.org_id, []).append(x.day)
        freq.setdefault(x.org_id, 0)
        money.setdefault(x.org_id, 0)
        if x.day >= start:
            freq[x.org_id] += 1
            money[x.org_id] += x.value
    recency = {k: (today - max(v)).days for k, v in days.items()}
    r = quintiles({k: -v for k, v in recency.items()})
    f = quintiles({k: float(v) for k, v in freq.items()})
    m = quintiles({k: float(v) for k, v in money.items()})
    out = []
    for k in sorted(days):
        gap = usual_gap(days[k])
        after = dormant_after(gap)
        first = min(days[k])
        dormant = recency[k] > after
        new = (today - first).days < NEW_DAYS
        out.append(Scored(k, first, max(days[k]), recency[k], freq[k], money[k], r[k], f[k],
                          m[k], gap, after, dormant,
                          segment(r[k], f[k], m[k], dormant=dormant, new=new)))  # fmt: skip
    return out


def rules_table(lang: str = "en") -> list[dict[str, str]]:
    """The rule table in order, for a page or a report: code, name, condition."""
    zh = lang.startswith("zh")
    return [{"code": r.code, "name": r.zh if zh else r.en, "when": r.when_zh if zh else r.when}
            for r in RULES]  # fmt: skip
