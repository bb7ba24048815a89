"""ZPL II thermal labels and variable-data CSV for industrial coders: fixed-width text
records assembled column-wise (see :mod:`.textfmt`), one per code."""

from __future__ import annotations

from typing import Any

from veriseal.printing.errors import PrintTemplateInvalid, PrintTemplateUnsuitable
from veriseal.printing.records import LabelChunk, LabelSource, Text
from veriseal.printing.render_base import Renderer, Sink
from veriseal.printing.templates import Template
from veriseal.printing.textfmt import RecordFormat, UnsafeText

MM_PER_INCH = 25.4
ZPL_DPI = (203, 300, 600)
_ZPL_ESCAPE = "_"  # ^BX escape character: _1 is FNC1


def _zpl_text(text: str) -> str:
    """Constant text inside ^FD..^FS: ^ and ~ would start ZPL commands."""
    if "^" in text or "~" in text:
        raise PrintTemplateUnsuitable(f"{text!r}: ZPL field data cannot hold ^ or ~")
    return text


def _zpl_element(text: str) -> str:
    """Constant parts of a GS1 element string for ^BX with escape '_': GS -> _1 (FNC1)."""
    if _ZPL_ESCAPE in text:
        raise PrintTemplateUnsuitable(
            f"{text!r}: '_' is the ZPL DataMatrix escape character and cannot be printed"
        )
    return _zpl_text(text).replace("\x1d", _ZPL_ESCAPE + "1")


class ZplRenderer(Renderer):
    """One ``^XA..^XZ`` label per code: a QR (``^BQ``, the URI) or GS1 DataMatrix
    (``^BX``, the element string) and text lines, laid out in mm and converted to dots at
    the template's ``dpi``."""

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

        def dots(key: str, default: float | None = None) -> int:
            return round(template.number(key, default) * dpi / MM_PER_INCH)

        module = max(1, dots("symbol.module_mm"))
        x, y = dots("symbol.x_mm"), dots("symbol.y_mm")
        kind = template.get("symbol.type", "qr")
        if kind == "qr":
            ecc = str(template.get("symbol.ecc", "M"))
            if ecc not in ("L", "M", "Q", "H") or module > 10:
                raise PrintTemplateInvalid(
                    f"template {template.name}: ^BQ needs ecc L/M/Q/H and at most 10 dots a module"
                )
            # ^BQ's origin sits ~10 dots above the ^FO point on most printers; layouts
            # leave room for it in y_mm.
            sym = f"^FO{x},{y}^BQN,2,{module}^FD{ecc}A,{{uri}}^FS"
            field, escape = "uri", _zpl_text
        elif kind == "datamatrix":
            if "element" not in source.variable:
                raise PrintTemplateUnsuitable(
                    f"template {template.name} prints GS1 element strings, which cannot carry"
                    " the signature of signed codes: use a QR template"
                )
            sym = f"^FO{x},{y}^BXN,{module},200,0,0,6,{_ZPL_ESCAPE}^FD{_ZPL_ESCAPE}1{{element}}^FS"
            field, escape = "element", _zpl_element
        else:
            raise PrintTemplateInvalid(f"template {template.name}: symbol.type is qr or datamatrix")
        texts = []
        for line in template.get("text", []):
            if not isinstance(line, dict) or not isinstance(line.get("value"), str):
                raise PrintTemplateInvalid(f"template {template.name}: [[text]] needs a value")
            h = max(10, round(float(line.get("height_mm", 2.5)) * dpi / MM_PER_INCH))
            tx = round(float(line.get("x_mm", 0)) * dpi / MM_PER_INCH)
            ty = round(float(line.get("y_mm", 0)) * dpi / MM_PER_INCH)
            texts.append((f"^FO{tx},{ty}^A0N,{h},{h}^FD", line["value"]))
        head = (
            f"^XA^CI0^PW{dots('width_mm')}^LL{dots('height_mm')}^LH0,0\n"
            if template.get("width_mm") is not None
            else "^XA\n"
        )
        try:
            self.symbol_format = RecordFormat(sym, source, escape, b"^~")
            self.formats = [RecordFormat(head, source)]
            self.formats.append(self.symbol_format)
            for prefix, value in texts:
                self.formats.append(RecordFormat("\n" + prefix, source))
                self.formats.append(RecordFormat(value, source, _zpl_text, b"^~"))
                self.formats.append(RecordFormat("^FS", source))
            self.formats.append(RecordFormat("\n^XZ\n", source))
        except UnsafeText as exc:
            raise PrintTemplateUnsuitable(f"template {template.name}: {exc}") from None
        self.record = RecordFormat.join(self.formats)
        self.field = field

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
