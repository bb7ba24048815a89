"""Arithmetic in GF(2^8) and Reed-Solomon parity, for QR (poly 0x11D) and DataMatrix
(poly 0x12D). Scalar on purpose: it runs a few hundred times per batch, when a symbol
plan is built (see :mod:`.linear`), never once per code.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache


class Field:
    """GF(256) with the given primitive polynomial (generator element 2)."""

    def __init__(self, poly: int) -> None:
        self.exp = [0] * 512
        self.log = [0] * 256
        x = 1
        for i in range(255):
            self.exp[i] = x
            self.log[x] = i
            x <<= 1
            if x & 0x100:
                x ^= poly
        for i in range(255, 512):
            self.exp[i] = self.exp[i - 255]

    def mul(self, a: int, b: int) -> int:
        if a == 0 or b == 0:
            return 0
        return self.exp[self.log[a] + self.log[b]]

    def generator(self, degree: int, first_root: int) -> list[int]:
        """Coefficients (highest degree first, leading 1 dropped) of
        prod_{i=0}^{degree-1} (x - a^(first_root + i))."""
        poly = [1]
        for i in range(degree):
            root = self.exp[(first_root + i) % 255]
            nxt = [0] * (len(poly) + 1)
            for j, c in enumerate(poly):
                nxt[j] ^= c
                nxt[j + 1] ^= self.mul(c, root)
            poly = nxt
        return poly[1:]

    def parity(self, data: Sequence[int], gen: Sequence[int]) -> list[int]:
        """The remainder of data(x) * x^deg divided by the generator: the RS parity."""
        rem = [0] * len(gen)
        for byte in data:
            factor = byte ^ rem[0]
            rem = [*rem[1:], 0]
            if factor:
                for i, g in enumerate(gen):
                    rem[i] ^= self.mul(g, factor)
        return rem


@lru_cache(maxsize=2)
def field(poly: int) -> Field:
    return Field(poly)


QR_POLY = 0x11D
DATAMATRIX_POLY = 0x12D
