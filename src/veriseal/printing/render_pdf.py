"""N-up label sheets as PDF (A4, Letter or any size): vector symbols drawn as filled
rectangles (one per horizontal run of dark modules, in module units under a per-label
``cm`` transform), human-readable lines in Helvetica, an optional scratch-off PIN box.

Per chunk, the rectangles of every symbol are formatted at once as fixed-width numbers
(numpy), each page's content is assembled from per-label slices and zlib-compressed in
the worker; the parent only streams finished pages (:mod:`.pdfwriter`).
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from veriseal.printing.errors import PrintTemplateInvalid, PrintTemplateUnsuitable
from veriseal.printing.pdfwriter import PdfWriter
from veriseal.printing.records import LabelChunk, LabelSource
from veriseal.printing.render_base import Renderer, Sink
from veriseal.printing.symbols import number_table, runs, symbol_for
from veriseal.printing.templates import Template
from veriseal.printing.textfmt import RecordFormat, UnsafeText, says_nothing

PT_PER_MM = 72 / 25.4
PAGE_SIZES_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}


def _pdf_text(text: str) -> str:
    """A PDF literal string's content: backslash and parentheses escaped; WinAnsi only."""
    if not text.isascii():
        raise PrintTemplateUnsuitable(f"{text!r}: label text must be ASCII for Helvetica")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


class PdfRenderer(Renderer):
    def __init__(self, template: Template, source: LabelSource) -> None:  # noqa: PLR0915
        super().__init__(template, source)
        t = template
        size = t.get("page.size", "A4")
        if size in PAGE_SIZES_MM:
            page_w, page_h = PAGE_SIZES_MM[size]
        else:
            page_w, page_h = t.number("page.width_mm"), t.number("page.height_mm")
        self.page_w, self.page_h = page_w * PT_PER_MM, page_h * PT_PER_MM
        cols, rows = int(t.number("page.columns")), int(t.number("page.rows"))
        label_w, label_h = t.number("label.width_mm"), t.number("label.height_mm")
        gap_x, gap_y = t.number("page.gap_x_mm", 0), t.number("page.gap_y_mm", 0)
        grid_w = cols * label_w + (cols - 1) * gap_x
        grid_h = rows * label_h + (rows - 1) * gap_y
        left = t.number("page.margin_left_mm", (page_w - grid_w) / 2)
        top = t.number("page.margin_top_mm", (page_h - grid_h) / 2)
        if cols < 1 or rows < 1 or left < 0 or top < 0 or left + grid_w > page_w + 0.01:
            raise PrintTemplateInvalid(f"template {t.name}: the labels do not fit the page")
        self.per_page = cols * rows
        self.chunk_size = self.per_page * max(1, 4096 // self.per_page)
        self.symbol = symbol_for(t, source)
        modules = self.symbol.size
        sym_mm = t.number("label.symbol.size_mm")
        scale = sym_mm * PT_PER_MM / modules
        sx_mm, sy_mm = t.number("label.symbol.x_mm"), t.number("label.symbol.y_mm")
        tx_mm, ty_mm = t.number("label.text.x_mm"), t.number("label.text.y_mm")
        font = t.number("label.text.size_pt", 7)
        leading = t.number("label.text.leading_mm", 3.5) * PT_PER_MM
        lines = t.get("label.text.lines", [])
        if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
            raise PrintTemplateInvalid(f"template {t.name}: label.text.lines is a list of text")
        lines = [line for line in lines if not says_nothing(line, source)]
        self.pin = source.has("pin") and "pin" in source.variable and t.get("label.pin")
        # Per slot (label position on the page): the fixed bytes around the variable text.
        self.heads: list[bytes] = []
        self.text_heads: list[bytes] = []
        self.pin_heads: list[bytes] = []
        for slot in range(self.per_page):
            r, c = divmod(slot, cols)
            x0 = (left + c * (label_w + gap_x)) * PT_PER_MM
            y_top = self.page_h - (top + r * (label_h + gap_y)) * PT_PER_MM
            sx = x0 + sx_mm * PT_PER_MM
            sy = y_top - (sy_mm + sym_mm) * PT_PER_MM
            self.heads.append(f"q {scale:.5f} 0 0 {scale:.5f} {sx:.3f} {sy:.3f} cm\n".encode())
            tx, ty = x0 + tx_mm * PT_PER_MM, y_top - ty_mm * PT_PER_MM
            self.text_heads.append(
                f"BT /F1 {font:g} Tf {leading:.2f} TL {tx:.2f} {ty:.2f} Td ".encode()
            )
            if self.pin:
                px, py = x0 + t.number("label.pin.x_mm") * PT_PER_MM, y_top
                pw = t.number("label.pin.width_mm") * PT_PER_MM
                ph = t.number("label.pin.height_mm") * PT_PER_MM
                py -= t.number("label.pin.y_mm") * PT_PER_MM + ph
                pf = t.number("label.pin.size_pt", 9)
                self.pin_heads.append(
                    f"q 0.85 g {px:.2f} {py:.2f} {pw:.2f} {ph:.2f} re f Q\n"
                    f"BT /F1 5 Tf {px + 1.5:.2f} {py + ph - 6:.2f} Td (Scratch for PIN) Tj ET\n"
                    f"BT /F2 {pf:g} Tf {px + 1.5:.2f} {py + 2.5:.2f} Td (".encode()
                )
        try:
            body = " T* ".join(f"({_pdf_escape_fields(line)}) Tj" for line in lines)
            self.text = RecordFormat(body + " ET\n", source, _pdf_text, b"()\\")
            self.pin_text = RecordFormat("{pin}) Tj ET\n", source) if self.pin else None
        except UnsafeText as exc:
            raise PrintTemplateUnsuitable(f"template {t.name}: {exc}") from None
        width = len(str(modules))
        self.numbers = number_table(modules, width)
        self.size = modules

    def start(self, sink: Sink) -> None:
        self.writer = PdfWriter(sink.write, self.page_w, self.page_h)

    def render(self, chunk: LabelChunk) -> list[bytes]:
        """Compressed content streams of the chunk's pages (chunks start on a page)."""
        mods = self.symbol.modules(chunk)
        r = runs(mods)
        nums = self.numbers
        k = nums.shape[1]
        rec = np.empty((r.col.size, 3 * k + 8), dtype=np.uint8)
        rec[:, 0:k] = nums[r.col]
        rec[:, k] = 32
        rec[:, k + 1 : 2 * k + 1] = nums[self.size - 1 - r.row]
        rec[:, 2 * k + 1] = 32
        rec[:, 2 * k + 2 : 3 * k + 2] = nums[r.length]
        rec[:, 3 * k + 2 :] = np.frombuffer(b" 1 re\n", dtype=np.uint8)
        rect_bytes = rec.tobytes()
        rw = rec.shape[1]
        texts = self.text.render(chunk)
        pins = self.pin_text.render(chunk) if self.pin_text is not None else None
        offsets = r.offsets
        pages: list[bytes] = []
        for p0 in range(0, chunk.n, self.per_page):
            parts: list[bytes] = []
            for i in range(p0, min(chunk.n, p0 + self.per_page)):
                slot = i - p0
                parts.append(self.heads[slot])
                parts.append(rect_bytes[offsets[i] * rw : offsets[i + 1] * rw])
                parts.append(b"f Q\n")
                parts.append(self.text_heads[slot])
                parts.append(texts[i].tobytes())
                if pins is not None:
                    parts.append(self.pin_heads[slot])
                    parts.append(pins[i].tobytes())
            pages.append(zlib.compress(b"".join(parts), 6))
        return pages

    def emit(self, part: Any, sink: Sink) -> None:
        for page in part:
            self.writer.page(page)

    def finish(self, sink: Sink) -> None:
        self.writer.close()


def _pdf_escape_fields(line: str) -> str:
    """Literal text of a line (not its fields) escaped for a PDF string."""
    out = []
    depth = 0
    for ch in line:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        out.append(_pdf_text(ch) if depth == 0 and ch not in "{}" else ch)
    return "".join(out)
