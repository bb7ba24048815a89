"""The market data CSV parser: the schema's rows, each refusal path, any bytes."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import veriseal_analytics.market_data as module
from veriseal import InvalidInput
from veriseal_analytics.market_data import (
    COLUMNS,
    MAX_PROBLEMS,
    MarketCsvInvalid,
    Metric,
    Unit,
    parse_market_csv,
)

HEADER = "date,metric,value,unit,region,category,competitor,product,gtin,source,note"


def make(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def refused(data: bytes, **kw: Any) -> MarketCsvInvalid:
    with pytest.raises(MarketCsvInvalid) as caught:
        parse_market_csv(data, **kw)
    err = caught.value
    assert err.code == "market_csv_invalid"
    assert isinstance(err, InvalidInput)
    problems = err.details["problems"]
    assert 1 <= len(problems) <= MAX_PROBLEMS
    for p in problems:
        assert isinstance(p["line"], int) and p["line"] >= 1
        assert p["en"] and p["zh"] and p["en"] != p["zh"]
    return err


def lines_of(err: MarketCsvInvalid) -> list[int]:
    return [p["line"] for p in err.details["problems"]]


def test_a_full_file_gives_its_rows() -> None:
    rows = parse_market_csv(
        make(
            "2026-03-15,competitor_price,129.90,CNY,广东省,白酒,茅台,飞天 53°,"
            "4006381333931,2026 Q1 industry report,上调",
            "2026-03,market_size,1250000000,CNY,440000,,,,,,",
            "2026-04,own_share,12.5,percent,,,,,,,",
        )
    )
    assert len(rows) == 3
    first = rows[0]
    assert first.line == 2
    assert first.date == dt.date(2026, 3, 15) and first.period == "day"
    assert first.metric is Metric.COMPETITOR_PRICE and first.unit is Unit.CNY
    assert first.value == Decimal("129.90")
    assert first.region == "广东省" and first.competitor == "茅台"
    assert first.product == "飞天 53°"
    assert first.gtin == "04006381333931"
    assert first.note == "上调"
    month = rows[1]
    assert month.date == dt.date(2026, 3, 1) and month.period == "month"
    assert month.region == "440000"  # a GB/T 2260 code stays text
    assert month.category is None and month.gtin is None
    assert rows[2].value == Decimal("12.5")


def test_required_columns_only_in_any_order_and_case() -> None:
    rows = parse_market_csv(b" Unit ,VALUE,metric,date\r\nindex,88,search_index,2026-01-05\r\n")
    assert rows[0].metric is Metric.SEARCH_INDEX and rows[0].value == Decimal(88)


def test_utf8_bom_and_gb18030_are_read() -> None:
    text = "date,metric,value,unit,region\n2026-03,industry_units,5,units,浙江省杭州市\n"
    with_bom = parse_market_csv(b"\xef\xbb\xbf" + text.encode("utf-8"))
    gb = parse_market_csv(text.encode("gb18030"))
    assert with_bom[0].region == gb[0].region == "浙江省杭州市"


def test_written_by_the_csv_module_with_quotes_and_newlines() -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "metric", "value", "unit", "note"])
    writer.writerow(["2026-02-01", "industry_sales", "10", "CNY", 'two\nlines, "quoted"'])
    writer.writerow(["2026-02-02", "industry_sales", "11", "CNY", ""])
    rows = parse_market_csv(out.getvalue().encode())
    assert rows[0].note == 'two\nlines, "quoted"'
    assert rows[1].line == 4  # the quoted newline takes a line


def test_blank_lines_are_skipped() -> None:
    rows = parse_market_csv(b"\n\ndate,metric,value,unit\n\n2026-01,own_share,3,percent\n\n")
    assert [r.line for r in rows] == [5]


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("2026-13-01,market_size,1,CNY", "date"),
        ("2026-02-30,market_size,1,CNY", "date"),
        ("26-02-01,market_size,1,CNY", "date"),
        ("2026-02-01,market_sizes,1,CNY", "metric"),
        ("2026-02-01,market_size,1,USD", "unit"),
        ("2026-02-01,competitor_share,1,CNY", "given in"),
        ("2026-02-01,market_size,1e5,CNY", "plain decimal"),
        ('2026-02-01,market_size,"1,000",CNY', "plain decimal"),
        ("2026-02-01,market_size,NaN,CNY", "plain decimal"),
        ("2026-02-01,market_size,１２,CNY", "plain decimal"),  # full-width digits
        ("2026-02-01,market_size,,CNY", "plain decimal"),
        ("2026-02-01,market_size,-5,CNY", "negative"),
        ("2026-02-01,own_share,100.5,percent", "exceed 100"),
    ],
)
def test_bad_cells_are_refused_by_line(line: str, needle: str) -> None:
    err = refused(make("2026-01-01,market_size,1,CNY", line, header="date,metric,value,unit"))
    assert lines_of(err) == [3]
    assert needle in err.details["problems"][0]["en"]


@pytest.mark.parametrize(
    ("gtin", "needle"),
    [("4006381333932", "check digit"), ("400638133393", "check digit"), ("12345", "digits")],
)
def test_gtin_is_check_digit_validated(gtin: str, needle: str) -> None:
    err = refused(make(f"2026-01,competitor_price,9,CNY,,,,,{gtin},,"))
    assert needle in err.details["problems"][0]["en"]


def test_gtin_lengths_and_separators() -> None:
    rows = parse_market_csv(
        make(
            "2026-01,competitor_price,9,CNY,,,,a,9638-5074,,",  # GTIN-8
            "2026-01,competitor_price,9,CNY,,,,b,036000291452,,",  # UPC-A
            "2026-01,competitor_price,9,CNY,,,,c,4006381333931,,",
        )
    )
    assert [r.gtin for r in rows] == ["00000096385074", "00036000291452", "04006381333931"]


def test_overlong_text_and_nul_are_refused() -> None:
    long_note = "x" * 1001
    err = refused(make(f"2026-01,market_size,1,CNY,,,,,,,{long_note}"))
    assert "longer than 1000" in err.details["problems"][0]["en"]
    err = refused(make("2026-01,market_size,1,CNY,a\x00b,,,,,,"))
    assert "NUL" in err.details["problems"][0]["en"]


def test_duplicates_are_refused_naming_the_first_line() -> None:
    err = refused(
        make(
            "2026-01,competitor_price,9,CNY,广东,,A,p,,,",
            "2026-01,competitor_price,9,CNY,广东,,B,p,,,",  # another competitor: fine
            "2026-01-01,competitor_price,9,CNY,广东,,A,p,,,",  # a day is not the month
            "2026-01,competitor_price,10,CNY,广东,,A,p,,r2,",
        )
    )
    assert lines_of(err) == [5]
    assert "line 2" in err.details["problems"][0]["en"]


def test_all_or_nothing_and_at_most_twenty_listed() -> None:
    bad = [f"2026-01-{d:02d},market_size,-1,CNY,,,,,,," for d in range(1, 29)]
    err = refused(make("2026-01,market_size,1,CNY,,,,,,,", *bad))
    assert err.details["problem_count"] == 28
    assert lines_of(err) == list(range(3, 23))


def test_wrong_cell_count() -> None:
    err = refused(make("2026-01,market_size,1,CNY", header="date,metric,value,unit,region"))
    assert "4 cells" in err.details["problems"][0]["en"]


@pytest.mark.parametrize(
    ("header", "needle"),
    [
        ("date,metric,value,unit,colour", "unknown column"),
        ("date,metric,value", "lacks unit"),
        ("date,metric,value,unit,Date", "named twice"),
        ("2026-01,market_size,1,CNY", "unknown column"),  # no header at all
    ],
)
def test_bad_header(header: str, needle: str) -> None:
    err = refused(make("2026-01,market_size,1,CNY", header=header))
    assert lines_of(err) == [1]
    assert needle in err.details["problems"][0]["en"]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"date,metric,value,unit\n", "no data lines"),
        (b"\xff\xfe\x00d\x00a", "neither UTF-8 nor GB18030"),
        (b'date,metric,value,unit\n2026-01,market_size,"1,CNY\n', "not readable as CSV"),
        (b'date,metric,value,unit\n2026-01,"market"_size,1,CNY\n', "not readable as CSV"),
    ],
)
def test_unusable_files(data: bytes, needle: str) -> None:
    err = refused(data)
    assert needle in err.details["problems"][0]["en"]


def test_an_unreadable_record_is_reported_at_its_line() -> None:
    data = b'date,metric,value,unit\n2026-01,market_size,1,CNY\n2026-02,"market"_size,1,CNY\n'
    assert lines_of(refused(data)) == [3]


def test_max_rows() -> None:
    lines = [f"2026-01-{d:02d},market_size,1,CNY" for d in range(1, 6)]
    data = make(*lines, header="date,metric,value,unit")
    assert len(parse_market_csv(data, max_rows=5)) == 5
    err = refused(data, max_rows=4)
    assert lines_of(err) == [6] and "more than 4" in err.details["problems"][0]["en"]


def test_not_bytes() -> None:
    with pytest.raises(MarketCsvInvalid):
        parse_market_csv("date,metric,value,unit\n")  # type: ignore[arg-type]


def test_every_column_is_documented() -> None:
    for name in COLUMNS:
        assert f"``{name}``" in (module.__doc__ or "")
    for metric in Metric:
        assert f"``{metric.value}``" in (module.__doc__ or "")


@given(st.binary(max_size=400))
def test_any_bytes_give_rows_or_the_coded_error(data: bytes) -> None:
    with contextlib.suppress(MarketCsvInvalid):
        parse_market_csv(data)


_CELL = st.text(alphabet=st.sampled_from('ab,"\n\r\x00 -.0123456789:省'), max_size=12)


@given(st.lists(st.lists(_CELL, min_size=1, max_size=6), max_size=6), st.booleans())
def test_any_csv_shaped_text_gives_rows_or_the_coded_error(
    cells: list[list[str]], gb: bool
) -> None:
    text = "date,metric,value,unit,note\n" + "\n".join(",".join(r) for r in cells)
    try:
        rows = parse_market_csv(text.encode("gb18030" if gb else "utf-8"))
    except MarketCsvInvalid:
        return
    for row in rows:
        assert row.value >= 0 and row.metric in Metric


@given(
    st.lists(
        st.tuples(
            st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)),
            st.sampled_from(["market_size", "competitor_price", "own_share"]),
            st.decimals(0, 100, places=2, allow_nan=False),
            st.text(alphabet="华东南北区", max_size=4),
        ),
        min_size=1,
        max_size=15,
        unique_by=lambda t: (t[0], t[1], t[3]),
    )
)
def test_rows_written_by_the_csv_module_read_back(
    items: list[tuple[dt.date, str, Decimal, str]],
) -> None:
    units = {"market_size": "CNY", "competitor_price": "CNY", "own_share": "percent"}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "metric", "value", "unit", "region"])
    for day, metric, value, region in items:
        writer.writerow([day.isoformat(), metric, f"{value:f}", units[metric], region])
    rows = parse_market_csv(out.getvalue().encode("utf-8"))
    assert [(r.date, r.metric.value, r.value, r.region or "") for r in rows] == [
        (d, m, v, reg) for d, m, v, reg in items
    ]
