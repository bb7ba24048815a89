"""The picking list's rules checked over random warehouses and orders: picks come only
from stock locations and never take more than a balance holds (across all lines
together), every line gets what it asks for or is reported short by exactly the
difference, a line naming a lot takes only that lot, and a line's picks follow the
order oldest lot, then lowest location code. The expected totals are worked out here
from the balances, not by the code under test."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from veriseal_inventory.models import Balance, Location, LocationKind, StockLine
from veriseal_inventory.picking import plan

GTINS = ["09506000134352", "09506000134369"]
LOTS = ["", "L20260101", "L20260301", "L20261201"]
KINDS = [LocationKind.STOCK, LocationKind.STOCK, LocationKind.QUARANTINE, LocationKind.REJECTED]


@st.composite
def warehouses(draw: st.DrawFn) -> tuple[dict[int, Location], list[Balance]]:
    n = draw(st.integers(1, 6))
    codes = draw(st.lists(st.sampled_from(["A-01", "A-02", "B-01", "C-07", "main", "Z"]),
                          min_size=n, max_size=n, unique=True))  # fmt: skip
    locations = {i + 1: Location(i + 1, 1, codes[i], draw(st.sampled_from(KINDS)))
                 for i in range(n)}  # fmt: skip
    keys = draw(st.sets(st.tuples(st.sampled_from(sorted(locations)), st.sampled_from(GTINS),
                                  st.sampled_from(LOTS)), max_size=12))  # fmt: skip
    balances = [Balance(1, loc, g, lot, draw(st.integers(0, 40)), 0)
                for loc, g, lot in sorted(keys)]  # fmt: skip
    return locations, balances


lines_st = st.lists(
    st.builds(StockLine, st.sampled_from(GTINS), st.integers(1, 60),
              st.sampled_from(["", "", "L20260101", "L20261201", "L9"])),
    min_size=1, max_size=5,
)  # fmt: skip


@given(warehouses(), lines_st)
def test_picking_rules(world: tuple[dict[int, Location], list[Balance]],
                       lines: list[StockLine]) -> None:  # fmt: skip
    locations, balances = world
    result = plan(lines, balances, locations)
    held = {(b.location_id, b.gtin, b.lot): b.on_hand for b in balances}
    taken: dict[tuple[int, str, str], int] = {}
    for p in result.picks:
        assert p.quantity > 0
        assert locations[p.location_id].kind is LocationKind.STOCK
        assert p.location_code == locations[p.location_id].code
        line = lines[p.line_no - 1]
        assert p.gtin == line.gtin and (not line.lot or p.lot == line.lot)
        key = (p.location_id, p.gtin, p.lot)
        taken[key] = taken.get(key, 0) + p.quantity
    for key, qty in taken.items():
        assert qty <= held[key]  # never more than a balance holds, over all lines
    short = {s.line_no: s for s in result.shortages}
    for n, line in enumerate(lines, 1):
        got = sum(p.quantity for p in result.picks if p.line_no == n)
        if n in short:
            assert (short[n].wanted, short[n].found) == (line.quantity, got) and got < line.quantity
        else:
            assert got == line.quantity
        order = [(p.lot, p.location_code) for p in result.picks if p.line_no == n]
        assert order == sorted(order)
    # a product with lines asking for no lot: everything sellable is used before a
    # shortage is reported (a greedy plan that wastes nothing)
    for gtin in GTINS:
        mine = [ln for ln in lines if ln.gtin == gtin]
        if mine and all(not ln.lot for ln in mine):
            sellable = sum(q for (loc, g, _), q in held.items()
                           if g == gtin and locations[loc].kind is LocationKind.STOCK)  # fmt: skip
            picked = sum(taken.get(k, 0) for k in held if k[1] == gtin)
            assert picked == min(sellable, sum(ln.quantity for ln in mine))
    assert result.complete == (not result.shortages)


def test_example_fefo_then_location() -> None:
    locations = {1: Location(1, 1, "main", LocationKind.STOCK),
                 2: Location(2, 1, "B-01", LocationKind.STOCK),
                 3: Location(3, 1, "A-01", LocationKind.STOCK),
                 4: Location(4, 1, "quarantine", LocationKind.QUARANTINE)}  # fmt: skip
    g = GTINS[0]
    balances = [Balance(1, 1, g, "L2", 10, 0), Balance(1, 2, g, "L1", 5, 0),
                Balance(1, 3, g, "L1", 5, 0), Balance(1, 4, g, "L0", 99, 0)]  # fmt: skip
    result = plan([StockLine(g, 12), StockLine(g, 9)], balances, locations)
    assert [(p.line_no, p.location_code, p.lot, p.quantity) for p in result.picks] == [
        (1, "A-01", "L1", 5), (1, "B-01", "L1", 5), (1, "main", "L2", 2),
        (2, "main", "L2", 8)]  # fmt: skip
    assert [(s.line_no, s.wanted, s.found) for s in result.shortages] == [(2, 9, 8)]
