"""Identity formats: E.164 phones, e-mail, GB 11643 resident IDs, GB 32100 credit codes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal.accounts.errors import IdentityInvalid
from veriseal.accounts.identity import (
    USCC_ALPHABET,
    mask,
    normalize_email,
    normalize_phone,
    normalize_resident_id,
    normalize_uscc,
    resident_id_check,
    uscc_check,
)


def test_published_examples() -> None:
    # the example printed in GB 11643's explanatory material and the widely cited
    # sample licence code: both must pass as published
    assert normalize_resident_id("11010519491231002x") == "11010519491231002X"
    assert normalize_uscc(" 91350100m000100y43 ") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("138 1234 5678", "+8613812345678"),
        ("+86 138-1234-5678", "+8613812345678"),
        ("+1 (650) 253-0000", "+16502530000"),
        ("0086 13812345678", "+8613812345678"),
    ],
)
def test_phone_e164(text: str, e164: str) -> None:
    assert normalize_phone(text) == e164


@pytest.mark.parametrize("text", ["12345", "+86 1381234567", "phone", "", "+999 123456789"])
def test_bad_phones(text: str) -> None:
    with pytest.raises(IdentityInvalid):
        normalize_phone(text)


def test_email() -> None:
    assert normalize_email(" Li.Lei@Example.COM ") == "Li.Lei@example.com"
    for bad in ("no-at", "a@b", "a b@c.com", "@c.com", "a@.com"):
        with pytest.raises(IdentityInvalid):
            normalize_email(bad)


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31))


@given(
    st.from_regex(r"[1-6][0-9]{5}", fullmatch=True),
    dates,
    st.from_regex(r"[0-9]{3}", fullmatch=True),
)
def test_resident_id_round_trip_and_single_errors(area: str, born: dt.date, seq: str) -> None:
    body = f"{area}{born:%Y%m%d}{seq}"
    valid = body + resident_id_check(body)
    assert normalize_resident_id(valid) == valid
    # MOD 11-2 catches every single-digit substitution in the body
    for i in range(17):
        wrong = body[:i] + str((int(body[i]) + 1) % 10) + body[i + 1 :]
        if wrong[6:14] == body[6:14]:
            with pytest.raises(IdentityInvalid, match="check"):
                normalize_resident_id(wrong + valid[17])


def test_resident_id_rejects_impossible_dates() -> None:
    body = "11010519490231002"  # 31 February
    with pytest.raises(IdentityInvalid, match="date"):
        normalize_resident_id(body + resident_id_check(body))


@given(
    st.sampled_from("159"),
    st.sampled_from("123"),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    st.text(USCC_ALPHABET, min_size=9, max_size=9),
)
def test_uscc_round_trip_and_single_errors(auth: str, kind: str, area: str, org: str) -> None:
    body = auth + kind + area + org
    valid = body + uscc_check(body)
    assert normalize_uscc(valid) == valid
    for i in (0, 1, 8, 12, 16):  # substitutions outside the digits-only division part
        sym = USCC_ALPHABET[(USCC_ALPHABET.index(body[i]) + 7) % 31]
        with pytest.raises(IdentityInvalid, match="check"):
            normalize_uscc(body[:i] + sym + body[i + 1 :] + valid[17])


@pytest.mark.parametrize("bad", ["91350100M000100Y4", "91350100M000100YI3", "9135O100M000100Y43"])
def test_uscc_form(bad: str) -> None:
    with pytest.raises(IdentityInvalid):
        normalize_uscc(bad)


def test_mask() -> None:
    assert mask("11010519491231002X") == "1101**********002X"


def test_non_ascii_digits_are_not_digits() -> None:
    # "\d" in Python's re matches Arabic-Indic digits too; an ID must not. Full-width
    # digits, as a Chinese input method types them, are folded to ASCII instead.
    arabic = "".join(chr(0x660 + int(c)) for c in "11010519491231002") + "X"
    with pytest.raises(IdentityInvalid):
        normalize_resident_id(arabic)
    fullwidth = "".join(chr(0xFF10 + int(c)) for c in "11010519491231002") + "\uff58"
    assert normalize_resident_id(fullwidth) == "11010519491231002X"
