"""External market data (industry reports, competitor prices) imported from CSV.

The file's schema (one figure per line; the lead stores the rows, this module only
parses them):

==================  ========  ==========================================================
column              required  content
==================  ========  ==========================================================
``date``            yes       ``YYYY-MM-DD`` (a day) or ``YYYY-MM`` (the whole month)
``metric``          yes       one of :class:`Metric`: ``market_size``, ``industry_sales``,
                              ``industry_units``, ``competitor_price``,
                              ``competitor_share``, ``own_share``, ``search_index``
``value``           yes       a plain decimal (``1234.5``; no thousands separators, no
                              exponent, at most 18 + 6 digits), >= 0; a percentage is at
                              most 100
``unit``            yes       ``CNY``, ``units``, ``percent`` or ``index``; each metric
                              allows the units in :data:`UNITS`
``region``          no        a province/city name or a GB/T 2260 code, kept as text
``category``        no        a product category, as the report names it
``competitor``      no        the competitor's name
``product``         no        the competitor's product name
``gtin``            no        our product the line compares with (GTIN-8/12/13/14, check
                              digit validated; kept in its 14-digit form)
``source``          no        where the figure comes from (a report's name)
``note``            no        free text
==================  ========  ==========================================================

Contract of :func:`parse_market_csv`: whatever the bytes, it returns the rows or raises
:class:`MarketCsvInvalid` (code ``market_csv_invalid``); no other exception escapes. It
is all-or-nothing: one bad line refuses the whole file, and the error's
``details["problems"]`` lists up to 20 problems as ``{"line", "en", "zh"}`` (the file's
physical line numbers, the header's included), ``details["problem_count"]`` counts them
all.

The header is required; column names are matched without case or surrounding spaces;
an unknown or repeated column is refused. The text is UTF-8 (with or without a BOM) or,
failing that, GB18030, which is what Chinese Excel writes for "CSV". Two lines with the
same (date, metric, region, category, competitor, product) are refused: the second
would silently overwrite the first. ``2026-03`` (a month) and ``2026-03-01`` (a day) are
different dates there.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from veriseal import InvalidInput, register_messages

__all__ = [
    "COLUMNS",
    "MAX_PROBLEMS",
    "REQUIRED",
    "UNITS",
    "MarketCsvInvalid",
    "MarketRow",
    "Metric",
    "Unit",
    "parse_market_csv",
]

register_messages(
    {
        "error.market_csv_invalid": ("Invalid market data CSV file", "市场数据 CSV 文件无效"),
    }
)


class MarketCsvInvalid(InvalidInput):
    """The market data file was refused; ``details["problems"]`` says where and why."""

    code = "market_csv_invalid"


class Metric(StrEnum):
    MARKET_SIZE = "market_size"
    INDUSTRY_SALES = "industry_sales"
    INDUSTRY_UNITS = "industry_units"
    COMPETITOR_PRICE = "competitor_price"
    COMPETITOR_SHARE = "competitor_share"
    OWN_SHARE = "own_share"
    SEARCH_INDEX = "search_index"


class Unit(StrEnum):
    CNY = "CNY"
    UNITS = "units"
    PERCENT = "percent"
    INDEX = "index"


#: The units each metric may be given in (a market's size is money or units).
UNITS: dict[Metric, frozenset[Unit]] = {
    Metric.MARKET_SIZE: frozenset({Unit.CNY, Unit.UNITS}),
    Metric.INDUSTRY_SALES: frozenset({Unit.CNY}),
    Metric.INDUSTRY_UNITS: frozenset({Unit.UNITS}),
    Metric.COMPETITOR_PRICE: frozenset({Unit.CNY}),
    Metric.COMPETITOR_SHARE: frozenset({Unit.PERCENT}),
    Metric.OWN_SHARE: frozenset({Unit.PERCENT}),
    Metric.SEARCH_INDEX: frozenset({Unit.INDEX}),
}
#: Metrics whose value may be negative. None today (a growth rate would be one); the
#: table is the one place to say so.
NEGATIVE_ALLOWED: frozenset[Metric] = frozenset()

REQUIRED = ("date", "metric", "value", "unit")
OPTIONAL = ("region", "category", "competitor", "product", "gtin", "source", "note")
COLUMNS = REQUIRED + OPTIONAL
MAX_PROBLEMS = 20

#: Longest text kept per optional column: a report name or a note, not a document.
_MAX_LEN = {"note": 1000, "source": 200}
_MAX_TEXT = 100
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})(?:-([0-9]{2}))?")
# [0-9], not \d (which takes full-width and other Unicode digits); at most 18 + 6 digits,
# so every value fits one NUMERIC(24, 6) column and a typo of 40 digits is caught.
_DECIMAL = re.compile(r"(-?)([0-9]{1,18})(?:\.([0-9]{1,6}))?")
_GTIN = re.compile(r"[0-9]{8}|[0-9]{12,14}")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class MarketRow:
    """One figure. ``date`` is the day, or the month's first day when ``period`` is
    ``"month"``. Empty optional cells are ``None``. ``line`` is the file's line number
    (for messages)."""

    line: int
    date: dt.date
    period: Literal["day", "month"]
    metric: Metric
    value: Decimal
    unit: Unit
    region: str | None = None
    category: str | None = None
    competitor: str | None = None
    product: str | None = None
    gtin: str | None = None
    source: str | None = None
    note: str | None = None

    def key(self) -> tuple[Any, ...]:
        """What must be unique in a file (the period keeps a month apart from its 1st)."""
        return (
            self.date,
            self.period,
            self.metric,
            self.region,
            self.category,
            self.competitor,
            self.product,
        )


class _Problems:
    """Collects problems by line; stops listing (but keeps counting) after 20."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.count = 0

    def add(self, line: int, en: str, zh: str) -> None:
        self.count += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append({"line": line, "en": en, "zh": zh})

    def raise_if_any(self) -> None:
        if self.count:
            first = self.items[0]
            raise MarketCsvInvalid(
                f"market data refused: {self.count} problem(s); line {first['line']}: "
                f"{first['en']}",
                problems=self.items,
                problem_count=self.count,
            )


def _refuse(line: int, en: str, zh: str) -> MarketCsvInvalid:
    problems = _Problems()
    problems.add(line, en, zh)
    try:
        problems.raise_if_any()
    except MarketCsvInvalid as exc:
        return exc
    raise AssertionError("unreachable")  # pragma: no cover


def _decode(data: bytes) -> str:
    """UTF-8 (BOM or not), else GB18030. GB18030 is tried second because valid UTF-8
    of Chinese text is rarely valid GB18030 of the same length, while the reverse (a
    GB18030 file that happens to be valid UTF-8) only occurs for ASCII, where both agree."""
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise _refuse(
            1,
            "the file is neither UTF-8 nor GB18030 text (save it as CSV UTF-8)",
            "文件既不是 UTF-8 也不是 GB18030 文本（请另存为 CSV UTF-8）",
        ) from None


def _header(line: int, cells: list[str]) -> list[str]:
    names = [c.strip().lower() for c in cells]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        shown = ", ".join(repr(n[:40]) for n in unknown[:5])
        raise _refuse(line, f"unknown column(s) {shown}", f"未知列 {shown}")
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        shown = ", ".join(missing)
        raise _refuse(line, f"the header lacks {shown}", f"表头缺少 {shown}")
    if len(set(names)) != len(names):
        raise _refuse(line, "a column is named twice", "有列名重复")
    return names


def _date(text: str) -> tuple[dt.date, Literal["day", "month"]] | None:
    m = _DATE.fullmatch(text)
    if m is None:
        return None
    try:
        day = dt.date(int(m[1]), int(m[2]), int(m[3] or 1))
    except ValueError:
        return None
    return day, ("day" if m[3] else "month")


def _gtin_ok(digits: str) -> bool:
    """GS1 mod-10: weights 3, 1, 3, ... from the right of the number before the check
    digit. Kept here (eight lines) because plugins use only veriseal's public API."""
    body = digits[:-1]
    total = 3 * sum(map(int, body[-1::-2])) + sum(map(int, body[-2::-2]))
    return (10 - total % 10) % 10 == int(digits[-1])


class _Line:
    """Checks one data line's cells, reporting each problem once."""

    def __init__(self, line: int, cells: dict[str, str], problems: _Problems) -> None:
        self.line = line
        self.cells = cells
        self.problems = problems
        self.ok = True

    def bad(self, en: str, zh: str) -> None:
        self.ok = False
        self.problems.add(self.line, en, zh)

    def text(self, name: str) -> str | None:
        raw = self.cells.get(name, "").strip()
        if not raw:
            return None
        limit = _MAX_LEN.get(name, _MAX_TEXT)
        if len(raw) > limit:
            self.bad(f"{name} is longer than {limit} characters", f"{name} 超过 {limit} 个字符")
        elif "\x00" in raw or any(0xD800 <= ord(c) <= 0xDFFF for c in raw):
            self.bad(f"{name} holds a NUL or invalid character", f"{name} 含有空字符或无效字符")
        return raw

    def parse(self) -> MarketRow | None:
        c = self.cells
        date_text = c.get("date", "").strip()
        when = _date(date_text)
        if when is None:
            self.bad(
                f"date {date_text[:20]!r} is not YYYY-MM-DD or YYYY-MM",
                f"日期 {date_text[:20]!r} 不是 YYYY-MM-DD 或 YYYY-MM 格式",
            )
        metric_text = c.get("metric", "").strip().lower()
        metric = Metric(metric_text) if metric_text in Metric._value2member_map_ else None
        if metric is None:
            self.bad(
                f"metric {metric_text[:40]!r} is not one of {', '.join(Metric)}",
                f"指标 {metric_text[:40]!r} 不在 {', '.join(Metric)} 之中",
            )
        unit_text = c.get("unit", "").strip()
        unit = next((u for u in Unit if u.value.lower() == unit_text.lower()), None)
        if unit is None:
            self.bad(
                f"unit {unit_text[:20]!r} is not one of {', '.join(Unit)}",
                f"单位 {unit_text[:20]!r} 不在 {', '.join(Unit)} 之中",
            )
        elif metric is not None and unit not in UNITS[metric]:
            allowed = ", ".join(sorted(UNITS[metric]))
            self.bad(
                f"{metric} is given in {allowed}, not {unit}",
                f"{metric} 的单位应为 {allowed}，而不是 {unit}",
            )
        value = self._value(c.get("value", "").strip(), metric, unit)
        gtin = self._gtin()
        texts = {n: self.text(n) for n in OPTIONAL if n != "gtin"}
        if not self.ok or when is None or metric is None or unit is None or value is None:
            return None
        return MarketRow(
            line=self.line,
            date=when[0],
            period=when[1],
            metric=metric,
            value=value,
            unit=unit,
            gtin=gtin,
            **texts,
        )

    def _value(self, text: str, metric: Metric | None, unit: Unit | None) -> Decimal | None:
        m = _DECIMAL.fullmatch(text)
        if m is None:
            self.bad(
                f"value {text[:30]!r} is not a plain decimal number (like 1234.5)",
                f"数值 {text[:30]!r} 不是普通小数（如 1234.5）",
            )
            return None
        value = Decimal(text)
        if value < 0 and metric is not None and metric not in NEGATIVE_ALLOWED:
            self.bad(f"{metric} cannot be negative", f"{metric} 不能为负数")
            return None
        if unit is Unit.PERCENT and value > 100:
            self.bad("a percentage cannot exceed 100", "百分比不能超过 100")
            return None
        return value

    def _gtin(self) -> str | None:
        raw = self.cells.get("gtin", "").strip()
        if not raw:
            return None
        digits = raw.replace(" ", "").replace("-", "")
        if _GTIN.fullmatch(digits) is None:
            self.bad(
                f"gtin {raw[:20]!r} is not 8, 12, 13 or 14 digits",
                f"GTIN {raw[:20]!r} 不是 8、12、13 或 14 位数字",
            )
            return None
        if not _gtin_ok(digits):
            self.bad(f"gtin {digits}: wrong check digit", f"GTIN {digits} 校验位错误")
            return None
        return digits.zfill(14)


def parse_market_csv(data: bytes, *, max_rows: int = 200_000) -> list[MarketRow]:
    """The rows of a market data CSV file (schema in the module docstring), in file
    order; blank lines are skipped. Raises :class:`MarketCsvInvalid` for anything else,
    including an empty file, a file without data lines and more than ``max_rows`` lines.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MarketCsvInvalid("market data must be bytes", problems=[], problem_count=0)
    reader = _Reader(max_rows)
    reader.read(_decode(bytes(data)))
    reader.problems.raise_if_any()
    if reader.names is None:
        raise _refuse(1, "the file is empty: a header line is required", "文件为空：需要表头行")
    if not reader.rows:
        raise _refuse(2, "the file has a header but no data lines", "文件只有表头，没有数据行")
    return reader.rows


class _Reader:
    """Reads the records, collecting rows and problems; raises only for a file it cannot
    go on with (bad header, too many lines)."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.problems = _Problems()
        self.rows: list[MarketRow] = []
        self.names: list[str] | None = None
        self.first_seen: dict[tuple[Any, ...], int] = {}
        self.data_lines = 0

    def read(self, text: str) -> None:
        # A cell over the csv module's limit (131,072 characters) is a csv.Error like any
        # other unreadable text; that limit is process-wide, so it is not changed here.
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        next_line = 1  # where the record after this one begins
        try:
            for cells in reader:
                line, next_line = next_line, reader.line_num + 1
                if any(c.strip() for c in cells):  # blank lines are skipped
                    self.record(line, cells)
        except csv.Error as exc:
            self.problems.add(
                next_line,
                f"not readable as CSV near here: {str(exc)[:80]}",
                f"此处附近无法按 CSV 读取：{str(exc)[:80]}",
            )

    def record(self, line: int, cells: list[str]) -> None:
        if self.names is None:
            self.names = _header(line, cells)
            return
        if len(cells) != len(self.names):
            self.problems.add(
                line,
                f"{len(cells)} cells where the header has {len(self.names)}",
                f"本行 {len(cells)} 个单元格，表头有 {len(self.names)} 列",
            )
            return
        self.data_lines += 1
        if self.data_lines > self.max_rows:
            raise _refuse(
                line,
                f"more than {self.max_rows} data lines: split the file",
                f"数据超过 {self.max_rows} 行：请拆分文件",
            )
        row = _Line(line, dict(zip(self.names, cells, strict=True)), self.problems).parse()
        if row is None:
            return
        earlier = self.first_seen.setdefault(row.key(), line)
        if earlier != line:
            self.problems.add(
                line,
                f"repeats line {earlier} (same date, metric, region, category, "
                "competitor and product)",
                f"与第 {earlier} 行重复（日期、指标、地区、类目、竞品方和产品均相同）",
            )
            return
        self.rows.append(row)
