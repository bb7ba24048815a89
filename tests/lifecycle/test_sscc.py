"""SSCC minting, parsing and check digits (hypothesis), and allocation on both backends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal.codes.gtin import gs1_check_digit, make_sscc
from veriseal.engine import Engine
from veriseal.lifecycle.errors import SsccInvalid, SsccSpaceExhausted
from veriseal.lifecycle.logistic_units import is_valid_sscc, label, parse_sscc
from veriseal.models import Brand

from .conftest import PREFIX

prefixes = st.integers(6, 12).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n))


@st.composite
def ssccs(draw: st.DrawFn) -> str:
    prefix = draw(prefixes)
    serial = draw(st.integers(0, 10 ** (16 - len(prefix)) - 1))
    return make_sscc(draw(st.integers(0, 9)), prefix, serial)


def _luhn_like(body: str) -> int:
    """GS1 mod 10 written independently: weights 3,1,3,... from the right."""
    weights = [3 if i % 2 == 0 else 1 for i in range(len(body))]
    total = sum(int(d) * w for d, w in zip(reversed(body), weights, strict=True))
    return (10 - total % 10) % 10


@given(ssccs())
def test_every_printed_form_parses_back(sscc: str) -> None:
    assert len(sscc) == 18 and is_valid_sscc(sscc)
    assert int(sscc[-1]) == _luhn_like(sscc[:-1]) == gs1_check_digit(sscc[:-1])
    rec = label("id.acme.example", sscc)
    for form in (sscc, rec.uri, rec.element_string, "00" + sscc, "]C100" + sscc, rec.uri + "?x=1"):
        assert parse_sscc(form) == sscc


@given(ssccs(), st.integers(1, 9))
def test_a_wrong_check_digit_is_refused(sscc: str, shift: int) -> None:
    bad = sscc[:-1] + str((int(sscc[-1]) + shift) % 10)
    assert not is_valid_sscc(bad)
    with pytest.raises(SsccInvalid):
        parse_sscc(bad)


@given(st.text(max_size=40))
def test_parse_never_raises_anything_else(text: str) -> None:
    try:
        assert is_valid_sscc(parse_sscc(text))
    except SsccInvalid as exc:
        assert exc.code == "sscc_invalid"


def test_known_sscc() -> None:
    # GS1 General Specifications example: (00) 1 0614141 234567890 8
    assert make_sscc(1, "0614141", 234567890) == "106141412345678908"
    assert parse_sscc("(00)106141412345678908") == "106141412345678908"


async def test_mint_allocates_fresh_ranges(engine: Engine, brand: Brand) -> None:
    svc = engine.lifecycle.ssccs
    first = list((await svc.mint(brand, PREFIX, 3)).ssccs())
    second = list((await svc.mint(brand, PREFIX, 2)).ssccs())
    other_ext = list((await svc.mint(brand, PREFIX, 1, extension=5)).ssccs())
    assert len(set(first + second + other_ext)) == 6
    assert [s[8:17] for s in first + second] == [f"{i:09d}" for i in range(5)]
    assert other_ext[0].startswith("5" + PREFIX)
    assert all(is_valid_sscc(s) for s in first + second + other_ext)
    async with engine.ledger.read() as tx:
        row = await tx.fetchrow("SELECT COUNT(*) AS n FROM sscc_allocations")
    assert row is not None and int(row["n"]) == 3  # one row per mint run


async def test_mint_refuses_bad_requests_and_exhaustion(engine: Engine, brand: Brand) -> None:
    svc = engine.lifecycle.ssccs
    for args in (("12345", 1), (PREFIX, 0), ("95060001234x", 1)):
        with pytest.raises(SsccInvalid):
            await svc.mint(brand, *args)
    with pytest.raises(SsccInvalid):
        await svc.mint(brand, PREFIX, 1, extension=10)
    long_prefix = "950600012345"  # 12 digits leave 4: 10,000 serial references
    await svc.mint(brand, long_prefix, 9_999)
    with pytest.raises(SsccSpaceExhausted):
        await svc.mint(brand, long_prefix, 2)
    last = list((await svc.mint(brand, long_prefix, 1)).ssccs())
    assert last == [make_sscc(0, long_prefix, 9_999)]
