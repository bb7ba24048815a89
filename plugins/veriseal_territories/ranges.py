"""Range arithmetic for holdings: who holds which consecutive indexes of a batch.

Pure and synchronous; built on the core's range arithmetic. Ranges are
:class:`veriseal.IndexRange` (inclusive at both ends).
A *normalised* list is sorted, disjoint, and has no two adjacent ranges; every function
returning ranges returns a normalised list. Holdings are ``(range, value)`` pairs whose
ranges are disjoint; :func:`reassign` is the one operation a movement performs on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from veriseal import (
    IndexRange,
    intersect_ranges,
    normalise_ranges,
    subtract_ranges,
    total_ranges,
)

V = TypeVar("V")


# The arithmetic itself is the core's (veriseal.lifecycle.index_ranges, also used by packing);
# re-exported here under the names this plugin has always used.
normalise = normalise_ranges
subtract = subtract_ranges
intersect = intersect_ranges
count = total_ranges


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


def release(
    held: Sequence[tuple[IndexRange, V]], spans: Sequence[IndexRange]
) -> list[tuple[IndexRange, V]]:
    """Holdings after ``spans`` go back to nobody (the brand): the parts of ``held``
    outside ``spans`` keep their value, merged as :func:`reassign` merges them."""
    return [(r, v) for r, v in reassign(held, spans, None) if v is not None]


def split_by_holder(
    held: Sequence[tuple[IndexRange, V]], spans: Sequence[IndexRange]
) -> tuple[list[tuple[IndexRange, V]], list[IndexRange]]:
    """The parts of ``spans`` each holder holds, and the parts nobody holds."""
    found = [(piece, v) for r, v in held for piece in intersect([r], spans)]
    return found, subtract(spans, [r for r, _ in held])
