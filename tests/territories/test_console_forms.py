"""The parsing the territories console views do themselves: penalty amounts and the
labels of grants' product scopes (pure functions, no server)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal import InvalidInput
from veriseal_territories.console_alerts import _penalty
from veriseal_territories.console_common import Labels


def form(amount: str, currency: str = "", reason: str = "") -> dict[str, str]:
    return {"penalty_amount": amount, "penalty_currency": currency, "penalty_reason": reason}


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
def test_a_penalty_amount_reads_back_as_the_number_typed(amount: Decimal) -> None:
    for text in (str(amount), f"{amount:,}"):
        got = _penalty(form(text, "usd", "late"))
        assert got is not None and Decimal(str(got["amount"])) == amount
        assert isinstance(got["amount"], int) == (amount == amount.to_integral_value())
        assert (got["currency"], got["reason"]) == ("usd", "late")


@given(st.text(max_size=12))
def test_anything_else_is_refused_or_means_no_penalty(text: str) -> None:
    try:
        got = _penalty(form(text))
    except InvalidInput:
        return
    if got is None:
        assert not text.replace(",", "").strip()
    else:
        assert 0 <= got["amount"] <= 10**12 and got["currency"] == "CNY"


@pytest.mark.parametrize("text", ["-1", "1e13", "NaN", "Infinity", "five"])
def test_bad_amounts(text: str) -> None:
    with pytest.raises(InvalidInput):
        _penalty(form(text))


def test_product_scope_labels() -> None:
    zh, en = Labels("zh", {}), Labels("en", {})
    assert (zh.product("*"), en.product("*")) == ("全部产品", "All products")
    assert en.product("category:Beverages/Tea") == "Category: Beverages/Tea"
    assert zh.product("gtin:09506000134352") == "09506000134352"
    assert en.region("440300") == "Shenzhen · Guangdong" and en.region(None) == ""
