"""The outbound sheet (出库单) as a PDF: what travels with the goods.

Pure: :func:`render` turns a :class:`Sheet` into PDF bytes (no I/O, no database).

- **Layout.** A4 portrait. Every page repeats the sheet's header (title, number, date,
  warehouse, page number and the QR code), and the lines table repeats its column row,
  so each page of a long sheet identifies its sheet on its own. The consignee block
  comes before the lines, the total and the signature boxes (handler, carrier,
  receiver) after them; the signature block is never split across pages.
- **Text.** Chinese and Latin text in Adobe's standard CJK font *STSong-Light*
  (``UniGB-UCS2-H``): every PDF reader has it or substitutes it, so nothing is embedded
  and the sheet stays small; text extraction gives the Unicode text back. User text is
  escaped (it never becomes markup) and control characters are dropped.
- **QR.** The QR code holds :func:`qr_value` of the number, ``VSOUT:<number>`` (QR
  alphanumeric mode: a small, robust symbol; level M). The receiver scans it on the
  console's check-in page; :func:`number_of` reads a scan back (also a bare number).
- **Codes.** A line may list the codes it ships as compact text
  (:func:`compact_ranges`: ``batch 12: 1-500, 700-720``) or a first/last URI pair.
- Output is deterministic for the same sheet (reportlab's invariant mode: no
  timestamps or random ids), so a reprint is the same file.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    KeepTogether,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT = "STSong-Light"
QR_PREFIX = "VSOUT:"
#: a sheet number: letters, digits and '-' (e.g. OUT20261204-0001)
NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MARGIN = 15 * mm
_HEADER_H = 38 * mm  # the repeated page header's height
_QR_SIDE = 30 * mm

pdfmetrics.registerFont(UnicodeCIDFont(FONT))


@dataclass(frozen=True)
class Party:
    """The consignee (收货方): who receives the goods, where, and how to reach them."""

    name: str
    address: str = ""
    contact: str = ""


@dataclass(frozen=True)
class SheetLine:
    """One line: a product (and lot) and its quantity; ``codes`` the codes shipped as
    compact text (may be empty)."""

    product: str
    gtin: str
    quantity: int
    lot: str = ""
    codes: str = ""


@dataclass(frozen=True)
class Sheet:
    number: str
    date: dt.date
    warehouse: str
    consignee: Party
    handler: str
    lines: Sequence[SheetLine] = field(default_factory=tuple)
    note: str = ""


def qr_value(number: str) -> str:
    """What the sheet's QR code holds: ``VSOUT:<number>``."""
    return QR_PREFIX + number


def number_of(scanned: str) -> str | None:
    """The sheet number in a scan (``VSOUT:<number>`` or the bare number, any case,
    surrounding blanks ignored); None when it is not a sheet number."""
    text = scanned.strip().upper()
    if text.startswith(QR_PREFIX):
        text = text[len(QR_PREFIX) :]
    return text if NUMBER.match(text) else None


def compact_ranges(numbers: Iterable[int]) -> str:
    """Whole numbers as sorted ranges of consecutive values: ``1-500, 700, 702-720``
    (duplicates counted once; empty text for none)."""
    values = sorted(set(numbers))
    parts: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        parts.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ", ".join(parts)


def _clean(text: str) -> str:
    return escape(_CONTROL.sub("", text))


class _Styles:
    def __init__(self) -> None:
        base = ParagraphStyle("sheet", fontName=FONT, fontSize=9, leading=12,
                              wordWrap="CJK")  # fmt: skip
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8, leading=10)
        self.head = ParagraphStyle("head", parent=base, fontSize=8, leading=10,
                                   textColor=colors.white)  # fmt: skip
        self.label = ParagraphStyle("label", parent=base, textColor=colors.HexColor("#444444"))
        self.number = ParagraphStyle("number", parent=self.small, alignment=TA_RIGHT)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_clean(text), style)


def _qr(canvas: Any, value: str, x: float, y: float, side: float) -> None:
    """The QR code of ``value`` as filled rectangles, one per run of dark modules, in a
    square of ``side`` at (x, y) that includes the 4-module quiet zone."""
    matrix = segno.make_qr(value, error="m").matrix
    n = len(matrix)
    module = side / (n + 8)
    canvas.saveState()
    canvas.setFillColor(colors.black)
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                canvas.rect(x + (4 + start) * module, y + side - (4 + r + 1) * module,
                            (c - start) * module, module, stroke=0, fill=1)  # fmt: skip
            else:
                c += 1
    canvas.restoreState()


def _header(sheet: Sheet) -> Any:
    """The page callback: the repeated header of every page."""

    def draw(canvas: Any, doc: Any) -> None:
        width, height = A4
        top = height - _MARGIN
        canvas.saveState()
        canvas.setFont(FONT, 16)
        canvas.drawString(_MARGIN, top - 16, "出库单  Outbound sheet")
        canvas.setFont(FONT, 10)
        rows = [
            f"单号 No.: {_CONTROL.sub('', sheet.number)}",
            f"日期 Date: {sheet.date.isoformat()}",
            f"仓库 Warehouse: {_CONTROL.sub('', sheet.warehouse)[:60]}",
            f"第 {doc.page} 页  Page {doc.page}",
        ]
        for i, text in enumerate(rows):
            canvas.drawString(_MARGIN, top - 34 - 13 * i, text)
        _qr(canvas, qr_value(sheet.number), width - _MARGIN - _QR_SIDE, top - _QR_SIDE, _QR_SIDE)
        canvas.setFont(FONT, 7)
        canvas.drawCentredString(width - _MARGIN - _QR_SIDE / 2, top - _QR_SIDE - 8,
                                 "收货扫码 Scan to check in")  # fmt: skip
        canvas.setLineWidth(0.6)
        canvas.line(_MARGIN, top - _HEADER_H + 2 * mm, width - _MARGIN, top - _HEADER_H + 2 * mm)
        canvas.restoreState()

    return draw


def _consignee(sheet: Sheet, s: _Styles, width: float) -> Table:
    c = sheet.consignee
    rows = [
        [_p("收货方 Consignee", s.label), _p(c.name, s.body)],
        [_p("地址 Address", s.label), _p(c.address, s.body)],
        [_p("联系人 Contact", s.label), _p(c.contact, s.body)],
        [_p("经办人 Handler", s.label), _p(sheet.handler, s.body)],
    ]
    if sheet.note:
        rows.append([_p("备注 Note", s.label), _p(sheet.note, s.body)])
    t = Table(rows, colWidths=[32 * mm, width - 32 * mm])
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                           ("TOPPADDING", (0, 0), (-1, -1), 2)]))  # fmt: skip
    return t


def _lines(sheet: Sheet, s: _Styles, width: float) -> LongTable:
    head = ["#", "品名 Product", "GTIN", "批号 Lot", "数量 Qty", "码段 Codes"]
    widths = [8 * mm, 46 * mm, 30 * mm, 24 * mm, 18 * mm]
    widths.append(width - sum(widths))
    rows: list[list[Any]] = [[_p(h, s.head) for h in head]]
    for i, line in enumerate(sheet.lines, 1):
        rows.append([_p(str(i), s.small), _p(line.product, s.small), _p(line.gtin, s.small),
                     _p(line.lot or "-", s.small), _p(str(line.quantity), s.number),
                     _p(line.codes, s.small)])  # fmt: skip
    t = LongTable(rows, colWidths=widths, repeatRows=1)
    t.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#333333")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))  # fmt: skip
    return t


def _signatures(sheet: Sheet, s: _Styles, width: float) -> KeepTogether:
    total = sum(line.quantity for line in sheet.lines)
    roles = ["发货经办人 Handler", "承运人 Carrier", "收货人 Receiver"]
    boxes = Table(
        [[_p(r, s.label) for r in roles],
         [_p("签字 Signature", s.small)] * 3,
         [_p("日期 Date", s.small)] * 3],
        colWidths=[width / 3] * 3, rowHeights=[None, 16 * mm, 8 * mm],
    )  # fmt: skip
    boxes.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                               ("INNERGRID", (0, 0), (-1, -1), 0.4, colors.black),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))  # fmt: skip
    summary = _p(f"合计 Total: {len(sheet.lines)} 行 lines, {total} 件 units", s.body)
    return KeepTogether([Spacer(1, 4 * mm), summary, Spacer(1, 4 * mm), boxes])


def render(sheet: Sheet) -> bytes:
    """The sheet as PDF bytes (A4; see the module docstring)."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN,
        topMargin=_MARGIN + _HEADER_H, bottomMargin=_MARGIN,
        title=f"出库单 {sheet.number}", author="Veriseal", invariant=1,
    )  # fmt: skip
    s = _Styles()
    width = doc.width
    story: list[Any] = [_consignee(sheet, s, width), Spacer(1, 5 * mm),
                        _lines(sheet, s, width), _signatures(sheet, s, width)]  # fmt: skip
    draw = _header(sheet)
    doc.build(story, onFirstPage=draw, onLaterPages=draw)
    return out.getvalue()
