"""The printable PDF report, opened and read back with pypdfium2."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal.i18n import t
from veriseal_analytics.charts_pdf import ChartSpec, Series, axis_label, nice_step
from veriseal_analytics.export_files import Col
from veriseal_analytics.report_pdf import PdfTooLarge, ReportSection, cell_text, write_pdf

COLS = [
    Col("day", "Date", "日期", "date"),
    Col("name", "Product", "商品", "text"),
    Col("units", "Units", "数量", "int"),
    Col("revenue", "Revenue", "收入", "money"),
    Col("share", "Share", "占比", "percent"),
]
AT = dt.datetime(2026, 12, 4, 4, 5, tzinfo=dt.UTC)  # 12:05 in Shanghai


def _rows(n: int) -> list[dict[str, object]]:
    return [{"day": dt.date(2026, 1, 1) + dt.timedelta(days=i), "name": f"奶粉 Milk {i}",
             "units": 1000 + i, "revenue": 123_456_700 + i, "share": i / max(1, n)}
            for i in range(n)]  # fmt: skip


def _charts() -> list[ChartSpec]:
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    return [
        ChartSpec("line", "月度收入 Monthly revenue", months,
                  [Series("华东", [1_000_000.0 * m for m in range(12)]),
                   Series("华南", [None if m == 3 else 500_000.0 * m for m in range(12)])]),
        ChartSpec("bar", "Units by region", ["华东", "华南", "华北"],
                  [Series("2025", [1.0, 2.0, None]), Series("2026", [3.0, 4.0, 5.5])]),
        ChartSpec("hbar", "Top dealers", ["经销商 A", "B"], [Series("Units", [1234.0, 99.0])]),
    ]  # fmt: skip


def _write(path: Path, n: int, charts: bool = True, lang: str = "en") -> int:
    sections = [ReportSection(c.title, c, None, None) for c in _charts()] if charts else []
    sections.append(ReportSection("明细 Detail", None, COLS, _rows(n), note="备注 note"))
    return write_pdf(path, title="销售报表 Sales report", subtitle_lines=["2026-01 .. 2026-12"],
                     sections=sections, lang=lang, generated_at=AT)  # fmt: skip


def _text(pdf: pdfium.PdfDocument) -> list[str]:
    return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]


def test_opens_with_title_table_numbers_and_footer(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    pages = _write(path, 30)
    pdf = pdfium.PdfDocument(path)
    assert len(pdf) == pages
    text = _text(pdf)
    assert "销售报表 Sales report" in text[0]
    everything = "\n".join(text)
    for row in _rows(30):
        assert f"{row['units']:,}" in everything  # 1,000 .. 1,029
        cents = int(row["revenue"])  # type: ignore[call-overload]
        assert f"{cents // 100:,}.{cents % 100:02d}" in everything
    assert "Product" in everything and "奶粉 Milk 29" in everything
    assert "备注 note" in everything
    for i, page in enumerate(text, 1):
        assert f"{i} / {pages}" in page
        assert "2026-12-04 12:05" in page  # generation time in Asia/Shanghai
    assert not list(tmp_path.glob("*.part"))


def test_chinese_footer_and_headers(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    pages = _write(path, 3, charts=False, lang="zh")
    text = "\n".join(_text(pdfium.PdfDocument(path)))
    assert f"第 1 / {pages} 页" in text and "生成于" in text
    assert "数量" in text and "收入" in text


def test_page_count_grows_with_rows_and_header_repeats(tmp_path: Path) -> None:
    small = _write(tmp_path / "a.pdf", 10, charts=False)
    large = _write(tmp_path / "b.pdf", 400, charts=False)
    assert small == 1
    assert large > small + 3
    text = _text(pdfium.PdfDocument(tmp_path / "b.pdf"))
    assert all("Revenue" in page for page in text)  # the header row on every page
    assert "1,399" in text[-1]
    # every row printed exactly once across the page breaks, in order
    everything = "\n".join(text)
    positions = [everything.index(f"Milk {i} ") for i in range(400)]
    assert positions == sorted(positions)
    assert all(everything.count(f"Milk {i} ") == 1 for i in range(400))


def test_charts_are_vector(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    _write(path, 0)
    pdf = pdfium.PdfDocument(path)
    kinds = [obj.type for i in range(len(pdf)) for obj in pdf[i].get_objects()]
    assert pdfium_c.FPDF_PAGEOBJ_PATH in kinds  # bars, lines, axes
    assert pdfium_c.FPDF_PAGEOBJ_IMAGE not in kinds
    text = "\n".join(_text(pdf))
    assert "15,000,000" in text  # value axis with thousands separators
    assert "华东" in text and "2026" in text  # legend


def test_max_rows_refused_with_coded_error(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    sections = [ReportSection("a", None, COLS, _rows(6)), ReportSection("b", None, COLS, _rows(5))]
    with pytest.raises(PdfTooLarge) as info:
        write_pdf(path, title="x", subtitle_lines=[], sections=sections, lang="en",
                  generated_at=AT, max_rows=10)  # fmt: skip
    assert info.value.code == "export_pdf_too_large"
    assert "CSV" in info.value.message and "XLSX" in info.value.message
    assert info.value.details == {"rows": 11, "max_rows": 10}
    assert "CSV" in t("error.export_pdf_too_large", lang="en")
    assert "CSV" in t("error.export_pdf_too_large", lang="zh")
    assert list(tmp_path.iterdir()) == []
    # at the limit it is written
    assert write_pdf(path, title="x", subtitle_lines=[], sections=sections, lang="en",
                     generated_at=AT, max_rows=11) >= 1  # fmt: skip


def test_control_characters_and_markup_in_user_text_are_safe(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    rows = [{"name": "<b>x</b> & \x01y"}]
    write_pdf(path, title="<i>T</i>", subtitle_lines=[], lang="en", generated_at=AT,
              sections=[ReportSection("h", None, [Col("name", "N", "N")], rows)])  # fmt: skip
    text = "\n".join(_text(pdfium.PdfDocument(path)))
    assert "<b>x</b> & y" in text and "<i>T</i>" in text


def test_cell_text_formats() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    assert cell_text("money", -123456, tz) == "-1,234.56"
    assert cell_text("money", 5, tz) == "0.05"
    assert cell_text("int", 1234567, tz) == "1,234,567"
    assert cell_text("percent", 0.1234, tz) == "12.34%"
    assert cell_text("datetime", dt.datetime(2026, 1, 1, 16, 30, tzinfo=dt.UTC), tz) == (
        "2026-01-02 00:30"
    )
    assert cell_text("int", None, tz) == ""


@settings(max_examples=200, deadline=None)
@given(lo=st.floats(-1e12, 1e12), span=st.floats(1e-6, 1e12))
def test_nice_step_covers_span_in_few_ticks(lo: float, span: float) -> None:
    step = nice_step(span)
    assert 2 <= span / step + 1e-9 <= 11  # between 2 and ~10 intervals
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1.0, 2.0, 5.0, 10.0)


def test_axis_labels_have_thousands_separators() -> None:
    assert axis_label(1_250_000, 250_000) == "1,250,000"
    assert axis_label(0.5, 0.1) == "0.5"
    assert axis_label(-0.0, 1) == "0"


def test_series_length_must_match_categories() -> None:
    with pytest.raises(ValueError, match="values"):
        ChartSpec("bar", "x", ["a", "b"], [Series("s", [1.0])])


class _Broken(list[dict[str, object]]):
    """Rows that fail halfway through, as a lost database cursor would."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield from list.__iter__(self)
        raise RuntimeError("cursor lost")


def test_partial_pdf_removed_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    (tmp_path / "r.pdf.part").write_bytes(b"%PDF- left by a crashed run")
    with pytest.raises(RuntimeError, match="cursor lost"):
        write_pdf(path, title="x", subtitle_lines=[], lang="en", generated_at=AT,
                  sections=[ReportSection("h", None, COLS, _Broken(_rows(5)))])  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_long_text_wraps_inside_its_column(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    name = " ".join(f"word{i}" for i in range(40))
    write_pdf(path, title="x", subtitle_lines=[], lang="en", generated_at=AT,
              sections=[ReportSection("h", None, COLS, [{"name": name, "units": 7}])])  # fmt: skip
    text = _text(pdfium.PdfDocument(path))[0]
    assert all(f"word{i}" in text for i in range(40))
    assert name not in text  # broken over several lines, not run over the next column
