"""A stocktake's variance: what was expected, what was counted, what to adjust. Pure.

A count freezes the expected quantity of each line (location, GTIN, lot) from the
balances at its start and remembers where the movement ledger stood then. Stock keeps
moving while people count; each movement posted since the freeze is a :class:`Move`,
and each counted figure remembers the last movement visible when it was recorded
(its watermark, :attr:`Counted.seq`).

Contracts of :func:`compute`:

- ``expected_now = expected_at_start + moved_since`` (every move since the freeze);
- a counted line's difference is ``counted - expected_at_count``, where
  ``expected_at_count`` is the expected quantity including only the moves up to the
  count's watermark. Moves after the count changed the shelf and the ledger alike, so
  the adjustment posted now against ``expected_now`` brings the ledger to
  ``counted + moved after the count``: no movement is counted twice;
- a line not counted (``counted is None``) has no difference, no value and NEVER
  produces an adjustment: an empty count changes nothing (Odoo once zeroed stock when
  an empty count was applied);
- a line that any move touched since the freeze is ``outdated``: its counters should
  check it again (a picked-but-not-posted move is invisible to the arithmetic);
- ``value = difference * unit_cost`` in fen when the unit cost is known, else ``None``;
- lines come out sorted by key; a line exists for every key frozen, moved or counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
class Move:
    """One posted movement's change of one line's on-hand quantity since the freeze."""

    seq: int  # the movement's position in the ledger (its id): later is larger
    key: LineKey
    quantity: int  # signed: + in, - out


@dataclass(frozen=True)
class Counted:
    """A counted figure and the last movement ``seq`` visible when it was recorded."""

    quantity: int
    seq: int


@dataclass(frozen=True)
class VarianceLine:
    key: LineKey
    expected_at_start: int
    moved_since: int  # net change of every move since the freeze
    counted: int | None
    expected_at_count: int | None  # None when not counted
    unit_cost: int | None  # fen per unit, None when unknown
    outdated: bool

    @property
    def expected_now(self) -> int:
        return self.expected_at_start + self.moved_since

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
    moves: Iterable[Move],
    counts: Mapping[LineKey, Counted],
    unit_costs: Mapping[str, int],
) -> VarianceReport:
    """The variance of a count (see the module's contracts).

    ``frozen``: expected on-hand per line at the start; ``moves``: every movement posted
    since the freeze on the count's lines; ``counts``: the latest counted figure per line;
    ``unit_costs``: fen per unit by GTIN (a GTIN missing has no value).
    """
    for figure in counts.values():
        check_counted(figure.quantity)
    moved: dict[LineKey, int] = {}
    touched: set[LineKey] = set()
    before_count: dict[LineKey, int] = {}
    for move in moves:
        if move.quantity == 0:
            continue  # a reservation-only posting leaves the shelf as it was
        moved[move.key] = moved.get(move.key, 0) + move.quantity
        touched.add(move.key)
        seen = counts.get(move.key)
        if seen is not None and move.seq <= seen.seq:
            before_count[move.key] = before_count.get(move.key, 0) + move.quantity
    keys = sorted(set(frozen) | touched | set(counts))
    lines = []
    for key in keys:
        start = frozen.get(key, 0)
        counted = counts.get(key)
        lines.append(
            VarianceLine(
                key=key,
                expected_at_start=start,
                moved_since=moved.get(key, 0),
                counted=None if counted is None else counted.quantity,
                expected_at_count=None if counted is None else start + before_count.get(key, 0),
                unit_cost=unit_costs.get(key.gtin),
                outdated=key in touched,
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
