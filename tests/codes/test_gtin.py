"""GTIN and SSCC: known values, exhaustive single-digit errors, properties, hostile input."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal.codes.errors import GtinInvalid
from veriseal.codes.gtin import (
    GTIN_LENGTHS,
    gs1_check_digit,
    make_sscc,
    normalize_gtin,
    sscc_check,
)

DIGITS = "0123456789"


def with_check(body: str) -> str:
    return body + str(gs1_check_digit(body))


gtins = st.sampled_from(GTIN_LENGTHS).flatmap(
    lambda n: st.text(DIGITS, min_size=n - 1, max_size=n - 1).map(with_check)
)


# -- known values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("4006381333931", "04006381333931"),  # EAN-13
        ("9506000134352", "09506000134352"),  # GS1's example GTIN-13
        ("09506000134352", "09506000134352"),  # already 14
        ("96385074", "00000096385074"),  # GTIN-8
        ("036000291452", "00036000291452"),  # UPC-A
        ("10614141000415", "10614141000415"),  # GTIN-14 with indicator digit 1
        ("00000096385074", "00000096385074"),  # a padded GTIN-8 is a valid GTIN-14
    ],
)
def test_known_gtins(text: str, want: str) -> None:
    assert normalize_gtin(text) == want


@pytest.mark.parametrize(
    ("body", "check"),
    [("400638133393", 1), ("950600013435", 2), ("9638507", 4), ("03600029145", 2)],
)
def test_known_check_digits(body: str, check: int) -> None:
    assert gs1_check_digit(body) == check


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (" 4006381333931 ", "04006381333931"),
        ("\t4006381333931\n", "04006381333931"),
        ("400-6381-333931", "04006381333931"),
        ("4006381 333931", "04006381333931"),
        ("40 06 38 13 33 93 1", "04006381333931"),
        ("4006381--333931", "04006381333931"),
        (" 950-6000 134352 ", "09506000134352"),
        ("0 36000 29145 2", "00036000291452"),  # UPC-A as printed under the bars
    ],
)
def test_human_separators_are_accepted(text: str, want: str) -> None:
    assert normalize_gtin(text) == want


def test_check_digit_message_names_the_digits() -> None:
    with pytest.raises(GtinInvalid) as err:
        normalize_gtin("4006381333932")
    assert err.value.message == "GTIN 4006381333932: check digit should be 1, got 2"
    assert err.value.code == "gtin_invalid"


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("123", "3 digits"),
        ("400638133393", "check digit"),  # a GTIN-13 missing a digit reads as a bad UPC-A
        ("123456789", "9 digits"),
        ("1234567890", "10 digits"),
        ("12345678901", "11 digits"),
        ("123456789012345", "15 digits"),
        ("4006381333931X", "'X' is not a digit"),
        ("４００６３８１３３３９３１", "not a digit"),  # full-width digits
        ("٤٠٠٦٣٨١٣٣٣٩٣١", "not a digit"),  # Arabic-Indic digits
        ("4006381333931\x00", "not a digit"),
        ("-4006381333931", "only separate digits"),
        ("4006381333931-", "only separate digits"),
        ("4006381333931 -", "only separate digits"),
        ("+4006381333931", "not a digit"),
        ("4006381333931.0", "not a digit"),
        ("40063813339311", "check digit"),
    ],
)
def test_bad_gtins(bad: str, words: str) -> None:
    with pytest.raises(GtinInvalid) as err:
        normalize_gtin(bad)
    assert words in err.value.message


@pytest.mark.parametrize("bad", [None, 4006381333931, b"4006381333931", ["4006381333931"]])
def test_non_text_is_a_coded_error(bad: Any) -> None:
    with pytest.raises(GtinInvalid):
        normalize_gtin(bad)
    with pytest.raises(GtinInvalid):
        gs1_check_digit(bad)


@pytest.mark.parametrize("bad", ["", "12a", "１２", "²", "-1", " 1"])
def test_check_digit_needs_ascii_digits(bad: str) -> None:
    with pytest.raises(GtinInvalid):
        gs1_check_digit(bad)


# -- error detection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "good", ["4006381333931", "96385074", "036000291452", "09506000134352", "10614141000415"]
)
def test_every_single_digit_change_is_rejected(good: str) -> None:
    normalize_gtin(good)
    changed = 0
    for pos in range(len(good)):
        for d in DIGITS:
            if d != good[pos]:
                with pytest.raises(GtinInvalid, match="check digit"):
                    normalize_gtin(good[:pos] + d + good[pos + 1 :])
                changed += 1
    assert changed == 9 * len(good)


@settings(max_examples=200, deadline=None)
@given(gtin=gtins, data=st.data())
def test_any_single_digit_change_is_rejected(gtin: str, data: st.DataObject) -> None:
    pos = data.draw(st.integers(0, len(gtin) - 1))
    digit = data.draw(st.sampled_from(DIGITS).filter(lambda d: d != gtin[pos]))
    with pytest.raises(GtinInvalid):
        normalize_gtin(gtin[:pos] + digit + gtin[pos + 1 :])


@settings(max_examples=200, deadline=None)
@given(gtin=gtins, data=st.data())
def test_adjacent_swaps_are_caught_unless_digits_differ_by_5(
    gtin: str, data: st.DataObject
) -> None:
    # Weights 3 and 1 differ by 2, so swapping a and b shifts the sum by 2(a - b): caught
    # unless a - b is 0 or +-5 -- the known blind spot of the GS1 mod-10 scheme.
    pos = data.draw(st.integers(0, len(gtin) - 2))
    a, b = gtin[pos], gtin[pos + 1]
    swapped = gtin[:pos] + b + a + gtin[pos + 2 :]
    if abs(int(a) - int(b)) in (0, 5):
        assert len(normalize_gtin(swapped)) == 14  # undetected, as the arithmetic predicts
    else:
        with pytest.raises(GtinInvalid):
            normalize_gtin(swapped)


# -- properties ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(gtin=gtins)
def test_valid_gtins_normalize_to_14_digits(gtin: str) -> None:
    out = normalize_gtin(gtin)
    assert len(out) == 14 and out.lstrip("0") == gtin.lstrip("0")
    assert normalize_gtin(out) == out  # idempotent
    assert gs1_check_digit(out[:13]) == int(out[13])  # zero padding keeps the check digit


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_normalize_gtin_raises_only_gtin_invalid(text: str) -> None:
    with contextlib.suppress(GtinInvalid):
        out = normalize_gtin(text)
        assert len(out) == 14 and out.isdigit()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=DIGITS + " -\t\n\x1d٣４", max_size=20))
def test_digit_like_text_raises_only_gtin_invalid(text: str) -> None:
    for check in (normalize_gtin, sscc_check, gs1_check_digit):
        with contextlib.suppress(GtinInvalid):
            check(text)


# -- SSCC --------------------------------------------------------------------------------------


def test_sscc_known_value() -> None:
    sscc = make_sscc(1, "0614141", 234567890)
    assert sscc == "106141412345678908"  # GS1 General Specifications example
    assert sscc_check(sscc) == sscc
    assert sscc_check(" 1 0614141 234567890 8 ") == sscc
    with pytest.raises(GtinInvalid, match="check digit should be 8, got 3"):
        sscc_check(sscc[:-1] + "3")


def test_every_single_digit_change_of_an_sscc_is_rejected() -> None:
    good = "106141412345678908"
    for pos in range(len(good)):
        for d in DIGITS:
            if d != good[pos]:
                with pytest.raises(GtinInvalid):
                    sscc_check(good[:pos] + d + good[pos + 1 :])


@pytest.mark.parametrize(
    "bad", ["", "10614141234567890", "1061414123456789081", "10614141234567890X", "４" * 18]
)
def test_bad_ssccs(bad: str) -> None:
    with pytest.raises(GtinInvalid):
        sscc_check(bad)


@pytest.mark.parametrize(
    ("ext", "prefix", "serial", "words"),
    [
        (10, "0614141", 1, "extension digit"),
        (-1, "0614141", 1, "extension digit"),
        (True, "0614141", 1, "extension digit"),
        ("1", "0614141", 1, "extension digit"),
        (1, "06141", 1, "6 to 12"),  # 5-digit prefix
        (1, "0614141234567", 1, "6 to 12"),  # 13-digit prefix
        (1, "06141x1", 1, "not a digit"),
        (1, "0614141", 10**9, "does not fit"),  # 7-digit prefix leaves 9 digits
        (1, "0614141", -1, "does not fit"),
        (1, "0614141", 1.5, "integer"),
    ],
)
def test_make_sscc_rejects(ext: Any, prefix: str, serial: Any, words: str) -> None:
    with pytest.raises(GtinInvalid) as err:
        make_sscc(ext, prefix, serial)
    assert words in err.value.message


@settings(max_examples=200, deadline=None)
@given(
    ext=st.integers(0, 9),
    prefix=st.integers(6, 12).flatmap(lambda n: st.text(DIGITS, min_size=n, max_size=n)),
    data=st.data(),
)
def test_make_sscc_round_trip(ext: int, prefix: str, data: st.DataObject) -> None:
    serial = data.draw(st.integers(0, 10 ** (16 - len(prefix)) - 1))
    sscc = make_sscc(ext, prefix, serial)
    assert len(sscc) == 18 and sscc.startswith(f"{ext}{prefix}")
    assert int(sscc[1 + len(prefix) : 17]) == serial
    assert sscc_check(sscc) == sscc
