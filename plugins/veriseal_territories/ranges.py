"""Range arithmetic for holdings: who holds which consecutive indexes of a batch.

Pure and synchronous. Ranges are :class:`veriseal.IndexRange` (inclusive at both ends).
A *normalised* list is sorted, disjoint, and has no two adjacent ranges; every function
returning ranges returns a normalised list. Holdings are ``(range, value)`` pairs whose
ranges are disjoint; :func:`reassign` is the one operation a movement performs on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from veriseal import IndexRange

V = TypeVar("V")


def normalise(ranges: Iterable[IndexRange]) -> list[IndexRange]:
    """Sort and merge overlapping or adjacent ranges."""
    out: list[IndexRange] = []
    for r in sorted(ranges):
        if out and r.first <= out[-1].last + 1:
            if r.last > out[-1].last:
                out[-1] = IndexRange(out[-1].first, r.last)
        else:
            out.append(r)
    return out


def subtract(a: Iterable[IndexRange], b: Iterable[IndexRange]) -> list[IndexRange]:
    """The indexes of ``a`` that are not in ``b``."""
    left, right = normalise(a), normalise(b)
    out: list[IndexRange] = []
    j = 0
    for r in left:
        first = r.first
        while j < len(right) and right[j].last < first:
            j += 1
        k = j
        while k < len(right) and right[k].first <= r.last:
            if right[k].first > first:
                out.append(IndexRange(first, right[k].first - 1))
            first = max(first, right[k].last + 1)
            k += 1
        if first <= r.last:
            out.append(IndexRange(first, r.last))
    return out


def intersect(a: Iterable[IndexRange], b: Iterable[IndexRange]) -> list[IndexRange]:
    """The indexes in both ``a`` and ``b``."""
    left, right = normalise(a), normalise(b)
    out: list[IndexRange] = []
    i = j = 0
    while i < len(left) and j < len(right):
        lo, hi = max(left[i].first, right[j].first), min(left[i].last, right[j].last)
        if lo <= hi:
            out.append(IndexRange(lo, hi))
        if left[i].last < right[j].last:
            i += 1
        else:
            j += 1
    return out


def count(ranges: Iterable[IndexRange]) -> int:
    return sum(r.last - r.first + 1 for r in ranges)


def reassign(
    held: Sequence[tuple[IndexRange, V]], spans: Sequence[IndexRange], value: V
) -> list[tuple[IndexRange, V]]:
    """Holdings after ``spans`` pass to ``value``: the parts of ``held`` outside
    ``spans`` keep their value, ``spans`` get ``value``; adjacent pieces with equal
    values are merged, so shipping a whole pallet leaves one row per consecutive run."""
    pieces: list[tuple[IndexRange, V]] = [
        (piece, v) for r, v in held for piece in subtract([r], spans)
    ]
    pieces += [(r, value) for r in normalise(spans)]
    pieces.sort(key=lambda p: p[0].first)
    out: list[tuple[IndexRange, V]] = []
    for r, v in pieces:
        if out and out[-1][1] == v and out[-1][0].last + 1 == r.first:
            out[-1] = (IndexRange(out[-1][0].first, r.last), v)
        else:
            out.append((r, v))
    return out


def split_by_holder(
    held: Sequence[tuple[IndexRange, V]], spans: Sequence[IndexRange]
) -> tuple[list[tuple[IndexRange, V]], list[IndexRange]]:
    """The parts of ``spans`` each holder holds, and the parts nobody holds."""
    found = [(piece, v) for r, v in held for piece in intersect([r], spans)]
    return found, subtract(spans, [r for r, _ in held])
