"""The dealer import's reference check (``dealers.check_refs``): parents first, one reason
per refused row, and a row below a refused row refused too. Pure: no ledger needed."""

from __future__ import annotations

from veriseal import OrgKind
from veriseal_territories.dealers import Dealer, DealerRow, check_refs

D, R = OrgKind.DISTRIBUTOR, OrgKind.RETAILER


def row(line: int, code: str, kind: OrgKind = D, parent: str = "") -> DealerRow:
    return DealerRow(line=line, code=code, name=code, kind=kind, parent=parent)


def dealer(org_id: int, code: str, kind: OrgKind = D, parent_org_id: int | None = 1) -> Dealer:
    return Dealer(org_id, 1, kind, parent_org_id, f"1/{org_id}", code, code, "", "", (), "active")


def test_parents_come_first_whatever_the_file_order() -> None:
    rows = [row(2, "SHOP", R, "SUB"), row(3, "SUB", D, "TOP"), row(4, "TOP")]
    ordered, errors = check_refs(rows, {})
    assert [r.code for r in ordered] == ["TOP", "SUB", "SHOP"] and errors == []


def test_each_refused_row_has_its_reason_and_its_children_are_refused_too() -> None:
    existing = {"OLD": dealer(10, "OLD"), "SHOP": dealer(11, "SHOP", R)}
    rows = [
        row(2, "UNDER-SHOP", D, "SHOP"),  # a distributor under an existing retailer
        row(3, "LOST", D, "NOPE"),  # an unknown parent
        row(4, "A", D, "B"),  # a cycle
        row(5, "B", D, "A"),
        row(6, "CHILD", R, "LOST"),  # below a refused row
        row(7, "OLD", R, "NOPE"),  # an existing dealer's kind: said before its parent
        row(8, "FINE", R, "SHOP"),  # a retailer under an existing retailer: fine
    ]
    ordered, errors = check_refs(rows, existing)
    reasons = {e.line: e.reason for e in errors}
    assert [r.code for r in ordered] == ["FINE"]
    assert reasons[2] == "a distributor cannot be placed under a retailer"
    assert reasons[3] == "parent NOPE is neither in the file nor a dealer"
    assert "parent cycle: " in reasons[4] + reasons[5]
    assert reasons[6] == "its parent LOST (line 3) is refused"
    assert reasons[7] == "dealer OLD is a distributor; its kind cannot change"
    assert [e.line for e in errors] == [2, 3, 4, 5, 6, 7]


def test_an_existing_dealer_cannot_move() -> None:
    existing = {"TOP": dealer(10, "TOP"), "SUB": dealer(11, "SUB", parent_org_id=10)}
    ordered, errors = check_refs([row(2, "SUB", D, ""), row(3, "TOP")], existing)
    assert [r.code for r in ordered] == ["TOP"]
    assert [e.reason for e in errors] == [
        "dealer SUB is under TOP; moving a dealer is not supported"
    ]
