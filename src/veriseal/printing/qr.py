"""A batch QR Code encoder (ISO/IEC 18004, model 2), vectorised across codes.

Every URI of a batch has the same length and the same characters outside the serial, so
a :class:`QrPlan` fixes, once per batch: the mode segmentation (optimal over what each
column CAN hold: a serial column is always alphanumeric, the host always byte mode), the
version (the smallest that fits), the ECC level (from the template) and the mask (the one
segno's penalty rule picks for the first code). Per code only the data bits differ; they
are assembled column-wise with numpy and turned into modules through
:class:`~.linear.AffineSymbol` (Reed-Solomon, interleaving, placement and masking folded
into per-codeword tables).

The result is bit-exact with segno for the same segments, version, ECC level and mask
(``tests/printing/test_qr.py`` checks this on random inputs with hypothesis).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from veriseal.printing.gf256 import QR_POLY, field
from veriseal.printing.linear import AffineSymbol, Matrix

ECC_LEVELS = "LMQH"
# Tables from ISO/IEC 18004 table 9, indexed [level][version] (index 0 unused).
_ECC_PER_BLOCK = (
    (-1, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
     28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
    (-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
     26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28),
    (-1, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
     28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
    (-1, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
     30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
)  # fmt: skip
_BLOCKS = (
    (-1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12,
     12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25),
    (-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20,
     21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49),
    (-1, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25,
     27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68),
    (-1, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30,
     32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81),
)  # fmt: skip
_FORMAT_LEVEL = {"L": 1, "M": 0, "Q": 3, "H": 2}

NUMERIC, ALPHANUMERIC, BYTE = 1, 2, 4  # mode indicators (also segno's mode constants)
_MODES = (NUMERIC, ALPHANUMERIC, BYTE)
_CC_BITS = {NUMERIC: (10, 12, 14), ALPHANUMERIC: (9, 11, 13), BYTE: (8, 16, 16)}
ALNUM_CHARS = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_ALNUM_VALUE = np.full(256, 255, dtype=np.uint16)
_ALNUM_VALUE[np.frombuffer(ALNUM_CHARS, dtype=np.uint8)] = np.arange(45, dtype=np.uint16)
_CHARSETS = {
    NUMERIC: frozenset(b"0123456789"),
    ALPHANUMERIC: frozenset(ALNUM_CHARS),
    BYTE: frozenset(range(256)),
}

#: What one column of a batch's data can hold: the set of byte values.
Alphabet = frozenset[int]


class QrTooLong(ValueError):
    """The data does not fit a version-40 symbol at the requested ECC level."""


def _group(version: int) -> int:
    return 0 if version <= 9 else (1 if version <= 26 else 2)


def raw_codewords(version: int) -> int:
    """All codewords (data + ECC) of a version: its non-function modules / 8."""
    bits = (16 * version + 128) * version + 64
    if version >= 2:
        align = version // 7 + 2
        bits -= (25 * align - 10) * align - 55
        if version >= 7:
            bits -= 36
    return bits // 8


def data_codewords(version: int, ecc: str) -> int:
    lv = ECC_LEVELS.index(ecc)
    return raw_codewords(version) - _ECC_PER_BLOCK[lv][version] * _BLOCKS[lv][version]


def _segment_bits(mode: int, count: int) -> int:
    if mode == NUMERIC:
        return 10 * (count // 3) + (0, 4, 7)[count % 3]
    if mode == ALPHANUMERIC:
        return 11 * (count // 2) + 6 * (count % 2)
    return 8 * count


def byte_mode_side(length: int, ecc: str) -> int:
    """Modules per side of the smallest QR symbol holding ``length`` bytes as ONE byte-mode
    segment at level ``ecc``: what a printer's own encoder makes of a URI with lower-case
    letters (ZPL ``^BQ`` automatic mode), and an upper bound for any smarter one. Raises
    :class:`QrTooLong` past version 40."""
    for version in range(1, 41):
        bits = 4 + _CC_BITS[BYTE][_group(version)] + 8 * length
        if bits <= 8 * data_codewords(version, ecc):
            return 17 + 4 * version
    raise QrTooLong(f"{length} bytes do not fit a QR symbol at ECC level {ecc}")


@dataclass(frozen=True)
class Segment:
    mode: int
    start: int  # first column
    stop: int  # one past the last column


def segment(alphabets: Sequence[Alphabet], group: int) -> tuple[int, list[Segment]]:
    """An optimal segmentation (fewest bits) for columns with these alphabets, in the
    character-count widths of version group ``group`` (0: 1-9, 1: 10-26, 2: 27-40)."""
    n = len(alphabets)
    allowed = {m: [a <= _CHARSETS[m] for a in alphabets] for m in _MODES}
    best: list[tuple[int, int, int]] = [(0, -1, 0)] + [(1 << 30, -1, 0)] * n
    for j in range(1, n + 1):
        for mode in _MODES:
            cc = _CC_BITS[mode][group]
            limit = (1 << cc) - 1
            for i in range(j - 1, -1, -1):
                if not allowed[mode][i] or j - i > limit:
                    break
                cost = best[i][0] + 4 + cc + _segment_bits(mode, j - i)
                if cost < best[j][0]:
                    best[j] = (cost, i, mode)
    segments: list[Segment] = []
    j = n
    while j > 0:
        _, i, mode = best[j]
        segments.append(Segment(mode, i, j))
        j = i
    segments.reverse()
    return best[n][0], segments


# -- the symbol's fixed parts ------------------------------------------------------------


def _alignment_positions(version: int) -> list[int]:
    if version == 1:
        return []
    count = version // 7 + 2
    size = version * 4 + 17
    step = (version * 8 + count * 3 + 5) // (count * 4 - 4) * 2
    return [6, *reversed([size - 7 - i * step for i in range(count - 1)])]


def _format_bits(ecc: str, mask: int) -> int:
    data = _FORMAT_LEVEL[ecc] << 3 | mask
    rem = data
    for _ in range(10):
        rem = (rem << 1) ^ ((rem >> 9) * 0x537)
    return (data << 10 | rem) ^ 0x5412


def _version_bits(version: int) -> int:
    rem = version
    for _ in range(12):
        rem = (rem << 1) ^ ((rem >> 11) * 0x1F25)
    return version << 12 | rem


def _mask_pattern(mask: int, size: int) -> Matrix:
    i, j = np.indices((size, size))
    patterns = (
        (i + j) % 2 == 0,
        i % 2 == 0,
        j % 3 == 0,
        (i + j) % 3 == 0,
        (i // 2 + j // 3) % 2 == 0,
        (i * j) % 2 + (i * j) % 3 == 0,
        ((i * j) % 2 + (i * j) % 3) % 2 == 0,
        ((i + j) % 2 + (i * j) % 3) % 2 == 0,
    )
    return np.asarray(patterns[mask], dtype=np.bool_)


class _Frame:
    """Function patterns, format/version info and the data-module order of one symbol."""

    def __init__(self, version: int, ecc: str, mask: int) -> None:
        size = version * 4 + 17
        self.size = size
        self.value = np.zeros((size, size), dtype=np.bool_)
        self.func = np.zeros((size, size), dtype=np.bool_)
        self._timing()
        self._finders()
        self._alignment(version)
        self._format_info(_format_bits(ecc, mask))
        self._put(size - 8, 8, True)  # the dark module
        if version >= 7:
            self._version_info(_version_bits(version))
        self.order = self._data_order()
        self.mask = _mask_pattern(mask, size) & ~self.func

    def _put(self, row: int, col: int, dark: bool) -> None:
        """One function-pattern module: its colour, and that data never goes there."""
        self.value[row, col] = dark
        self.func[row, col] = True

    def _timing(self) -> None:
        for k in range(self.size):
            self._put(6, k, k % 2 == 0)
            self._put(k, 6, k % 2 == 0)

    def _finders(self) -> None:
        """The three finder patterns with their separators (clipped at the edges)."""
        size = self.size
        for cr, cc in ((3, 3), (3, size - 4), (size - 4, 3)):
            for dr in range(-4, 5):
                for dc in range(-4, 5):
                    r, c = cr + dr, cc + dc
                    if 0 <= r < size and 0 <= c < size:
                        self._put(r, c, max(abs(dr), abs(dc)) not in (2, 4))

    def _alignment(self, version: int) -> None:
        """Alignment patterns at every pair of positions, except over the finders."""
        pos = _alignment_positions(version)
        last = len(pos) - 1
        for a, ra in enumerate(pos):
            for b, cb in enumerate(pos):
                if (a, b) in ((0, 0), (0, last), (last, 0)):
                    continue
                for dr in range(-2, 3):
                    for dc in range(-2, 3):
                        self._put(ra + dr, cb + dc, max(abs(dr), abs(dc)) != 1)

    def _format_info(self, fmt: int) -> None:
        """The 15 format bits, twice: around the top-left finder and split between the
        other two."""
        put, size = self._put, self.size
        bit = [(fmt >> i) & 1 == 1 for i in range(15)]
        for i in range(6):
            put(i, 8, bit[i])
        put(7, 8, bit[6])
        put(8, 8, bit[7])
        put(8, 7, bit[8])
        for i in range(9, 15):
            put(8, 14 - i, bit[i])
        for i in range(8):
            put(8, size - 1 - i, bit[i])
        for i in range(8, 15):
            put(size - 15 + i, 8, bit[i])

    def _version_info(self, vbits: int) -> None:
        """The 18 version bits, in two 6x3 blocks (versions 7 and up)."""
        for i in range(18):
            dark = (vbits >> i) & 1 == 1
            a, b = self.size - 11 + i % 3, i // 3
            self._put(b, a, dark)
            self._put(a, b, dark)

    def _data_order(self) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """(rows, cols) of the data modules in placement order: two-column strips from
        the right, zigzagging up and down, skipping the vertical timing column."""
        size, func = self.size, self.func
        rows: list[int] = []
        cols: list[int] = []
        right = size - 1
        while right >= 1:
            if right == 6:
                right = 5
            upward = ((right + 1) & 2) == 0
            for vert in range(size):
                r = size - 1 - vert if upward else vert
                for c in (right, right - 1):
                    if not func[r, c]:
                        rows.append(r)
                        cols.append(c)
            right -= 2
        return np.array(rows), np.array(cols)


class QrPlan:
    """How every code of a batch becomes a QR symbol (see the module docstring)."""

    def __init__(
        self, alphabets: Sequence[Alphabet], ecc: str = "M", mask: int | None = None,
        sample: bytes | None = None, min_version: int = 1,
    ) -> None:  # fmt: skip
        if ecc not in ECC_LEVELS:
            raise ValueError(f"QR error correction level must be one of L, M, Q, H, not {ecc!r}")
        self.ecc = ecc
        self.length = len(alphabets)
        found = None
        by_group = [segment(alphabets, g) for g in range(3)]
        for version in range(max(1, min_version), 41):
            bits, segs = by_group[_group(version)]
            if bits <= data_codewords(version, ecc) * 8:
                found = version, segs
                break
        if found is None:
            raise QrTooLong(f"{self.length} characters do not fit a QR symbol at level {ecc}")
        self.version, self.segments = found
        self.size = self.version * 4 + 17
        self.capacity = data_codewords(self.version, ecc)
        self._layout(alphabets)
        if mask is None:
            mask = self._best_mask(sample) if sample is not None else 0
        self.mask = mask
        self._frame = _Frame(self.version, ecc, mask)
        self._symbol = AffineSymbol(self.render, self._template, self._variable)

    def _layout(self, alphabets: Sequence[Alphabet]) -> None:
        """Where each segment's bits go, and which data codewords can vary."""
        group = _group(self.version)
        offsets: list[int] = []
        pos = 0
        for seg in self.segments:
            pos += 4 + _CC_BITS[seg.mode][group]
            offsets.append(pos)
            pos += _segment_bits(seg.mode, seg.stop - seg.start)
        self._bit_offsets = offsets
        self._used_bits = pos
        varying = [len(a) > 1 for a in alphabets]
        var_bits = np.zeros(self.capacity * 8, dtype=np.bool_)
        for seg, off in zip(self.segments, self._bit_offsets, strict=True):
            width = {NUMERIC: (3, 10), ALPHANUMERIC: (2, 11), BYTE: (1, 8)}[seg.mode]
            for g0 in range(seg.start, seg.stop, width[0]):
                g1 = min(seg.stop, g0 + width[0])
                if any(varying[g0:g1]):
                    b0 = off + ((g0 - seg.start) // width[0]) * width[1]
                    var_bits[b0 : b0 + _segment_bits(seg.mode, g1 - g0)] = True
        self._variable = [int(i) for i in np.flatnonzero(var_bits.reshape(-1, 8).any(axis=1))]
        sample = bytes(min(a) for a in alphabets)
        template = self._codewords(np.frombuffer(sample, np.uint8)[None])[0]
        self._template = [int(x) for x in template]
        lo, hi = (self._variable[0], self._variable[-1] + 1) if self._variable else (0, 0)
        self._span = lo, hi
        self._span_bits = np.unpackbits(template[lo:hi])
        self._span_index = [i - lo for i in self._variable]
        # (segment, data bit offset, first and last+1 column of its varying groups)
        self._varying: list[tuple[Segment, int, int, int]] = []
        for seg, off in zip(self.segments, self._bit_offsets, strict=True):
            glen = {NUMERIC: 3, ALPHANUMERIC: 2, BYTE: 1}[seg.mode]
            idx = [i for i in range(seg.start, seg.stop) if varying[i]]
            if idx:
                c0 = seg.start + (idx[0] - seg.start) // glen * glen
                c1 = min(seg.stop, seg.start + ((idx[-1] - seg.start) // glen + 1) * glen)
                self._varying.append((seg, off, c0, c1))

    def _best_mask(self, sample: bytes) -> int:
        import segno  # noqa: PLC0415 - used once per batch, to pick the mask as segno would

        text = sample.decode("latin-1")
        segs: Any = [(text[s.start : s.stop], s.mode) for s in self.segments]  # typed as str
        code = segno.make_qr(segs, error=self.ecc, version=self.version, boost_error=False)
        return int(code.mask)

    def _codewords(self, data: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """All data codewords ``(n, capacity)`` of the rows of ``data`` ``(n, length)``."""
        n = data.shape[0]
        bits = np.zeros((n, self.capacity * 8), dtype=np.uint8)
        group = _group(self.version)
        for seg, off in zip(self.segments, self._bit_offsets, strict=True):
            cc = _CC_BITS[seg.mode][group]
            head = (seg.mode << cc) | (seg.stop - seg.start)
            bits[:, off - 4 - cc : off] = _to_bits(np.array([head]), 4 + cc)
            self._segment_data(data, bits, seg, off, seg.start, seg.stop)
        # the terminator and the zero bits up to a byte boundary are already zero
        used = -(-min(self._used_bits + 4, self.capacity * 8) // 8)
        out = np.packbits(bits, axis=1)
        out[:, used:] = np.resize(np.array([0xEC, 0x11], dtype=np.uint8), self.capacity - used)
        return out

    def _variable_codewords(self, data: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """Only the codewords at ``self._variable``: the constant bits come from the
        template and only the character groups that can vary are computed per code."""
        if data.shape[1] != self.length:
            raise ValueError(f"expected rows of {self.length} bytes, got {data.shape[1]}")
        lo, hi = self._span
        bits = np.empty((data.shape[0], (hi - lo) * 8), dtype=np.uint8)
        bits[:] = self._span_bits
        for seg, off, c0, c1 in self._varying:
            self._segment_data(data, bits, seg, off - lo * 8, c0, c1)
        return np.packbits(bits, axis=1)[:, self._span_index]

    def _segment_data(
        self, data: npt.NDArray[np.uint8], bits: npt.NDArray[np.uint8], seg: Segment,
        off: int, c0: int, c1: int,
    ) -> None:  # fmt: skip
        """Write the data bits of columns ``c0..c1`` (group-aligned) of ``seg``, whose
        data starts at bit ``off`` of ``bits``."""
        n = data.shape[0]
        cols = data[:, c0:c1]
        count = c1 - c0
        if seg.mode == BYTE:
            start = off + 8 * (c0 - seg.start)
            bits[:, start : start + 8 * count] = np.unpackbits(cols, axis=1)
            return
        weights: tuple[int, ...]
        if seg.mode == ALPHANUMERIC:
            vals = _ALNUM_VALUE[cols]
            if vals.max(initial=0) >= 45:
                raise ValueError("a column planned as alphanumeric holds another character")
            group_len, width, weights = 2, 11, (45, 1)
        else:
            vals = cols.astype(np.uint16) - 48
            if vals.max(initial=0) > 9:
                raise ValueError("a column planned as numeric holds a non-digit")
            group_len, width, weights = 3, 10, (100, 10, 1)
        off += (c0 - seg.start) // group_len * width
        full = count // group_len
        if full:
            grouped = vals[:, : full * group_len].reshape(n, full, group_len)
            packed = (grouped * np.array(weights, dtype=np.uint16)).sum(axis=2)
            bits[:, off : off + full * width] = _to_bits(packed, width).reshape(n, -1)
        rest = count - full * group_len
        if rest:
            tail = vals[:, full * group_len :]
            value = (tail * np.array(weights[-rest:], dtype=np.uint16)).sum(axis=1)
            tw = _segment_bits(seg.mode, rest)
            start = off + full * width
            bits[:, start : start + tw] = _to_bits(value, tw)

    def render(self, data_codewords: Sequence[int]) -> Matrix:
        """The module matrix (True = dark, no quiet zone) for one list of data codewords."""
        lv = ECC_LEVELS.index(self.ecc)
        ecc_len = _ECC_PER_BLOCK[lv][self.version]
        blocks = _BLOCKS[lv][self.version]
        raw = raw_codewords(self.version)
        short = blocks - raw % blocks
        short_len = raw // blocks
        gf = field(QR_POLY)
        gen = gf.generator(ecc_len, 0)
        data_blocks: list[list[int]] = []
        ecc_blocks: list[list[int]] = []
        k = 0
        for i in range(blocks):
            length = short_len - ecc_len + (0 if i < short else 1)
            dat = list(data_codewords[k : k + length])
            k += length
            data_blocks.append(dat)
            ecc_blocks.append(gf.parity(dat, gen))
        stream: list[int] = []
        for i in range(short_len - ecc_len + 1):
            stream.extend(b[i] for b in data_blocks if i < len(b))
        for i in range(ecc_len):
            stream.extend(b[i] for b in ecc_blocks)
        frame = self._frame
        bits = np.unpackbits(np.array(stream, dtype=np.uint8)).astype(np.bool_)
        data = np.zeros((frame.size, frame.size), dtype=np.bool_)
        rows, cols = frame.order
        data[rows[: bits.size], cols[: bits.size]] = bits
        out: Matrix = np.where(frame.func, frame.value, data ^ frame.mask)
        return out

    def encode(self, data: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
        """Packed symbols (see :meth:`modules`) of the rows of ``data`` ``(n, length)``."""
        return self._symbol.encode(self._variable_codewords(data))

    def modules(self, data: npt.NDArray[np.uint8]) -> Matrix:
        """``(n, size, size)`` booleans, True = dark, no quiet zone."""
        return self._symbol.unpack(self.encode(data))

    @property
    def segno_differs(self) -> bool:
        """True when segno's symbol differs from this (standard) one: when the data and a
        4-bit terminator end exactly on a codeword boundary short of the capacity, segno
        adds a 0x00 codeword before the pad codewords (ISO/IEC 18004 7.4.10 adds none).
        Both decode the same; the tests compare with segno only where they agree."""
        end = self._used_bits + 4
        return end % 8 == 0 and end < self.capacity * 8

    def segno_segments(self, row: bytes) -> list[tuple[str, int]]:
        """This plan's segments of one row, as segno takes them (for tests and baselines)."""
        text = row.decode("latin-1")
        return [(text[s.start : s.stop], s.mode) for s in self.segments]


def _to_bits(values: npt.NDArray[np.integer], width: int) -> npt.NDArray[np.uint8]:
    shifts = np.arange(width - 1, -1, -1, dtype=np.uint32)
    return ((values.astype(np.uint32)[..., None] >> shifts) & 1).astype(np.uint8)


def column_alphabets(fixed: bytes, variable: dict[int, Alphabet]) -> list[Alphabet]:
    """Alphabets of a row whose columns hold ``fixed`` except at ``variable`` columns."""
    return [variable.get(i, frozenset((b,))) for i, b in enumerate(fixed)]
