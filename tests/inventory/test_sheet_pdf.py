"""The outbound sheet's PDF read back as its users read it: the QR code decoded by real
barcode readers from the rasterised pages (pdfium), the text extracted by pdfium; every
line printed exactly once however many pages the sheet takes; the code-range text and
the scanned number's parser checked against values typed here."""

from __future__ import annotations

import datetime as dt
import re

import pypdfium2 as pdfium
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.printing.readback import pdf_pages, zbar, zxing
from veriseal_inventory.sheet_pdf import (
    Party,
    Sheet,
    SheetLine,
    compact_ranges,
    number_of,
    qr_value,
    render,
)

NUMBER = "OUT20261204-0007"
GTIN = "06901234567892"


def sheet(n_lines: int, **kw: object) -> Sheet:
    lines = [SheetLine("龙井茶 Longjing tea", GTIN, 10 + i, f"LOT{i:05d}") for i in range(n_lines)]
    base: dict[str, object] = {
        "number": NUMBER, "date": dt.date(2026, 12, 4), "warehouse": "MAIN 主仓",
        "consignee": Party("广东经销商 GD01", "广州市天河区体育西路 1 号", "张三 138 0000 0000"),
        "handler": "李四 (user 7)", "lines": lines,
    }  # fmt: skip
    base.update(kw)
    return Sheet(**base)  # type: ignore[arg-type]


def page_texts(data: bytes) -> list[str]:
    return [page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data)]


def test_every_page_has_the_scannable_number_zxing() -> None:
    data = render(sheet(90))
    pages = pdf_pages(data, dpi=200)
    assert len(pages) >= 2
    for image in pages:
        assert [b.text for b in zxing(image)] == ["VSOUT:OUT20261204-0007"]


def test_the_qr_reads_with_zbar_too() -> None:
    pages = pdf_pages(render(sheet(3)), dpi=200)
    assert zbar(pages[0]) == ["VSOUT:OUT20261204-0007"]


def test_text_has_the_number_parties_and_lines() -> None:
    codes = "batch 12: 1-500, 700-720"
    s = sheet(2, lines=[SheetLine("Pu'er 普洱", GTIN, 500, "P2026", codes),
                        SheetLine("Wine <red> & co", "09501101530003", 21)])  # fmt: skip
    (text,) = page_texts(render(s))
    flat = " ".join(text.split())
    for expected in ("出库单", "OUT20261204-0007", "2026-12-04", "MAIN 主仓", "广东经销商 GD01",
                     "广州市天河区体育西路 1 号", "张三 138 0000 0000", "李四 (user 7)",
                     "Pu'er 普洱", "P2026", "batch 12: 1-500, 700-720",
                     "Wine <red> & co", "09501101530003", "521"):  # fmt: skip
        assert expected in flat, expected
    assert "收货人 Receiver" in flat and "签字 Signature" in flat


def test_same_sheet_same_bytes() -> None:
    assert render(sheet(5)) == render(sheet(5))


def test_control_characters_do_not_break_the_sheet() -> None:
    s = sheet(1, consignee=Party("A\x00B\x07C", "x\x1fy", ""), note="n\x0bote")
    (text,) = page_texts(render(s))
    assert "ABC" in text and "xy" in text


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=1, max_value=160))
def test_pagination_prints_every_line_exactly_once(n: int) -> None:
    texts = page_texts(render(sheet(n)))
    found = [m for t in texts for m in re.findall(r"LOT\d{5}", t)]
    assert sorted(found) == [f"LOT{i:05d}" for i in range(n)]
    for i, t in enumerate(texts, 1):  # the header on every page
        assert "OUT20261204-0007" in t and f"Page {i}" in t
    assert "收货人 Receiver" in texts[-1]  # the signature block ends the sheet
    assert f"{n} 行 lines" in " ".join(texts[-1].split())


def expand(text: str) -> set[int]:
    """The numbers a range text names (written here, not by the code under test)."""
    out: set[int] = set()
    for part in filter(None, text.split(", ")):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


@given(st.sets(st.integers(min_value=0, max_value=3000), max_size=200))
def test_compact_ranges_name_exactly_the_numbers(numbers: set[int]) -> None:
    text = compact_ranges(numbers)
    assert expand(text) == numbers
    runs = sum(1 for n in numbers if n - 1 not in numbers)  # maximal runs
    assert (text.count(", ") + 1 if text else 0) == runs


def test_compact_ranges_examples() -> None:
    assert compact_ranges([*range(1, 501), *range(700, 721)]) == "1-500, 700-720"
    assert compact_ranges([5, 3, 3, 9]) == "3, 5, 9"
    assert compact_ranges([]) == ""


@given(st.from_regex(r"OUT[0-9]{8}-[0-9]{4,6}", fullmatch=True))
def test_scanned_value_gives_the_number(number: str) -> None:
    assert number_of(qr_value(number)) == number
    assert number_of(f"  vsout:{number.lower()} ") == number
    assert number_of(number) == number


@pytest.mark.parametrize("text", ["", "VSOUT:", "https://x/y", "VSOUT:OUT 1", "01" * 30, "é"])
def test_other_scans_are_not_sheet_numbers(text: str) -> None:
    assert number_of(text) is None


def test_qr_value_is_typed_from_the_documented_form() -> None:
    assert qr_value("OUT20261204-0001") == "VSOUT:OUT20261204-0001"
