"""A batch GS1 DataMatrix (ECC 200, ISO/IEC 16022) encoder, vectorised across codes.

Encodation is ASCII, chosen per batch so that every code has the same codeword layout:
the leading FNC1 (232) makes it GS1 DataMatrix, a GS in the element string becomes FNC1,
pairs of digits in the batch's CONSTANT part are packed into one codeword (130 + value),
and each character of the variable part (the serial) is one codeword (ASCII + 1), which
every reader decodes alike. Then come the pad codewords (129, then the 253-state
randomised pads), Reed-Solomon over GF(256)/0x12D with generator roots a^1..a^k,
interleaving for multi-block sizes, and module placement per ISO/IEC 16022 annex F. The
smallest square size that fits is used.

Like :mod:`.qr`, the per-code work is only the variable codewords, turned into modules
by :class:`~.linear.AffineSymbol`. Correctness is checked by decoding with zxing-cpp.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from veriseal.printing.gf256 import DATAMATRIX_POLY, field
from veriseal.printing.linear import AffineSymbol, Matrix
from veriseal.printing.qr import Alphabet

FNC1 = 232
GS = 0x1D
# Square ECC 200 sizes: (size, region size, regions per side, data cw, ecc cw, blocks).
_SIZES = (
    (10, 8, 1, 3, 5, 1), (12, 10, 1, 5, 7, 1), (14, 12, 1, 8, 10, 1), (16, 14, 1, 12, 12, 1),
    (18, 16, 1, 18, 14, 1), (20, 18, 1, 22, 18, 1), (22, 20, 1, 30, 20, 1),
    (24, 22, 1, 36, 24, 1), (26, 24, 1, 44, 28, 1), (32, 14, 2, 62, 36, 1),
    (36, 16, 2, 86, 42, 1), (40, 18, 2, 114, 48, 1), (44, 20, 2, 144, 56, 1),
    (48, 22, 2, 174, 68, 1), (52, 24, 2, 204, 84, 2), (64, 14, 4, 280, 112, 2),
    (72, 16, 4, 368, 144, 4), (80, 18, 4, 456, 192, 4), (88, 20, 4, 576, 224, 4),
    (96, 22, 4, 696, 272, 4), (104, 24, 4, 816, 336, 6),
)  # fmt: skip


class DataMatrixTooLong(ValueError):
    """The data does not fit a 104x104 symbol (larger sizes are not supported)."""


def _placement(nrow: int, ncol: int) -> npt.NDArray[np.int32]:
    """ISO/IEC 16022 annex F: for each module of the mapping matrix, 8 * codeword + bit
    (bit 0 = most significant), or -1 for the fixed corner pattern (dark) / -2 (light)."""
    return _Placer(nrow, ncol).run()


_FREE = -3  # a module no codeword has claimed yet


class _Placer:
    """Annex F's walk: diagonal sweeps placing 'utah'-shaped codewords, with the four
    special corner shapes where a sweep starts at the matrix edge."""

    def __init__(self, nrow: int, ncol: int) -> None:
        self.n, self.m = nrow, ncol
        self.grid = np.full((nrow, ncol), _FREE, dtype=np.int32)
        self.c = 0  # the next codeword to place
        n, m = nrow, ncol
        self.corners = (
            ((n - 1, 0), (n - 1, 1), (n - 1, 2), (0, m - 2), (0, m - 1), (1, m - 1),
             (2, m - 1), (3, m - 1)),
            ((n - 3, 0), (n - 2, 0), (n - 1, 0), (0, m - 4), (0, m - 3), (0, m - 2),
             (0, m - 1), (1, m - 1)),
            ((n - 3, 0), (n - 2, 0), (n - 1, 0), (0, m - 2), (0, m - 1), (1, m - 1),
             (2, m - 1), (3, m - 1)),
            ((n - 1, 0), (n - 1, m - 1), (0, m - 3), (0, m - 2), (0, m - 1), (1, m - 3),
             (1, m - 2), (1, m - 1)),
        )  # fmt: skip

    def run(self) -> npt.NDArray[np.int32]:
        """Place every codeword; the grid, with the fixed corner filled in if free."""
        n, m = self.n, self.m
        row, col = 4, 0
        while True:
            self._corners_at(row, col)
            row, col = self._sweep_up(row, col)
            row, col = self._sweep_down(row + 1, col + 3)
            row += 3
            col += 1
            if not (row < n or col < m):
                break
        grid = self.grid
        if grid[n - 1, m - 1] == _FREE:
            grid[n - 1, m - 1] = grid[n - 2, m - 2] = -1
            grid[n - 1, m - 2] = grid[n - 2, m - 1] = -2
        return grid

    def _corners_at(self, row: int, col: int) -> None:
        """The corner shapes annex F places before a sweep starting at (row, col)."""
        n, m = self.n, self.m
        if row == n and col == 0:
            self._corner(self.corners[0])
        if row == n - 2 and col == 0 and m % 4:
            self._corner(self.corners[1])
        if row == n - 2 and col == 0 and m % 8 == 4:
            self._corner(self.corners[2])
        if row == n + 4 and col == 2 and m % 8 == 0:
            self._corner(self.corners[3])

    def _sweep_up(self, row: int, col: int) -> tuple[int, int]:
        """Up and right from (row, col); where the sweep left the matrix."""
        while True:
            if row < self.n and col >= 0 and self.grid[row, col] == _FREE:
                self._utah(row, col)
            row -= 2
            col += 2
            if not (row >= 0 and col < self.m):
                return row, col

    def _sweep_down(self, row: int, col: int) -> tuple[int, int]:
        """Down and left from (row, col); where the sweep left the matrix."""
        while True:
            if row >= 0 and col < self.m and self.grid[row, col] == _FREE:
                self._utah(row, col)
            row += 2
            col -= 2
            if not (row < self.n and col >= 0):
                return row, col

    def _module(self, row: int, col: int, bit: int) -> None:
        """One bit of the current codeword; negative positions wrap around the edges."""
        if row < 0:
            row += self.n
            col += 4 - ((self.n + 4) % 8)
        if col < 0:
            col += self.m
            row += 4 - ((self.m + 4) % 8)
        self.grid[row, col] = 8 * self.c + bit

    def _utah(self, row: int, col: int) -> None:
        """The current codeword in the standard shape ending at (row, col)."""
        for bit, (dr, dc) in enumerate(((-2, -2), (-2, -1), (-1, -2), (-1, -1), (-1, 0),
                                        (0, -2), (0, -1), (0, 0))):  # fmt: skip
            self._module(row + dr, col + dc, bit)
        self.c += 1

    def _corner(self, cells: Sequence[tuple[int, int]]) -> None:
        """The current codeword in one of the corner shapes."""
        for bit, (r, k) in enumerate(cells):
            self._module(r, k, bit)
        self.c += 1


def _pad(position: int) -> int:
    """The randomised pad codeword at 1-based ``position`` (after the first pad, 129)."""
    value = 129 + (149 * position) % 253 + 1
    return value - 254 if value > 254 else value


class DataMatrixPlan:
    """How every element string of a batch becomes a GS1 DataMatrix symbol.

    ``alphabets[i]`` is the set of byte values column ``i`` of the raw element string can
    hold (a GS, 0x1D, stands for FNC1). Rows passed to :meth:`encode` MUST be ASCII.
    """

    def __init__(self, alphabets: Sequence[Alphabet]) -> None:
        self.length = len(alphabets)
        template: list[int] = [FNC1]
        # (codeword index, column) of the codewords that vary: one per varying column
        self._var_columns: list[tuple[int, int]] = []
        i = 0
        while i < self.length:
            a = alphabets[i]
            if len(a) > 1:
                self._var_columns.append((len(template), i))
                template.append(min(a) + 1)
                i += 1
                continue
            ch = next(iter(a))
            nxt = alphabets[i + 1] if i + 1 < self.length else frozenset()
            if 48 <= ch <= 57 and len(nxt) == 1 and 48 <= next(iter(nxt)) <= 57:
                template.append(130 + (ch - 48) * 10 + next(iter(nxt)) - 48)
                i += 2
            else:
                template.append(FNC1 if ch == GS else ch + 1)
                i += 1
        used = len(template)
        spec = next((s for s in _SIZES if s[3] >= used), None)
        if spec is None:
            raise DataMatrixTooLong(f"{used} codewords do not fit a 104x104 DataMatrix")
        self.size, self._region, self._regions, self._data, self._ecc, self._blocks = spec
        if used < self._data:
            template.append(129)
            template.extend(_pad(p) for p in range(used + 2, self._data + 1))
        mapping = self._region * self._regions
        self._grid = _placement(mapping, mapping)
        self._symbol = AffineSymbol(self.render, template, [c for c, _ in self._var_columns])
        self._columns = [col for _, col in self._var_columns]

    def render(self, data_codewords: Sequence[int]) -> Matrix:
        """The module matrix (True = dark, no quiet zone) of one list of data codewords."""
        gf = field(DATAMATRIX_POLY)
        blocks = self._blocks
        per_block = self._ecc // blocks
        gen = gf.generator(per_block, 1)
        stream = list(data_codewords) + [0] * self._ecc
        for b in range(blocks):
            parity = gf.parity(data_codewords[b::blocks], gen)
            for j, value in enumerate(parity):
                stream[self._data + b + j * blocks] = value
        bits = np.unpackbits(np.array(stream, dtype=np.uint8)).astype(np.bool_)
        grid = self._grid
        mapping: Matrix = np.where(grid >= 0, bits[np.maximum(grid, 0)], grid == -1)
        r, k = self._region, self._regions
        out = np.zeros((self.size, self.size), dtype=np.bool_)
        for by in range(k):
            for bx in range(k):
                top, left = by * (r + 2), bx * (r + 2)
                out[top + 1 : top + 1 + r, left + 1 : left + 1 + r] = mapping[
                    by * r : (by + 1) * r, bx * r : (bx + 1) * r
                ]
                out[top + r + 1, left : left + r + 2] = True  # solid bottom edge
                out[top : top + r + 2, left] = True  # solid left edge
                out[top, left : left + r + 2 : 2] = True  # dotted top edge
                out[top + 1 : top + r + 2 : 2, left + r + 1] = True  # dotted right edge
        return out

    def encode(self, data: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
        """Packed symbols of the rows of ``data`` ``(n, length)`` (see :meth:`modules`)."""
        if data.shape[1] != self.length:
            raise ValueError(f"expected rows of {self.length} bytes, got {data.shape[1]}")
        variable = data[:, self._columns]
        if variable.max(initial=0) > 127:
            raise ValueError("DataMatrix ASCII encodation needs ASCII data")
        return self._symbol.encode(variable + np.uint8(1))

    def modules(self, data: npt.NDArray[np.uint8]) -> Matrix:
        """``(n, size, size)`` booleans, True = dark, no quiet zone."""
        return self._symbol.unpack(self.encode(data))
