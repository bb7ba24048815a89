"""The pure rules of returns, property-tested: the refund value of units returned in
any number of parts adds up to exactly what was paid and no part exceeds its share
rounded up; the quantity rule; the state machine's table (every pair either moves or is
refused with ``return_transition``; final statuses are final; every status is reachable
from ``requested``)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal import VerisealError
from veriseal_commerce.returns_policy import (
    DEFAULT_REASONS,
    ReturnSettings,
    check_products,
    check_quantities,
    check_window,
    checked_reasons,
    refund_value,
)
from veriseal_commerce.returns_states import (
    FINAL,
    TRANSITIONS,
    ReturnAction,
    ReturnStatus,
    next_status,
)


@given(amount=st.integers(0, 10**9), parts=st.lists(st.integers(1, 50), min_size=1, max_size=20))
def test_parts_add_up_to_what_was_paid(amount: int, parts: list[int]) -> None:
    quantity = sum(parts)
    before, values = 0, []
    for k in parts:
        values.append(refund_value(amount, quantity, before, k))
        before += k
    assert sum(values) == amount
    for k, v in zip(parts, values, strict=True):
        share = amount * k / quantity
        assert share - 1 < v < share + 1  # never more than the share rounded up


@given(amount=st.integers(0, 10**7), quantity=st.integers(1, 100), data=st.data())
def test_a_part_is_worth_the_same_whatever_came_before_within_a_cent(
    amount: int, quantity: int, data: st.DataObject
) -> None:
    k = data.draw(st.integers(0, quantity))
    before = data.draw(st.integers(0, quantity - k))
    v = refund_value(amount, quantity, before, k)
    assert 0 <= v <= amount
    assert abs(v - refund_value(amount, quantity, 0, k)) <= 1


def test_refund_value_refuses_impossible_parts() -> None:
    for args in ((100, 0, 0, 0), (100, 5, -1, 1), (100, 5, 3, 3), (100, 5, 0, -1)):
        with pytest.raises(ValueError):
            refund_value(*args)


@given(
    delivered=st.dictionaries(st.sampled_from("ABC"), st.integers(0, 20)),
    returned=st.dictionaries(st.sampled_from("ABC"), st.integers(0, 20)),
    asked=st.dictionaries(st.sampled_from("ABCD"), st.integers(1, 20)),
)
def test_quantities(
    delivered: dict[str, int], returned: dict[str, int], asked: dict[str, int]
) -> None:
    ok = all(n <= delivered.get(g, 0) - returned.get(g, 0) for g, n in asked.items())
    if ok:
        check_quantities(delivered, returned, asked)
    else:
        with pytest.raises(VerisealError) as refused:
            check_quantities(delivered, returned, asked)
        assert refused.value.code == "return_too_many"
        gtin = refused.value.details["gtin"]
        assert asked[gtin] > delivered.get(gtin, 0) - returned.get(gtin, 0)


def test_window_and_products() -> None:
    now = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
    check_window(now - dt.timedelta(days=30), now, 30)
    for last, code in (
        (None, "return_not_eligible"),
        (now - dt.timedelta(days=31), "return_window_closed"),
    ):
        with pytest.raises(VerisealError) as refused:
            check_window(last, now, 30)
        assert refused.value.code == code
    rules = ReturnSettings(1, no_return=frozenset({"A"}), sealed_only=frozenset({"B"}))
    check_products(rules, [("B", False), ("C", True)])
    for line in (("A", False), ("B", True)):
        with pytest.raises(VerisealError) as refused:
            check_products(rules, [line])
        assert refused.value.code == "return_not_eligible"


@given(
    st.lists(
        st.fixed_dictionaries(
            {"code": st.text(max_size=45), "en": st.text(max_size=3), "zh": st.text(max_size=3)}
        ),
        max_size=3,
    )
)
def test_reasons_are_checked(raw: list[dict[str, str]]) -> None:
    try:
        reasons = checked_reasons(raw)
    except VerisealError as refused:
        assert refused.code == "return_invalid"
        return
    assert len({r.code for r in reasons}) == len(reasons) >= 1
    assert all(r.code.isascii() and r.code == r.code.lower() for r in reasons)


def test_default_reasons_pass_their_own_check() -> None:
    assert checked_reasons([r.to_dict() for r in DEFAULT_REASONS]) == DEFAULT_REASONS


@given(st.sampled_from(list(ReturnStatus)), st.sampled_from(list(ReturnAction)))
def test_every_pair_moves_or_is_refused(status: ReturnStatus, action: ReturnAction) -> None:
    if (status, action) in TRANSITIONS:
        assert next_status(status, action) == TRANSITIONS[(status, action)]
        assert status not in FINAL
    else:
        with pytest.raises(VerisealError) as refused:
            next_status(status, action)
        assert refused.value.code == "return_transition"


def test_every_status_is_reachable_and_every_path_can_end() -> None:
    seen, todo = {ReturnStatus.REQUESTED}, [ReturnStatus.REQUESTED]
    while todo:
        s = todo.pop()
        for (f, _), t in TRANSITIONS.items():
            if f == s and t not in seen:
                seen.add(t)
                todo.append(t)
    assert seen == set(ReturnStatus)
    for s in ReturnStatus:  # from every status some final status is reachable
        reach, todo = {s}, [s]
        while todo:
            x = todo.pop()
            for (f, _), t in TRANSITIONS.items():
                if f == x and t not in reach:
                    reach.add(t)
                    todo.append(t)
        assert reach & FINAL, s
