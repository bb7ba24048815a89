"""Text every backend can store: the check and the escape (property tests)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal.errors import TextInvalid
from veriseal.ledger.text import check, escape, storable

# every code point, surrogates and NUL included (hypothesis leaves surrogates out of
# st.text() by default)
any_text = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF))


def _utf8_without_nul(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


@given(any_text)
def test_storable_is_valid_utf8_without_nul(value: str) -> None:
    assert storable(value) == _utf8_without_nul(value)


@given(any_text)
def test_check_refuses_exactly_the_unstorable(value: str) -> None:
    if storable(value):
        assert check(value) == value
    else:
        with pytest.raises(TextInvalid) as caught:
            check(value)
        assert caught.value.message.isascii()  # the bad value is never repeated


@given(any_text)
def test_escape_is_storable_and_keeps_storable_text(value: str) -> None:
    out = escape(value)
    assert storable(out)
    if storable(value):
        assert out == value


def test_escape_spells_the_characters() -> None:
    assert escape("C00\x00N") == "C00\\x00N"
    assert escape("\ud800x\udfff") == "\\ud800x\\udfff"
    assert escape("茶\x00") == "茶\\x00"
