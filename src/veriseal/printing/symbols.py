"""Choosing a symbol plan for a template and a source, and vector drawing helpers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from veriseal.printing.datamatrix import DataMatrixPlan, DataMatrixTooLong
from veriseal.printing.errors import PrintTemplateInvalid, PrintTemplateUnsuitable
from veriseal.printing.linear import Matrix
from veriseal.printing.qr import QrPlan, QrTooLong
from veriseal.printing.records import LabelChunk, LabelSource
from veriseal.printing.templates import Template


class SymbolKind(StrEnum):
    """The 2D symbols a label template can print (its ``symbol`` / ``symbol.type``)."""

    QR = "qr"  # encodes the full URI
    DATAMATRIX = "datamatrix"  # encodes the GS1 element string


SYMBOLS = tuple(SymbolKind)


@dataclass
class Symbol:
    """A batch's symbol plan and the field it encodes (QR: the URI; DataMatrix: the GS1
    element string)."""

    kind: SymbolKind
    field: str
    plan: QrPlan | DataMatrixPlan
    quiet: int  # quiet zone in modules (QR 4, DataMatrix 1 per the standards; more is fine)

    @property
    def size(self) -> int:
        return self.plan.size

    def modules(self, chunk: LabelChunk) -> Matrix:
        return self.plan.modules(np.ascontiguousarray(chunk.field(self.field)))


def symbol_for(template: Template, source: LabelSource) -> Symbol:
    kind = template.get("symbol", SymbolKind.QR)
    if kind not in SYMBOLS:
        raise PrintTemplateInvalid(f"template {template.name}: symbol must be qr or datamatrix")
    if kind == SymbolKind.DATAMATRIX:
        if "element" not in source.variable:
            raise PrintTemplateUnsuitable(
                f"template {template.name} prints GS1 element strings, which cannot carry the"
                " signature of signed codes: use a QR template (it encodes the full URI)"
            )
        try:
            plan: QrPlan | DataMatrixPlan = DataMatrixPlan(source.alphabets("element"))
        except DataMatrixTooLong as exc:
            raise PrintTemplateUnsuitable(str(exc)) from None
        return Symbol(SymbolKind.DATAMATRIX, "element", plan, int(template.get("quiet_modules", 2)))
    ecc = str(template.get("ecc", "M"))
    if ecc not in ("L", "M", "Q", "H"):
        raise PrintTemplateInvalid(f"template {template.name}: ecc must be L, M, Q or H")
    alphabets = source.alphabets("uri")
    first = next(iter(source.chunks(0, 1)))
    try:
        plan = QrPlan(alphabets, ecc, sample=first.field("uri")[0].tobytes())
    except QrTooLong as exc:
        raise PrintTemplateUnsuitable(str(exc)) from None
    return Symbol(SymbolKind.QR, "uri", plan, int(template.get("quiet_modules", 4)))


@dataclass
class Runs:
    """Horizontal runs of dark modules of ``n`` symbols, ordered by symbol, row, column."""

    symbol: npt.NDArray[np.intp]
    row: npt.NDArray[np.intp]
    col: npt.NDArray[np.intp]
    length: npt.NDArray[np.intp]
    offsets: npt.NDArray[np.intp]  # runs of symbol i are offsets[i]:offsets[i+1]


def runs(modules: Matrix) -> Runs:
    n, rows, cols = modules.shape
    padded = np.zeros((n, rows, cols + 2), dtype=np.int8)
    padded[:, :, 1:-1] = modules
    edges = np.diff(padded, axis=2)
    s_sym, s_row, s_col = np.nonzero(edges == 1)
    _, _, e_col = np.nonzero(edges == -1)
    counts = np.bincount(s_sym, minlength=n)
    offsets = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(counts, out=offsets[1:])
    return Runs(s_sym, s_row, s_col, e_col - s_col, offsets)


def number_table(limit: int, width: int) -> npt.NDArray[np.uint8]:
    """Right-aligned ASCII of 0..limit, ``width`` characters each (PDF/SVG numbers)."""
    text = "".join(str(i).rjust(width) for i in range(limit + 1)).encode("ascii")
    return np.frombuffer(text, dtype=np.uint8).reshape(limit + 1, width)
