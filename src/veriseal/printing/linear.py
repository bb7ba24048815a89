"""Symbols as affine maps of their variable codewords: the trick behind batch speed.

For a fixed symbol plan (QR version, ECC level and mask; or a DataMatrix size), every step
from data codewords to dark modules is affine over GF(2): Reed-Solomon parity is linear,
interleaving and module placement are permutations, and masking and function patterns add
constants. So, with ``c`` the constant codewords of a batch and ``v_i`` the variable
ones (the serial's)::

    modules(c, v) = modules(c, 0) XOR  XOR_i  contribution_i(v_i)

and ``contribution_i`` is itself linear in the 8 bits of ``v_i``. This module turns any
scalar symbol renderer (called ``1 + 8 * len(variable)`` times per plan) into per-position
tables of 256 packed bit rows, so encoding ``n`` codes is ``len(variable)`` table
gathers and XORs over ``(n, words)`` uint64 arrays: no per-code Python, and bit-exact with
the scalar renderer by construction (the tests also compare against segno and decode with
a real reader).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.bool_]
Render = Callable[[Sequence[int]], Matrix]


def _pack(matrix: Matrix, words: int) -> npt.NDArray[np.uint64]:
    raw = np.packbits(matrix.reshape(-1))
    padded = np.zeros(words * 8, dtype=np.uint8)
    padded[: raw.size] = raw
    return padded.view(np.uint64)


class AffineSymbol:
    """Encodes many symbols that differ only in the codewords at ``variable``.

    ``render(codewords)`` MUST be affine in the variable codewords (true for QR with a fixed
    mask and for DataMatrix); ``template`` gives the constant codewords (its values at the
    variable positions are ignored).
    """

    def __init__(self, render: Render, template: Sequence[int], variable: Sequence[int]) -> None:
        zero = list(template)
        for pos in variable:
            zero[pos] = 0
        base = render(zero)
        self.shape: tuple[int, int] = (int(base.shape[0]), int(base.shape[1]))
        self.words = -(-base.size // 64)
        self.base = _pack(base, self.words)
        self.variable = tuple(variable)
        values = np.arange(256)
        self.tables = np.zeros((len(variable), 256, self.words), dtype=np.uint64)
        for vi, pos in enumerate(variable):
            for bit in range(8):
                probe = list(zero)
                probe[pos] = 1 << bit
                delta = _pack(render(probe) ^ base, self.words)
                self.tables[vi, ((values >> bit) & 1).astype(bool)] ^= delta

    def encode(self, variable_codewords: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
        """Packed module bits ``(n, words)`` of the symbols whose variable codewords are the
        rows of ``variable_codewords`` ``(n, len(variable))``."""
        n = variable_codewords.shape[0]
        out = np.empty((n, self.words), dtype=np.uint64)
        out[:] = self.base
        for vi in range(len(self.variable)):
            out ^= self.tables[vi][variable_codewords[:, vi]]
        return out

    def unpack(self, packed: npt.NDArray[np.uint64]) -> Matrix:
        """``(n, rows, cols)`` booleans, True = dark, from :meth:`encode`'s output."""
        rows, cols = self.shape
        bits = np.unpackbits(packed.view(np.uint8), axis=1, count=rows * cols)
        return bits.reshape(-1, rows, cols).view(np.bool_)
