"""The low-stock alert of one (warehouse, product) as a two-state machine: pure, no I/O.

Contracts (hysteresis, so a level hovering at the line does not flap):

- the alert OPENS when the available level falls strictly BELOW the safety stock
  (at the safety stock is not below it);
- an open alert CLOSES when the available level is back at or above the closing level,
  which is the reorder point when that is above the safety stock (stock is then really
  replenished, not one unit over the line), else the safety stock itself;
- between the two lines nothing changes: an open alert stays open, a closed one closed;
- a safety stock of 0 never opens an alert (a level cannot fall below 0), and closes an
  open one at the next evaluation (the setting was removed or lowered);
- :func:`step` returns the transition, if any: exactly one notice per opening and one
  per closing, never one per movement.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Transition(StrEnum):
    OPENED = "opened"
    CLOSED = "closed"


@dataclass(frozen=True)
class Thresholds:
    """The two lines: open below ``safety_stock``, close at or above :attr:`close_at`."""

    safety_stock: int
    reorder_point: int = 0

    @property
    def close_at(self) -> int:
        return max(self.safety_stock, self.reorder_point)

    def opens(self, available: int) -> bool:
        return available < self.safety_stock

    def closes(self, available: int) -> bool:
        return available >= self.close_at or self.safety_stock == 0


def step(is_open: bool, available: int, lines: Thresholds) -> Transition | None:
    """The transition at a new ``available`` level for an alert now open or not."""
    if not is_open and lines.opens(available):
        return Transition.OPENED
    if is_open and lines.closes(available):
        return Transition.CLOSED
    return None
