"""Fixed-width text records assembled column-wise: ZPL labels, CSV rows, PDF text runs.

A format string such as ``"^FO40,40^FD{serial}^FS"`` is compiled against a
:class:`~.records.LabelSource`: literal text and constant fields become constant bytes,
variable fields become column slices. Since every field of a source has one width, every
record has the same length, so a chunk of records is one ``(n, width)`` byte matrix
filled by a handful of numpy slice assignments: no per-label Python.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from veriseal.printing.records import LabelChunk, LabelSource, Text


class UnsafeText(ValueError):
    """A field could hold a character the output format cannot carry."""


@dataclass(frozen=True)
class _Piece:
    at: int
    width: int
    const: bytes | None  # None: columns col..col+width of a variable field
    name: str = ""
    col: int = 0


class RecordFormat:
    """A compiled format string. ``escape`` maps constant text (literals, constant fields
    and the constant columns of variable fields, such as an element string's GS) into the
    output syntax; ``forbidden`` lists bytes a varying column must never hold (checked
    once, on the source's alphabets). ``extra`` adds constant fields of the caller's."""

    def __init__(
        self,
        fmt: str,
        source: LabelSource,
        escape: Callable[[str], str] = lambda s: s,
        forbidden: bytes = b"",
        extra: dict[str, str] | None = None,
    ) -> None:
        self.pieces: list[_Piece] = []
        at = 0
        consts = extra or {}
        for literal, name, spec, conv in string.Formatter().parse(fmt):
            if literal:
                at = self._const(at, literal.encode("ascii"))
            if name is None:
                continue
            if spec or conv:
                raise UnsafeText(f"field {{{name}}}: format specs are not supported")
            if name in consts:
                at = self._const(at, consts[name].encode("ascii"))
            elif name in source.constant:
                at = self._const(at, escape(source.constant[name]).encode("ascii"))
            elif name in source.variable:
                at = self._variable(at, name, source.variable[name], escape, forbidden)
            else:
                raise UnsafeText(f"unknown field {{{name}}}")
        self.width = at

    pieces: list[_Piece]
    width: int

    def _const(self, at: int, raw: bytes) -> int:
        if raw:
            self.pieces.append(_Piece(at, len(raw), raw))
        return at + len(raw)

    def _variable(
        self, at: int, name: str, alphabets: list[frozenset[int]],
        escape: Callable[[str], str], forbidden: bytes,
    ) -> int:  # fmt: skip
        col = 0
        while col < len(alphabets):
            end = col
            fixed = len(alphabets[col]) == 1
            while end < len(alphabets) and (len(alphabets[end]) == 1) == fixed:
                end += 1
            if fixed:
                text = bytes(next(iter(a)) for a in alphabets[col:end]).decode("ascii")
                at = self._const(at, escape(text).encode("ascii"))
            else:
                bad = {b for a in alphabets[col:end] for b in a} & set(forbidden)
                if bad:
                    raise UnsafeText(f"field {{{name}}} may hold {bytes(sorted(bad))!r}")
                self.pieces.append(_Piece(at, end - col, None, name, col))
                at += end - col
            col = end
        return at

    @classmethod
    def join(cls, formats: list[RecordFormat]) -> RecordFormat:
        """One format writing ``formats`` one after the other (each keeps its escaping)."""
        joined = cls.__new__(cls)
        joined.pieces = []
        at = 0
        for fmt in formats:
            joined.pieces += [
                _Piece(p.at + at, p.width, p.const, p.name, p.col) for p in fmt.pieces
            ]
            at += fmt.width
        joined.width = at
        return joined

    def render(self, chunk: LabelChunk) -> Text:
        """``(n, width)`` bytes: one record per row. The constant bytes are laid down as
        one whole row broadcast (a contiguous copy), then only the variable columns are
        written: column-band writes are strided, so they are kept to the few that vary."""
        row = np.zeros(self.width, dtype=np.uint8)
        for p in self.pieces:
            if p.const is not None:
                row[p.at : p.at + p.width] = np.frombuffer(p.const, dtype=np.uint8)
        out = np.empty((chunk.n, self.width), dtype=np.uint8)
        out[:] = row
        for p in self.pieces:
            if p.const is None:
                out[:, p.at : p.at + p.width] = chunk.field(p.name)[:, p.col : p.col + p.width]
        return out


def fields_of(fmt: str) -> list[str]:
    """The field names ``fmt`` refers to, in order."""
    return [name for _, name, _, _ in string.Formatter().parse(fmt) if name is not None]


def says_nothing(fmt: str, source: LabelSource) -> bool:
    """True when ``fmt`` refers to fields and every one of them is empty on every record
    of ``source``: such a human-readable line would print only its caption (an empty
    ``(17)`` or ``EXP`` for a product without shelf life), so renderers leave it out."""
    names = fields_of(fmt)
    return bool(names) and all(source.constant.get(name) == "" for name in names)
