"""Reporting periods: a span of whole days and what it is compared with (pure).

Contracts: a :class:`Period` is ``start..end`` inclusive, ``start <= end``, at most
:data:`MAX_DAYS` long; :meth:`Period.previous` is the span of the same length just
before it; :meth:`Period.year_ago` the same dates a year earlier (29 February becomes
the 28th); :func:`period_of` reads ``7d``/``30d``/``90d``/``365d``, ``mtd``, ``ytd``,
``YYYY-MM``, ``YYYY`` or ``YYYY-MM-DD..YYYY-MM-DD`` and refuses anything else with
``analytics_period_invalid``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

from veriseal import InvalidInput, register_messages

register_messages({"error.analytics_period_invalid": ("Invalid reporting period", "统计周期无效")})

MAX_DAYS = 3700
Compare = Literal["previous", "year", "none"]
Step = Literal["day", "week", "month"]


class PeriodInvalid(InvalidInput):
    code = "analytics_period_invalid"


def choice(value: str, options: Any, name: str) -> Any:
    """``value`` if it is one of the ``Literal`` type ``options``' values, else
    ``invalid_input`` naming ``name`` (the typed boundary of text from a form or shell)."""
    allowed = get_args(options)
    if value not in allowed:
        raise InvalidInput(f"{name}: one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise PeriodInvalid("a period ends on or after its start")
        if self.days > MAX_DAYS:
            raise PeriodInvalid(f"a period is at most {MAX_DAYS} days")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def year_ago(self) -> Period:
        return Period(_year_before(self.start), _year_before(self.end))

    def compared(self, compare: Compare) -> Period | None:
        return (
            None
            if compare == "none"
            else self.previous()
            if compare == "previous"
            else self.year_ago()
        )

    def bounds(self) -> tuple[str, str]:
        """The ``day`` column's bounds (ISO dates compare as text)."""
        return self.start.isoformat(), self.end.isoformat()

    def to_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def _year_before(d: dt.date) -> dt.date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


_DAYS = re.compile(r"(\d{1,4})d")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")


def period_of(text: str, today: dt.date) -> Period:
    """The period ``text`` names, as seen on ``today`` (see the module)."""
    t = text.strip().lower()
    try:
        if m := _DAYS.fullmatch(t):
            n = int(m.group(1))
            if n < 1:
                raise PeriodInvalid("a period is at least one day")
            return Period(today - dt.timedelta(days=n - 1), today)
        if t == "mtd":
            return Period(today.replace(day=1), today)
        if t == "ytd":
            return Period(today.replace(month=1, day=1), today)
        if m := _RANGE.fullmatch(t):
            return Period(dt.date.fromisoformat(m.group(1)), dt.date.fromisoformat(m.group(2)))
        if re.fullmatch(r"\d{4}-\d{2}", t):
            first = dt.date.fromisoformat(t + "-01")
            nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            return Period(first, nxt - dt.timedelta(days=1))
        if re.fullmatch(r"\d{4}", t):
            return Period(dt.date(int(t), 1, 1), dt.date(int(t), 12, 31))
    except ValueError:
        raise PeriodInvalid(f"no such date in {text[:40]!r}") from None
    raise PeriodInvalid(
        f"{text[:40]!r}: use 30d, mtd, ytd, 2026-11, 2026 or 2026-11-01..2026-11-30"
    )


def bucket(day: str, step: Step) -> str:
    """The bucket a ``YYYY-MM-DD`` day falls in: the day, its ISO week's Monday, or
    ``YYYY-MM``."""
    if step == "day":
        return day
    if step == "month":
        return day[:7]
    d = dt.date.fromisoformat(day)
    return (d - dt.timedelta(days=d.weekday())).isoformat()


def buckets(period: Period, step: Step) -> list[str]:
    """Every bucket of the period in order (empty ones included: a chart has no gaps)."""
    out: list[str] = []
    d = period.start
    while d <= period.end:
        b = bucket(d.isoformat(), step)
        if not out or out[-1] != b:
            out.append(b)
        d += dt.timedelta(days=1)
    return out
