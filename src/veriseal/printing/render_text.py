"""ZPL II thermal labels and variable-data CSV for industrial coders: fixed-width text
records assembled column-wise (see :mod:`.textfmt`), one per code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from veriseal.printing.errors import PrintTemplateInvalid, PrintTemplateUnsuitable
from veriseal.printing.qr import QrTooLong, byte_mode_side
from veriseal.printing.records import LabelChunk, LabelSource, Text
from veriseal.printing.render_base import Renderer, Sink
from veriseal.printing.symbols import SymbolKind
from veriseal.printing.templates import Template
from veriseal.printing.textfmt import RecordFormat, UnsafeText, says_nothing

MM_PER_INCH = 25.4
ZPL_DPI = (203, 300, 600)
# ^BX escape character (its "_1" is FNC1). Not a GS1 CSET 82 character, so no element
# string can hold it and nothing in one ever needs escaping: with ZPL's default '_', a
# lot such as "A_1" would have turned into A, FNC1, 1.
_ZPL_ESCAPE = "#"
_ZPL_FORBIDDEN = b"^~"  # they start ZPL commands, even inside ^FD..^FS
# ^BQ draws its symbol this many dots below the ^FO point on Zebra printers (and in the
# renderer the tests use); the symbol box leaves room for it.
_BQ_DROP = 10
QR_QUIET = 4  # modules of quiet zone around a QR symbol (ISO/IEC 18004)


def _zpl_text(text: str) -> str:
    """Constant text inside ^FD..^FS: ^ and ~ would start ZPL commands."""
    if "^" in text or "~" in text:
        raise PrintTemplateUnsuitable(f"{text!r}: ZPL field data cannot hold ^ or ~")
    return text


def _zpl_element(text: str) -> str:
    """Constant parts of a GS1 element string for ^BX: GS -> FNC1 (escape + '1')."""
    if _ZPL_ESCAPE in text:  # cannot happen for CSET 82 values; kept as a guard
        raise PrintTemplateUnsuitable(f"{text!r}: {_ZPL_ESCAPE!r} is the ^BX escape character")
    return _zpl_text(text).replace("\x1d", _ZPL_ESCAPE + "1")


@dataclass(frozen=True)
class _Box:
    """A rectangle on the label, in dots."""

    x: int
    y: int
    w: int
    h: int

    def meets_line(self, x: int, y: int, h: int) -> bool:
        """Whether a text line starting at (x, y), ``h`` dots high and running rightwards,
        would touch this box."""
        return x < self.x + self.w and y < self.y + self.h and self.y < y + h


class ZplRenderer(Renderer):
    """One ``^XA..^XZ`` label per code: a QR (``^BQ``, the URI) or GS1 DataMatrix
    (``^BX``, the element string) and text lines, laid out in mm and converted to dots at
    the template's ``dpi``.

    A QR template gives the square its symbol may fill, quiet zone included
    (``symbol.size_mm``): the module is ``symbol.module_mm`` or, for a long URI (signed
    codes), the largest whole number of dots that still fits, never less than
    ``symbol.min_module_mm``. Text lines that would enter that square are refused
    (``PrintTemplateInvalid``), so a layout cannot print over the symbol or its quiet zone.
    Text lines whose fields are all empty (no expiry) are left out."""

    chunk_size = 1 << 16
    # A label costs ~0.3 us to render and ~300 bytes to send back from a worker: the pool
    # (pickle + pipe, or even shared memory) measured slower than one process whose
    # sink hashes and writes from a second thread (docs/printing.md).
    pooled = False

    def __init__(self, template: Template, source: LabelSource) -> None:
        super().__init__(template, source)
        dpi = int(template.number("dpi"))
        if dpi not in ZPL_DPI:
            raise PrintTemplateInvalid(f"template {template.name}: dpi must be 203, 300 or 600")
        self.dpi = dpi
        kind = template.get("symbol.type", SymbolKind.QR)
        if kind == SymbolKind.QR:
            sym, box = self._qr(template, source)
            field, escape = "uri", _zpl_text
        elif kind == SymbolKind.DATAMATRIX:
            sym, box = self._datamatrix(template, source)
            field, escape = "element", _zpl_element
        else:
            raise PrintTemplateInvalid(f"template {template.name}: symbol.type is qr or datamatrix")
        texts = []
        for line in template.get("text", []):
            if not isinstance(line, dict) or not isinstance(line.get("value"), str):
                raise PrintTemplateInvalid(f"template {template.name}: [[text]] needs a value")
            h = max(10, self._dots(float(line.get("height_mm", 2.5))))
            tx = self._dots(float(line.get("x_mm", 0)))
            ty = self._dots(float(line.get("y_mm", 0)))
            if box is not None and box.meets_line(tx, ty, h):
                raise PrintTemplateInvalid(
                    f"template {template.name}: text {line['value']!r} runs into the symbol's"
                    " square (symbol.x_mm, y_mm, size_mm) or its quiet zone"
                )
            if not says_nothing(line["value"], source):
                texts.append((f"^FO{tx},{ty}^A0N,{h},{h}^FD", line["value"]))
        head = (
            f"^XA^CI0^PW{self._dots(template.number('width_mm'))}"
            f"^LL{self._dots(template.number('height_mm'))}^LH0,0\n"
            if template.get("width_mm") is not None
            else "^XA\n"
        )
        try:
            self.symbol_format = RecordFormat(sym, source, escape, _ZPL_FORBIDDEN + b"#")
            self.formats = [RecordFormat(head, source)]
            self.formats.append(self.symbol_format)
            for prefix, value in texts:
                self.formats.append(RecordFormat("\n" + prefix, source))
                self.formats.append(RecordFormat(value, source, _zpl_text, _ZPL_FORBIDDEN))
                self.formats.append(RecordFormat("^FS", source))
            self.formats.append(RecordFormat("\n^XZ\n", source))
        except UnsafeText as exc:
            raise PrintTemplateUnsuitable(f"template {template.name}: {exc}") from None
        self.record = RecordFormat.join(self.formats)
        self.field = field

    def _dots(self, mm: float) -> int:
        return round(mm * self.dpi / MM_PER_INCH)

    def _qr(self, template: Template, source: LabelSource) -> tuple[str, _Box | None]:
        ecc = str(template.get("symbol.ecc", "M"))
        if ecc not in ("L", "M", "Q", "H"):
            raise PrintTemplateInvalid(f"template {template.name}: ^BQ needs ecc L/M/Q/H")
        module = max(1, self._dots(template.number("symbol.module_mm")))
        x, y = (
            self._dots(template.number("symbol.x_mm")),
            self._dots(template.number("symbol.y_mm")),
        )
        box = None
        if template.get("symbol.size_mm") is not None:
            side = self._dots(template.number("symbol.size_mm"))
            try:
                modules = byte_mode_side(len(source.alphabets("uri")), ecc) + 2 * QR_QUIET
            except QrTooLong as exc:
                raise PrintTemplateUnsuitable(str(exc)) from None
            module = min(module, (side - _BQ_DROP) // modules)
            least = max(1, self._dots(template.number("symbol.min_module_mm", 0.25)))
            if module < least:
                raise PrintTemplateUnsuitable(
                    f"template {template.name}: this batch's URI needs a QR of {modules}"
                    f" modules with its quiet zone, which does not fit {side} dots at"
                    f" {least} dots a module or more: use a larger label or a PDF template"
                )
            box = _Box(x, y, side, side)
            width, height = template.get("width_mm"), template.get("height_mm")
            if (
                width is not None
                and height is not None
                and (
                    x + side > self._dots(template.number("width_mm"))
                    or y + side > self._dots(template.number("height_mm"))
                )
            ):
                raise PrintTemplateInvalid(
                    f"template {template.name}: the symbol's square does not fit on the label"
                )
            x, y = x + QR_QUIET * module, y + QR_QUIET * module
        if module > 10:
            raise PrintTemplateInvalid(
                f"template {template.name}: ^BQ takes at most 10 dots a module"
            )
        return f"^FO{x},{y}^BQN,2,{module}^FD{ecc}A,{{uri}}^FS", box

    def _datamatrix(self, template: Template, source: LabelSource) -> tuple[str, _Box | None]:
        if "element" not in source.variable:
            raise PrintTemplateUnsuitable(
                f"template {template.name} prints GS1 element strings, which cannot carry"
                " the signature of signed codes: use a QR template"
            )
        module = max(1, self._dots(template.number("symbol.module_mm")))
        x, y = (
            self._dots(template.number("symbol.x_mm")),
            self._dots(template.number("symbol.y_mm")),
        )
        esc = _ZPL_ESCAPE
        return f"^FO{x},{y}^BXN,{module},200,0,0,6,{esc}^FD{esc}1{{element}}^FS", None

    def render(self, chunk: LabelChunk) -> Text:
        return self.record.render(chunk)  # written as is: no copy into a bytes object

    def emit(self, part: Any, sink: Sink) -> None:
        sink.write(part)


def _csv_quote_needed(text: str) -> bool:
    return any(c in text for c in ',"\r\n')


class CsvRenderer(Renderer):
    """One CSV row per code (RFC 4180, CRLF optional by template), the columns a coder
    imports; a header row names them."""

    chunk_size = 1 << 16
    # A label costs ~0.3 us to render and ~300 bytes to send back from a worker: the pool
    # (pickle + pipe, or even shared memory) measured slower than one process whose
    # sink hashes and writes from a second thread (docs/printing.md).
    pooled = False

    def __init__(self, template: Template, source: LabelSource) -> None:
        super().__init__(template, source)
        columns = template.get("columns")
        if not isinstance(columns, list) or not columns:
            raise PrintTemplateInvalid(f"template {template.name}: needs [[columns]]")
        sep = str(template.get("separator", ","))
        newline = "\r\n" if template.get("crlf", False) else "\n"
        header: list[str] = []
        parts: list[str] = []
        for col in columns:
            if not isinstance(col, dict) or not all(
                isinstance(col.get(k), str) for k in ("name", "value")
            ):
                raise PrintTemplateInvalid(
                    f"template {template.name}: each column needs a name and a value"
                )
            header.append(_quote(col["name"]))
            parts.append(col["value"])
        try:
            self.formats = []
            for i, text in enumerate(parts):
                value = text
                probe = RecordFormat(value, source, forbidden=b',"\r\n')
                consts = b"".join(p.const for p in probe.pieces if p.const is not None)
                quoted = _csv_quote_needed(consts.decode("ascii"))
                if quoted:
                    value = '"' + value + '"'
                escape = (lambda s: s.replace('"', '""')) if quoted else (lambda s: s)
                lead = sep if i else ""
                self.formats.append(RecordFormat(lead, source))
                self.formats.append(RecordFormat(value, source, escape, b',"\r\n'))
            self.formats.append(RecordFormat(newline, source))
        except UnsafeText as exc:
            raise PrintTemplateUnsuitable(f"template {template.name}: {exc}") from None
        self.header = (sep.join(header) + newline).encode("ascii")
        self.record = RecordFormat.join(self.formats)

    def start(self, sink: Sink) -> None:
        sink.write(self.header)

    def render(self, chunk: LabelChunk) -> Text:
        return self.record.render(chunk)  # written as is: no copy into a bytes object

    def emit(self, part: Any, sink: Sink) -> None:
        sink.write(part)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if _csv_quote_needed(text) else text
