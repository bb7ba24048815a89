"""Ranges of consecutive unit indexes: the unit of storage for activation, decommission
and aggregation (one row per range, never one row per code).

Pure and synchronous: no I/O. A range is inclusive at both ends (``first..last``), the
way a line operator says "labels 1000 to 1999". A *normalised* list of ranges is sorted,
disjoint and has no two adjacent ranges (they are merged), so it has exactly one form for
a given set of indexes: every function here returns normalised lists.

:class:`RangeMap` answers "what was last said about index i?" for a history of
``(range, value)`` assignments in O(log n) with :mod:`bisect`; the verifier keeps one per
batch on its hot path.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from veriseal.lifecycle.errors import RangeInvalid

V = TypeVar("V")


@dataclass(frozen=True, slots=True, order=True)
class IndexRange:
    first: int
    last: int  # inclusive

    @property
    def count(self) -> int:
        """The number of indexes in the range."""
        return self.last - self.first + 1

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


def make(first: int, last: int) -> IndexRange:
    if first < 0 or last < first:
        raise RangeInvalid(f"range {first}..{last}: need 0 <= first <= last")
    return IndexRange(first, last)


# re.ASCII: \d must not match other scripts' digits, which int() would then read
_RANGE = re.compile(r"^\s*(\d{1,10})\s*(?:(?:-|\.\.)\s*(\d{1,10}))?\s*$", re.ASCII)


def parse(text: str) -> IndexRange:
    """``"5"``, ``"10-19"`` or ``"10..19"`` -> a range. ``RangeInvalid`` otherwise."""
    m = _RANGE.match(text)
    if m is None:
        raise RangeInvalid(f"{text[:40]!r} is not an index range (use I or I-J)")
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) is not None else first
    return make(first, last)


def normalise(ranges: Iterable[IndexRange]) -> list[IndexRange]:
    """Sort, merge overlapping and adjacent ranges."""
    out: list[IndexRange] = []
    for r in sorted(ranges):
        if out and r.first <= out[-1].last + 1:
            if r.last > out[-1].last:
                out[-1] = IndexRange(out[-1].first, r.last)
        else:
            out.append(r)
    return out


def from_indexes(indexes: Iterable[int]) -> list[IndexRange]:
    """Runs of consecutive indexes -> ranges (duplicates ignored, order irrelevant)."""
    return normalise(IndexRange(i, i) for i in indexes)


def total(ranges: Iterable[IndexRange]) -> int:
    return sum(r.count for r in ranges)


def subtract(a: Sequence[IndexRange], b: Sequence[IndexRange]) -> list[IndexRange]:
    """The indexes of ``a`` not in ``b`` (both normalised first)."""
    a, b = normalise(a), normalise(b)
    out: list[IndexRange] = []
    j = 0
    for r in a:
        first = r.first
        while j < len(b) and b[j].last < first:
            j += 1
        k = j
        while k < len(b) and b[k].first <= r.last:
            if b[k].first > first:
                out.append(IndexRange(first, b[k].first - 1))
            first = max(first, b[k].last + 1)
            k += 1
        if first <= r.last:
            out.append(IndexRange(first, r.last))
    return out


def intersect(a: Sequence[IndexRange], b: Sequence[IndexRange]) -> list[IndexRange]:
    """The indexes in both ``a`` and ``b``."""
    a, b = normalise(a), normalise(b)
    out: list[IndexRange] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i].first, b[j].first), min(a[i].last, b[j].last)
        if lo <= hi:
            out.append(IndexRange(lo, hi))
        if a[i].last < b[j].last:
            i += 1
        else:
            j += 1
    return out


def first_overlap(ranges: Sequence[IndexRange]) -> tuple[IndexRange, IndexRange] | None:
    """Two ranges of ``ranges`` that share an index, or None if they are pairwise
    disjoint (adjacent is fine). Used to refuse one item claimed by two parents."""
    ordered = sorted(ranges)
    for left, right in itertools.pairwise(ordered):
        if right.first <= left.last:
            return left, right
    return None


class RangeMap(Generic[V]):
    """Disjoint segments with a value each, built from an ordered history of
    assignments in which a later assignment overrides an earlier one where they meet.

    ``get(i)`` is a binary search. Building costs O(n log n) plus list shifting, fine for
    the thousands of ranges a batch's activations and decommissions produce.
    """

    def __init__(self, assignments: Iterable[tuple[IndexRange, V]] = ()) -> None:
        self._firsts: list[int] = []
        self._lasts: list[int] = []
        self._values: list[V] = []
        for r, value in assignments:
            self.assign(r, value)

    def assign(self, r: IndexRange, value: V) -> None:
        firsts, lasts, values = self._firsts, self._lasts, self._values
        # the first segment that may overlap r: the last one starting at or before r.first
        i = max(bisect.bisect_right(firsts, r.first) - 1, 0)
        new_f: list[int] = []
        new_l: list[int] = []
        new_v: list[V] = []
        j = i
        while j < len(firsts) and firsts[j] <= r.last:
            if lasts[j] >= r.first:  # overlaps: keep the parts outside r
                if firsts[j] < r.first:
                    new_f.append(firsts[j])
                    new_l.append(r.first - 1)
                    new_v.append(values[j])
            else:  # entirely before r
                new_f.append(firsts[j])
                new_l.append(lasts[j])
                new_v.append(values[j])
            j += 1
        tail: tuple[int, int, V] | None = None
        if j > i and lasts[j - 1] > r.last and firsts[j - 1] <= r.last:
            tail = (r.last + 1, lasts[j - 1], values[j - 1])
        new_f.append(r.first)
        new_l.append(r.last)
        new_v.append(value)
        if tail is not None:
            new_f.append(tail[0])
            new_l.append(tail[1])
            new_v.append(tail[2])
        firsts[i:j] = new_f
        lasts[i:j] = new_l
        values[i:j] = new_v

    def get(self, index: int) -> V | None:
        i = bisect.bisect_right(self._firsts, index) - 1
        if i >= 0 and index <= self._lasts[i]:
            return self._values[i]
        return None

    def overlapping(self, r: IndexRange) -> list[tuple[IndexRange, V]]:
        """The parts of segments that fall inside ``r``, in order: O(log n + k)."""
        i = max(bisect.bisect_right(self._firsts, r.first) - 1, 0)
        out: list[tuple[IndexRange, V]] = []
        while i < len(self._firsts) and self._firsts[i] <= r.last:
            lo, hi = max(self._firsts[i], r.first), min(self._lasts[i], r.last)
            if lo <= hi:
                out.append((IndexRange(lo, hi), self._values[i]))
            i += 1
        return out

    def segments(self) -> list[tuple[IndexRange, V]]:
        return [
            (IndexRange(f, la), v)
            for f, la, v in zip(self._firsts, self._lasts, self._values, strict=True)
        ]

    def ranges_with(self, value: V) -> list[IndexRange]:
        """Normalised ranges whose value is ``value``."""
        return normalise(r for r, v in self.segments() if v == value)

    def __len__(self) -> int:
        return len(self._firsts)
