"""Range arithmetic for code-tracked units in stock.

A *unit* is one printed item: ``(batch_id, index)``. Stock of code-tracked goods is held
as inclusive ranges of consecutive indexes per batch (a pallet of 10,000 consecutive items
is one range, never 10,000 rows). A set of units is a :data:`Units` mapping
``batch id -> ranges``.

Pure and synchronous; the per-batch arithmetic is the core's
(:func:`veriseal.normalise_ranges` and friends). A *normalised* :data:`Units` has its
batches in ascending order, no batch with an empty list, and each batch's ranges sorted,
disjoint and never adjacent (merged): one form for a given set of units. Every function
here returning units returns a normalised dict; inputs may be in any form (unsorted,
overlapping, empty batches).

The compact text form (:func:`to_text` / :func:`parse_text`) is what people and the CLI
read and type: ``"12:1-5,9 13:100-199"`` (batch, colon, ranges with commas; batches
separated by spaces, ascending). :func:`describe` cuts it for messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from veriseal import (
    IndexRange,
    InvalidInput,
    intersect_ranges,
    normalise_ranges,
    register_messages,
    subtract_ranges,
    total_ranges,
)

register_messages(
    {
        "error.stock_units_invalid": (
            "Invalid unit ranges (use BATCH:FIRST-LAST,...)",
            "单品区间无效（格式：批次:起-止,...）",
        ),
    }
)

#: batch id -> inclusive index ranges of that batch
Units = Mapping[int, Sequence[IndexRange]]
V = TypeVar("V")

#: the most characters :func:`describe` returns before cutting (messages stay short)
DESCRIBE_LIMIT = 200


class UnitsInvalid(InvalidInput):
    """Text that is not a compact unit list, or a negative / reversed range."""

    code = "stock_units_invalid"


def normalise(units: Units) -> dict[int, list[IndexRange]]:
    """The normalised form of ``units`` (see the module docstring)."""
    out: dict[int, list[IndexRange]] = {}
    for batch_id in sorted(units):
        spans = normalise_ranges(units[batch_id])
        if spans:
            out[batch_id] = spans
    return out


def union(a: Units, b: Units) -> dict[int, list[IndexRange]]:
    """Units in ``a`` or ``b``."""
    merged: dict[int, list[IndexRange]] = {}
    for side in (a, b):
        for batch_id, spans in side.items():
            merged.setdefault(batch_id, []).extend(spans)
    return normalise(merged)


def subtract(a: Units, b: Units) -> dict[int, list[IndexRange]]:
    """Units of ``a`` not in ``b``."""
    return normalise({k: subtract_ranges(v, b.get(k, ())) for k, v in a.items()})


def intersect(a: Units, b: Units) -> dict[int, list[IndexRange]]:
    """Units in both ``a`` and ``b``."""
    return normalise({k: intersect_ranges(v, b[k]) for k, v in a.items() if k in b})


def overlaps(a: Units, b: Units) -> bool:
    """Whether ``a`` and ``b`` share at least one unit."""
    return any(intersect_ranges(v, b[k]) for k, v in a.items() if k in b)


def contains(a: Units, b: Units) -> bool:
    """Whether every unit of ``b`` is in ``a``."""
    return not subtract(b, a)


def count(units: Units) -> int:
    """The number of distinct units."""
    return sum(total_ranges(spans) for spans in normalise(units).values())


def of_pairs(pairs: Iterable[tuple[int, IndexRange]]) -> dict[int, list[IndexRange]]:
    """``(batch id, range)`` pairs (rows as a store reads them) -> normalised units."""
    out: dict[int, list[IndexRange]] = {}
    for batch_id, r in pairs:
        out.setdefault(batch_id, []).append(r)
    return normalise(out)


def pairs(units: Units) -> list[tuple[int, IndexRange]]:
    """Normalised ``units`` as ``(batch id, range)`` pairs, in order (rows to write)."""
    return [(b, r) for b, spans in normalise(units).items() for r in spans]


def to_text(units: Units) -> str:
    """The compact text of ``units``: ``"12:1-5,9 13:100-199"`` ("" for none)."""
    return " ".join(
        f"{b}:{','.join(str(r) for r in spans)}" for b, spans in normalise(units).items()
    )


def describe(units: Units, limit: int = DESCRIBE_LIMIT) -> str:
    """:func:`to_text` cut to about ``limit`` characters at a range boundary, with how
    many units the cut left out: for error messages and notices that name units."""
    full = to_text(units)
    if len(full) <= limit:
        return full
    shown: dict[int, list[IndexRange]] = {}
    used = 0
    for batch_id, r in pairs(units):
        piece = len(str(r)) + (len(str(batch_id)) + 2 if batch_id not in shown else 1)
        if used + piece > limit and shown:
            break
        shown.setdefault(batch_id, []).append(r)
        used += piece
    rest = count(units) - count(shown)
    return f"{to_text(shown)} (+{rest} more)"


def assign(
    rows: Sequence[tuple[IndexRange, V]], spans: Sequence[IndexRange], value: V | None
) -> list[tuple[IndexRange, V]]:
    """One batch's stock rows (disjoint ranges, each with where it is held) after
    ``spans`` are put at ``value`` (None: taken out of stock). Parts of ``rows`` outside
    ``spans`` keep their place; touching pieces with equal places are merged, so goods
    received a case at a time still end up one row per consecutive run."""
    pieces = [(piece, v) for r, v in rows for piece in subtract_ranges([r], spans)]
    if value is not None:
        pieces += [(r, value) for r in normalise_ranges(spans)]
    pieces.sort(key=lambda p: p[0].first)
    out: list[tuple[IndexRange, V]] = []
    for r, v in pieces:
        if out and out[-1][1] == v and out[-1][0].last + 1 == r.first:
            out[-1] = (IndexRange(out[-1][0].first, r.last), v)
        else:
            out.append((r, v))
    return out


# re.ASCII: \d must not match other scripts' digits, which int() would then read
_BATCH = re.compile(r"(\d{1,12}):(\d{1,10}(?:-\d{1,10})?(?:,\d{1,10}(?:-\d{1,10})?)*)", re.ASCII)


def parse_text(text: str) -> dict[int, list[IndexRange]]:
    """Compact text (see :func:`to_text`; any order, overlaps allowed, batches separated
    by spaces or semicolons) -> normalised units. ``stock_units_invalid`` otherwise."""
    out: dict[int, list[IndexRange]] = {}
    for token in text.replace(";", " ").split():
        m = _BATCH.fullmatch(token)
        if m is None:
            raise UnitsInvalid(f"{token[:40]!r}: use BATCH:FIRST-LAST,... (e.g. 12:1-5,9)")
        for part in m.group(2).split(","):
            first, _, last = part.partition("-")
            lo, hi = int(first), int(last or first)
            if hi < lo:
                raise UnitsInvalid(f"{token[:40]!r}: range {part} runs backwards")
            out.setdefault(int(m.group(1)), []).append(IndexRange(lo, hi))
    return normalise(out)
