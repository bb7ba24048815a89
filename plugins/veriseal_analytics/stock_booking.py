"""How a stock post becomes rows of the stock cube (pure).

Contracts:

- a post is booked on its effective time's local day (``[plugins.analytics] tz``) under
  its movement kind; its changes are first summed per (warehouse, GTIN) over the
  location kinds, so a move inside a warehouse (quarantine to stock) nets to nothing
  and only goods that entered or left a warehouse count;
- a positive sum adds to ``units_in``, a negative one to ``units_out`` (as a positive
  number) of the row ``(day, warehouse, gtin, kind)``; rows are sums of posts, so the
  cube can always be recounted from inventory's facts;
- the figures a dashboard reports are :func:`figures` of summed rows per kind."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: (day, warehouse id, gtin, kind)
StockKey = tuple[str, int, str, str]
#: the figures of a group of rows, in report order
FIGURES = ("received", "returned", "shipped", "adjusted_in", "adjusted_out",
           "transferred_in", "transferred_out", "units_in", "units_out", "net")  # fmt: skip


@dataclass(slots=True)
class Flow:
    """Units in and out of one cube row (both >= 0)."""

    units_in: int = 0
    units_out: int = 0

    def add(self, other: Flow) -> None:
        self.units_in += other.units_in
        self.units_out += other.units_out

    def as_tuple(self) -> tuple[int, int]:
        return (self.units_in, self.units_out)


def post_rows(day: str, kind: str,
              changes: Iterable[tuple[int, str, int]]) -> dict[StockKey, Flow]:  # fmt: skip
    """The cube rows one post adds to: ``changes`` are its ``(warehouse, gtin, signed
    quantity)`` on-hand changes (see the module)."""
    net: dict[tuple[int, str], int] = {}
    for warehouse, gtin, qty in changes:
        net[(warehouse, gtin)] = net.get((warehouse, gtin), 0) + qty
    return {(day, w, g, kind): Flow(max(q, 0), max(-q, 0))
            for (w, g), q in sorted(net.items()) if q}  # fmt: skip


def add_rows(into: dict[StockKey, Flow], rows: Mapping[StockKey, Flow]) -> None:
    """Add ``rows`` to ``into`` (a running sum of posts)."""
    for key, f in rows.items():
        into.setdefault(key, Flow()).add(f)


def figures(per_kind: Mapping[str, Flow]) -> dict[str, int]:
    """The reported figures of rows summed per movement kind: goods received (inbound
    in), returned (return in), shipped (outbound out), adjusted and transferred in and
    out, all units in and out, and the net change (in - out)."""

    def get(kind: str) -> Flow:
        return per_kind.get(kind, Flow())

    units_in = sum(f.units_in for f in per_kind.values())
    units_out = sum(f.units_out for f in per_kind.values())
    return {"received": get("inbound").units_in, "returned": get("return").units_in,
            "shipped": get("outbound").units_out,
            "adjusted_in": get("adjustment").units_in,
            "adjusted_out": get("adjustment").units_out,
            "transferred_in": get("transfer").units_in,
            "transferred_out": get("transfer").units_out,
            "units_in": units_in, "units_out": units_out,
            "net": units_in - units_out}  # fmt: skip


def zero_figures() -> dict[str, Any]:
    return figures({})
