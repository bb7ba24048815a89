"""A stocktake's variance: what was expected, what was counted, what to adjust. Pure.

A count freezes the expected quantity of each line (location, GTIN, lot) from the
balances at its start. Stock keeps moving while people count, so each counted figure
keeps the ledger's quantity of its line at the moment it was recorded
(:attr:`Counted.expected`), and the report reads the line's quantity now. Balances are
the sum of the movements (``veriseal stock rebuild --check``), so ``expected_now -
expected_at_start`` is the net of every movement posted since the freeze.

Contracts of :func:`compute`:

- ``moved_since = expected_now - expected_at_start``;
- a counted line's difference is ``counted - expected_at_count``: moves before the count
  are in both figures, moves after it changed the shelf and the ledger alike, so the
  adjustment posted on ``expected_now`` brings the ledger to ``counted + moved after the
  count``: no movement is counted twice;
- a line not counted (``counted is None``) has no difference, no value and NEVER
  produces an adjustment: an empty count changes nothing (Odoo once zeroed stock when
  an empty count was applied);
- a line that any movement touched since the freeze (``moved``, even when the moves
  net to zero) is ``outdated``: its counters should check it again, since a
  picked-but-not-posted move is invisible to the arithmetic;
- ``value = difference * unit_cost`` in fen when the unit cost is known, else ``None``;
- lines come out sorted by key; a line exists for every key frozen, present now, moved
  or counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import NamedTuple

from veriseal_inventory.stocktake_errors import StocktakeInvalid

#: Upper bound of one counted figure (keeps products of quantity and cost in 64 bits).
MAX_QUANTITY = 1_000_000_000


class LineKey(NamedTuple):
    """One balance a stocktake counts."""

    location_id: int
    gtin: str
    lot: str


@dataclass(frozen=True)
class Counted:
    """A counted figure and the ledger's on-hand quantity of its line when it was recorded."""

    quantity: int
    expected: int


@dataclass(frozen=True)
class VarianceLine:
    key: LineKey
    expected_at_start: int
    expected_now: int
    counted: int | None
    expected_at_count: int | None  # None when not counted
    unit_cost: int | None  # fen per unit, None when unknown
    outdated: bool

    @property
    def moved_since(self) -> int:
        """The net of the movements posted on the line since the freeze."""
        return self.expected_now - self.expected_at_start

    @property
    def difference(self) -> int | None:
        """``counted - expected_at_count``: + found more, - found fewer; None if not counted."""
        if self.counted is None or self.expected_at_count is None:
            return None
        return self.counted - self.expected_at_count

    @property
    def value(self) -> int | None:
        """The difference's value in fen (signed), None if not counted or cost unknown."""
        diff = self.difference
        return None if diff is None or self.unit_cost is None else diff * self.unit_cost

    @property
    def after_apply(self) -> int:
        """The ledger's on-hand quantity once the adjustment is posted on ``expected_now``."""
        return self.expected_now + (self.difference or 0)


@dataclass(frozen=True)
class Adjustment:
    """One adjustment posting: ``quantity`` (signed, never 0) on ``key``."""

    key: LineKey
    quantity: int
    value: int | None


@dataclass(frozen=True)
class VarianceReport:
    lines: tuple[VarianceLine, ...]

    @property
    def counted(self) -> int:
        return sum(1 for line in self.lines if line.counted is not None)

    @property
    def uncounted(self) -> int:
        return sum(1 for line in self.lines if line.counted is None)

    @property
    def outdated(self) -> int:
        return sum(1 for line in self.lines if line.outdated)

    @property
    def differing(self) -> tuple[VarianceLine, ...]:
        return tuple(line for line in self.lines if line.difference)

    @property
    def gain_value(self) -> int:
        """Sum of the known values of the surpluses (>= 0, fen)."""
        return sum(v for line in self.lines if (v := line.value) is not None and v > 0)

    @property
    def loss_value(self) -> int:
        """Sum of the known values of the shortfalls, as a positive amount of fen."""
        return -sum(v for line in self.lines if (v := line.value) is not None and v < 0)

    @property
    def net_value(self) -> int:
        return self.gain_value - self.loss_value

    @property
    def unvalued(self) -> int:
        """Differing lines whose unit cost is unknown (their value is in no total)."""
        return sum(1 for line in self.differing if line.unit_cost is None)


def check_counted(quantity: object) -> int:
    """A counted figure as entered: an integer in ``0..MAX_QUANTITY`` (``stocktake_invalid``)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise StocktakeInvalid("a counted quantity must be a whole number", field="quantity")
    if not 0 <= quantity <= MAX_QUANTITY:
        raise StocktakeInvalid(
            f"a counted quantity must be between 0 and {MAX_QUANTITY}", field="quantity"
        )
    return quantity


def compute(
    frozen: Mapping[LineKey, int],
    now: Mapping[LineKey, int],
    moved: AbstractSet[LineKey],
    counts: Mapping[LineKey, Counted],
    unit_costs: Mapping[str, int],
) -> VarianceReport:
    """The variance of a count (see the module's contracts).

    ``frozen``: expected on-hand per line at the start; ``now``: on-hand per line now (a
    line missing is 0); ``moved``: lines a movement touched since the freeze; ``counts``:
    the latest counted figure per line; ``unit_costs``: fen per unit by GTIN (a GTIN
    missing has no value).
    """
    for figure in counts.values():
        check_counted(figure.quantity)
    keys = sorted(set(frozen) | set(now) | set(moved) | set(counts))
    lines = []
    for key in keys:
        start, current = frozen.get(key, 0), now.get(key, 0)
        counted = counts.get(key)
        lines.append(
            VarianceLine(
                key=key,
                expected_at_start=start,
                expected_now=current,
                counted=None if counted is None else counted.quantity,
                expected_at_count=None if counted is None else counted.expected,
                unit_cost=unit_costs.get(key.gtin),
                outdated=key in moved or current != start,
            )
        )
    return VarianceReport(tuple(lines))


def adjustments(report: VarianceReport) -> list[Adjustment]:
    """The postings that apply ``report``: one per counted line whose difference is not 0.

    Uncounted lines never appear, so a count with nothing counted posts nothing.
    """
    found = []
    for line in report.lines:
        diff = line.difference
        if diff:  # None (not counted) and 0 (as expected) post nothing
            found.append(Adjustment(line.key, diff, line.value))
    return found
