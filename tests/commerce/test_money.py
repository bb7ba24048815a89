"""Money: exact minor units, typed amounts parsed without silent rounding, one rounding
rule for shares, and a split whose shares always add up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal_commerce.money import (
    CurrencyMismatch,
    Money,
    MoneyInvalid,
    format_amount,
    parse_amount,
    percent_of,
    split_by_weight,
)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("12.5", "CNY", 1250), ("¥1,200", "CNY", 120000), ("0.01", "CNY", 1), ("500", "JPY", 500),
     ("1.234", "KWD", 1234), ("-3", "CNY", -300), (".5", "CNY", 50)],
)  # fmt: skip
def test_typed_amounts(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize("text", ["1.234", "abc", "1e3", "", "1.2.3", "nan", "¥", "5.5 JPY"])
def test_bad_amounts_are_refused(text: str) -> None:
    with pytest.raises(MoneyInvalid):
        parse_amount(text, "CNY")


def test_yen_has_no_decimals_and_currencies_do_not_mix() -> None:
    with pytest.raises(MoneyInvalid):
        parse_amount("1.5", "JPY")
    with pytest.raises(CurrencyMismatch):
        _ = Money(1, "CNY") + Money(1, "USD")


@given(st.integers(-(10**12), 10**12), st.sampled_from(["CNY", "JPY", "KWD", "USD"]))
def test_format_then_parse_is_identity(minor: int, currency: str) -> None:
    assert parse_amount(format_amount(minor, currency), currency) == minor


def test_percent_rounds_half_away_from_zero() -> None:
    assert percent_of(1, 50) == 1  # 0.5 分 -> 1 分
    assert percent_of(-1, 50) == -1
    assert percent_of(1234, Decimal("12.5")) == 154  # 154.25
    assert percent_of(1235, 10) == 124  # 123.5


@given(
    st.integers(-(10**9), 10**9),
    st.lists(st.integers(0, 10**6), min_size=1, max_size=30),
)
def test_split_always_adds_up(amount: int, weights: list[int]) -> None:
    shares = split_by_weight(amount, weights)
    assert sum(shares) == amount
    assert len(shares) == len(weights)
    if sum(weights) and amount >= 0:
        # no share goes to a line of weight 0, and none is negative
        assert all(s == 0 for s, w in zip(shares, weights, strict=True) if w == 0)
        assert all(s >= 0 for s in shares)
    if 0 <= amount <= sum(weights):  # a discount over line amounts: no line below zero
        assert all(s <= w for s, w in zip(shares, weights, strict=True))


def test_the_remainder_never_takes_a_small_last_line_below_zero() -> None:
    # 2 分 off three lines of 1 分: the last line cannot take the whole remainder
    assert split_by_weight(2, [1, 1, 1]) == [0, 1, 1]
