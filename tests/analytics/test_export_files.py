"""CSV and XLSX exports, read back with the csv module and openpyxl."""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterator, Mapping
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.worksheet import _writer as openpyxl_writer

from veriseal_analytics.export_files import Col, needs_guard, write_csv, write_xlsx

FIXTURE = HealthCheck.function_scoped_fixture  # tmp_path is reused, each example overwrites
COLS = [
    Col("day", "Date", "日期", "date"),
    Col("at", "Time", "时间", "datetime"),
    Col("name", "Product", "商品", "text"),
    Col("units", "Units", "数量", "int"),
    Col("revenue", "Revenue", "收入", "money"),
    Col("ratio", "Ratio", "比率", "decimal"),
    Col("share", "Share", "占比", "percent"),
]
# XML 1.0 cannot hold these; the XLSX writer drops them (tested separately)
_XML_BAD = {chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32))}
_CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)  # always in the mix
_FORMULA = st.sampled_from("=+-@\t\r")  # the starts the guard is about
texts = st.text(st.one_of(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
                          _CHINESE, _FORMULA), max_size=40)  # fmt: skip
xml_texts = st.text(st.one_of(st.characters(blacklist_categories=["Cs"],
                                            blacklist_characters="".join(_XML_BAD)),
                              _CHINESE, _FORMULA), max_size=40)  # fmt: skip
days = st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31))
# Excel keeps times to the millisecond; whole seconds round-trip exactly
times = st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
cents = st.integers(-(10**13), 10**13)
units = st.integers(-(2**53), 2**53)
# beyond ~1e308 the 16-digit text openpyxl writes rounds up to infinity
ratios = st.floats(-1e300, 1e300, allow_nan=False)
shares = st.floats(0, 1)


def _row(text_strategy: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries({"day": days, "at": times, "name": text_strategy,
                                  "units": units, "revenue": cents, "ratio": ratios,
                                  "share": shares})  # fmt: skip


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _read_xlsx(path: Path) -> list[list[list[object]]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    sheets = [[list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets]
    wb.close()
    return sheets


def _guarded(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _money(text: str) -> int:
    whole, _, frac = text.lstrip("-").partition(".")
    assert len(frac) == 2
    value = int(whole) * 100 + int(frac)
    return -value if text.startswith("-") else value


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(_row(texts), max_size=8))
def test_csv_round_trip(tmp_path: Path, rows: list[dict[str, object]]) -> None:
    path = tmp_path / "r.csv"
    assert write_csv(path, COLS, rows, lang="en") == len(rows)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    got = _read_csv(path)
    assert got[0] == [c.title_en for c in COLS]
    assert len(got) == len(rows) + 1
    for row, line in zip(rows, got[1:], strict=True):
        assert dt.date.fromisoformat(line[0]) == row["day"]
        assert dt.datetime.fromisoformat(line[1]) == row["at"]
        assert line[2] == _guarded(str(row["name"]))
        assert int(line[3]) == row["units"]
        assert _money(line[4]) == row["revenue"]
        assert float(line[5]) == row["ratio"]
        assert float(line[6]) == row["share"]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(_row(xml_texts), max_size=6))
def test_xlsx_round_trip_types(tmp_path: Path, rows: list[dict[str, object]]) -> None:
    path = tmp_path / "r.xlsx"
    result = write_xlsx(path, COLS, rows, lang="zh")
    assert (result.rows, result.sheets) == (len(rows), 1)
    [sheet] = _read_xlsx(path)
    assert sheet[0] == [c.title_zh for c in COLS]
    assert len(sheet) == len(rows) + 1
    for row, line in zip(rows, sheet[1:], strict=True):
        assert line[0] == dt.datetime.combine(row["day"], dt.time())  # type: ignore[arg-type]
        assert line[1] == row["at"]
        # a string cell, never a formula; an empty text is an empty cell; XML turns CR
        # (and CRLF) into LF
        name = str(row["name"]).replace("\r\n", "\n").replace("\r", "\n")
        assert line[2] == (name or None)
        assert line[3] == row["units"]
        assert isinstance(line[4], int | float) and round(line[4] * 100) == row["revenue"]
        # openpyxl writes floats with 16 significant digits (Excel keeps 15)
        assert math.isclose(line[5], row["ratio"], rel_tol=1e-15)  # type: ignore[arg-type]
        assert math.isclose(line[6], row["share"], rel_tol=1e-15)  # type: ignore[arg-type]


def test_xlsx_number_formats_and_frozen_header(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    row = {"day": dt.date(2026, 12, 4), "at": dt.datetime(2026, 12, 4, 8, 30), "name": "奶粉",
           "units": 1200, "revenue": 123456, "ratio": 1.5, "share": 0.25}  # fmt: skip
    write_xlsx(path, COLS, [row], lang="en")
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    assert ws.freeze_panes == "A2"
    assert [c.font.b for c in ws[1]] == [True] * len(COLS)
    formats = {c.key: cell.number_format for c, cell in zip(COLS, ws[2], strict=True)}
    assert formats["revenue"] == "#,##0.00" and ws["E2"].value == 1234.56
    assert formats["share"] == "0.00%"
    assert formats["units"] == "#,##0"
    assert formats["day"] == "yyyy-mm-dd"
    assert ws["C2"].data_type == "s"


def test_xlsx_drops_xml_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    write_xlsx(path, [Col("t", "T", "T")], [{"t": "a\x01b\x0bc\x1fd\te"}], lang="en")
    assert _read_xlsx(path)[0][1] == ["abcd\te"]


def test_xlsx_splits_sheets_with_header_each(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    cols = [Col("i", "N", "序号", "int")]
    result = write_xlsx(path, cols, ({"i": i} for i in range(12)), lang="zh", sheet_rows=5,
                        title="销售")  # fmt: skip
    assert (result.rows, result.sheets) == (12, 3)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["销售", "销售 (2)", "销售 (3)"]
    wb.close()
    sheets = _read_xlsx(path)
    assert [len(s) for s in sheets] == [6, 6, 3]
    assert all(s[0] == ["序号"] for s in sheets)
    assert [r[0] for s in sheets for r in s[1:]] == list(range(12))


def test_xlsx_exact_multiple_does_not_add_an_empty_sheet(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    result = write_xlsx(path, [Col("i", "N", "N", "int")], ({"i": i} for i in range(10)),
                        lang="en", sheet_rows=5)  # fmt: skip
    assert result.sheets == 2 and len(_read_xlsx(path)) == 2


def test_xlsx_refuses_sheet_rows_above_excel_limit(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sheet_rows"):
        write_xlsx(tmp_path / "r.xlsx", COLS, [], lang="en", sheet_rows=1_048_576)


@pytest.mark.parametrize("text", ["=1+2", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx",
                                  "=HYPERLINK(\"http://x\",\"y\")"])  # fmt: skip
def test_formula_injection_neutralised(tmp_path: Path, text: str) -> None:
    assert needs_guard(text)
    cols = [Col("t", "T", "T")]
    write_csv(tmp_path / "r.csv", cols, [{"t": text}], lang="en")
    assert _read_csv(tmp_path / "r.csv")[1] == ["'" + text]
    write_xlsx(tmp_path / "r.xlsx", cols, [{"t": text}], lang="en")
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    assert ws is not None
    assert ws["A2"].data_type == "s"
    assert ws["A2"].value == text.replace("\r", "\n")  # XML reads a CR as LF


def test_negative_numbers_are_numbers_not_guarded_text(tmp_path: Path) -> None:
    cols = [Col("u", "U", "U", "int"), Col("m", "M", "M", "money")]
    write_csv(tmp_path / "r.csv", cols, [{"u": -5, "m": -5}], lang="en")
    assert _read_csv(tmp_path / "r.csv")[1] == ["-5", "-0.05"]
    write_xlsx(tmp_path / "r.xlsx", cols, [{"u": -5, "m": -5}], lang="en")
    assert _read_xlsx(tmp_path / "r.xlsx")[0][1] == [-5, -0.05]


def test_mismatched_type_written_as_guarded_text(tmp_path: Path) -> None:
    cols = [Col("u", "U", "U", "int")]
    write_csv(tmp_path / "r.csv", cols, [{"u": "=bad"}, {"u": None}, {}], lang="en")
    assert _read_csv(tmp_path / "r.csv")[1:] == [["'=bad"], [""], [""]]


def _failing(n: int) -> Iterator[Mapping[str, object]]:
    for i in range(n):
        yield {"units": i}
    raise RuntimeError("database went away")


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_partial_file_removed_on_failure(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"r.{suffix}"
    writer = write_csv if suffix == "csv" else write_xlsx
    with pytest.raises(RuntimeError, match="went away"):
        writer(path, COLS, _failing(50), lang="en")
    assert list(tmp_path.iterdir()) == []
    # nor does openpyxl keep its per-sheet temporary file
    assert [f for f in openpyxl_writer.ALL_TEMP_FILES if Path(f).exists()] == []


def test_failure_keeps_previous_complete_file(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    write_csv(path, COLS, [{"units": 1}], lang="en")
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        write_csv(path, COLS, _failing(3), lang="en")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_progress_reported(tmp_path: Path, suffix: str) -> None:
    seen: list[int] = []
    writer = write_csv if suffix == "csv" else write_xlsx
    n = writer(tmp_path / f"r.{suffix}", COLS, ({"units": i} for i in range(25)), lang="en",
               on_progress=seen.append, progress_every=10)  # fmt: skip
    assert seen == [10, 20, 25]
    assert (n if isinstance(n, int) else n.rows) == 25


def test_progress_reported_once_for_no_rows_and_exact_multiple(tmp_path: Path) -> None:
    seen: list[int] = []
    write_csv(tmp_path / "a.csv", COLS, [], lang="en", on_progress=seen.append)
    write_csv(tmp_path / "b.csv", COLS, ({"units": i} for i in range(20)), lang="en",
              on_progress=seen.append, progress_every=10)  # fmt: skip
    assert seen == [0, 10, 20]


def test_csv_header_language(tmp_path: Path) -> None:
    write_csv(tmp_path / "r.csv", COLS, [], lang="zh-CN")
    assert _read_csv(tmp_path / "r.csv") == [[c.title_zh for c in COLS]]


def test_error_like_text_stays_text_in_xlsx(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "r.xlsx", [Col("t", "T", "T")], [{"t": "#N/A"}, {"t": "#REF!"}],
               lang="en")  # fmt: skip
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    assert ws is not None
    assert [(c.value, c.data_type) for c in ws["A"][1:]] == [("#N/A", "s"), ("#REF!", "s")]
