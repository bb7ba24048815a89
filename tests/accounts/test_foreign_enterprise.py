"""Foreign enterprises' real-name data: ISO 3166-1 country codes and registration
numbers (normalised, never checksummed), with property-based tests of the normaliser."""

from __future__ import annotations

import re

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal.accounts.errors import IdentityInvalid
from veriseal.accounts.identity import (
    REGISTRATION_MAX,
    normalize_country,
    normalize_enterprise_number,
    normalize_registration_number,
)

ALLOWED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-./"
CANONICAL = re.compile(r"[A-Z0-9\-./]+( [A-Z0-9\-./]+)*")
#: one or more allowed characters, with runs of spaces between and around the words
words = st.lists(st.text(ALLOWED, min_size=1, max_size=8), min_size=1, max_size=6)
gaps = st.lists(st.text(" ", min_size=1, max_size=3), min_size=7, max_size=7)


@given(words, gaps, st.text(" \t", max_size=2), st.text(" \t", max_size=2))
def test_registration_number_normalised(
    parts: list[str], spaces: list[str], lead: str, trail: str
) -> None:
    raw = lead + "".join(p + s for p, s in zip(parts, spaces[1:], strict=False)) + trail
    expected = " ".join(p.upper() for p in parts)
    if len(expected) > REGISTRATION_MAX:
        with pytest.raises(IdentityInvalid, match="1 to 64"):
            normalize_registration_number(raw)
        return
    value = normalize_registration_number(raw)
    assert value == expected and CANONICAL.fullmatch(value)
    assert normalize_registration_number(value) == value  # idempotent


@given(st.text(min_size=1, max_size=70))
def test_registration_number_accepts_only_its_alphabet(raw: str) -> None:
    try:
        value = normalize_registration_number(raw)
    except IdentityInvalid:
        return
    assert CANONICAL.fullmatch(value) and 1 <= len(value) <= REGISTRATION_MAX
    assert normalize_registration_number(value) == value


@pytest.mark.parametrize("bad", ["", "   ", "01_01", "0101\t234", "x" * 65, "Á123", "12#3"])
def test_bad_registration_numbers(bad: str) -> None:
    with pytest.raises(IdentityInvalid):
        normalize_registration_number(bad)


def test_full_width_input_is_folded() -> None:
    assert normalize_registration_number("０１０１２３４５６７") == "0101234567"
    assert normalize_registration_number(" hrb  12345 b ") == "HRB 12345 B"


@given(st.sampled_from([c.alpha_2 for c in pycountry.countries]))
def test_every_iso_country_is_accepted(code: str) -> None:
    assert normalize_country(code.lower()) == code


@pytest.mark.parametrize("bad", ["ZZ", "XK", "UK", "VNM", "V", "", "1A", "中国"])
def test_unknown_countries_are_refused(bad: str) -> None:
    with pytest.raises(IdentityInvalid):
        normalize_country(bad)


def test_china_keeps_the_credit_code_check() -> None:
    assert normalize_enterprise_number("CN", "91350100m000100y43") == "91350100M000100Y43"
    with pytest.raises(IdentityInvalid, match="GB 32100"):
        normalize_enterprise_number("CN", "91350100M000100Y44")
    # the same text is a plausible registration number elsewhere: no checksum invented
    assert normalize_enterprise_number("VN", "91350100M000100Y44") == "91350100M000100Y44"
