"""GTIN check digits and GS1 Digital Link / element strings: examples and properties."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal.codes import digital_link as dl
from veriseal.codes.gtin import gs1_check_digit, make_sscc, normalize_gtin, sscc_check
from veriseal.errors import DigitalLinkInvalid, GtinInvalid

CSET82 = "".join(sorted(dl.CSET82))
values82 = st.text(alphabet=CSET82, min_size=1, max_size=20)
gtins = st.integers(0, 10**13 - 1).map(lambda n: f"{n:013d}" + str(gs1_check_digit(f"{n:013d}")))
dates = st.dates(dt.date(1980, 1, 1), dt.date(2070, 12, 31))
extras = st.lists(
    st.tuples(st.from_regex(r"[a-zA-Z]{1,8}", fullmatch=True), st.text(max_size=30)), max_size=3
)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("4006381333931", "04006381333931"),
        ("9506000134352", "09506000134352"),
        ("96385074", "00000096385074"),
        ("036000291452", "00036000291452"),
        (" 950-6000 134352 ", "09506000134352"),
        ("09506000134352", "09506000134352"),
    ],
)
def test_known_gtins(text: str, want: str) -> None:
    assert normalize_gtin(text) == want


@pytest.mark.parametrize("good", ["4006381333931", "96385074", "036000291452", "09506000134352"])
def test_every_single_digit_change_is_rejected(good: str) -> None:
    for pos in range(len(good)):
        for d in "0123456789":
            if d != good[pos]:
                with pytest.raises(GtinInvalid):
                    normalize_gtin(good[:pos] + d + good[pos + 1 :])


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "123",
        "40063813339311",
        "4006381333931X",
        "４００６３８１３３３９３１",
        "123456789012345",
    ],
)
def test_bad_gtins(bad: str) -> None:
    with pytest.raises(GtinInvalid):
        normalize_gtin(bad)


def test_sscc() -> None:
    sscc = make_sscc(1, "0614141", 234567890)
    assert sscc == "106141412345678908"  # GS1 General Specifications example
    assert sscc_check(sscc) == sscc
    with pytest.raises(GtinInvalid):
        sscc_check(sscc[:-1] + "3")
    with pytest.raises(GtinInvalid):
        make_sscc(3, "0614141", 10**9)


def test_standard_examples() -> None:
    link = dl.parse("https://id.gs1.org/01/09506000134352/10/ABC/21/123456?17=261231")
    assert (link.gtin, link.lot, link.serial, link.expiry) == (
        "09506000134352",
        "ABC",
        "123456",
        dt.date(2026, 12, 31),
    )
    assert link.host == "id.gs1.org"
    prefixed = dl.parse("https://example.com/some/prefix/01/9506000134352/21/X%2FY?linkType=all")
    assert prefixed.serial == "X/Y" and prefixed.extra == (("linkType", "all"),)
    assert dl.parse("/01/09506000134352").serial is None
    assert dl.parse("https://x.example/01/09506000134352/22/V1/10/L/21/S").cpv == "V1"
    assert dl.parse("/01/09506000134352/21/S?17=261200").expiry == dt.date(2026, 12, 31)


@pytest.mark.parametrize(
    "bad",
    [
        "https://x/01/09506000134352/17/261231",  # data attribute in the path
        "/01/09506000134352/21/a/10/b",  # qualifiers out of order
        "/01/09506000134352/10/a/10/b",  # repeated
        "/01/09506000134352/99/a",  # not a qualifier of 01
        "/01/09506000134352/21/%zz",  # bad escape
        "/01/09506000134352/21/%C3%A9",  # é is not CSET 82
        "/01/09506000134352/21/" + "A" * 21,  # too long
        "/01/09506000134352/21/",  # empty value
        "/01/09506000134352/21/S?17=261331",  # month 13
        "/01/09506000134352/21/S?17=1",
        "/01/09506000134352/21/S?17=261231&17=261231",
        "/01/09506000134352/21/S?21=X",  # key qualifier in the query
        "https:///01/09506000134352",
        "ftp://x/01/09506000134352",
        "/02/09506000134352",
    ],
)
def test_invalid_links(bad: str) -> None:
    with pytest.raises((DigitalLinkInvalid, GtinInvalid)):
        dl.parse(bad)


@settings(max_examples=300, deadline=None)
@given(
    gtin=gtins,
    lot=st.none() | values82,
    serial=st.none() | values82,
    expiry=st.none() | dates,
    extra=extras,
)
def test_build_parse_round_trip(
    gtin: str,
    lot: str | None,
    serial: str | None,
    expiry: dt.date | None,
    extra: list[tuple[str, str]],
) -> None:
    uri = dl.build_uri("id.example.com", gtin, lot, serial, expiry=expiry, extra=extra)
    link = dl.parse(uri)
    assert (link.gtin, link.lot, link.serial, link.expiry) == (gtin.zfill(14), lot, serial, expiry)
    assert link.extra == tuple(extra) and link.host == "id.example.com"
    if serial is not None and set(serial) <= set("ABCDEFGHJKMNPQRSTVWXYZ0123456789"):
        prefix, suffix = dl.uri_prefix("id.example.com", gtin, lot), dl.uri_suffix(expiry, extra)
        assert uri == prefix + serial + suffix


@settings(max_examples=500, deadline=None)
@given(
    gtin=gtins,
    lot=st.none() | values82,
    serial=st.none() | values82,
    expiry=st.none() | dates,
    extra=extras,
    prefix=st.sampled_from(["", "/p", "/a/01x"]),
    scheme=st.sampled_from(["https://id.example.com", "http://h:8080", ""]),
)
def test_fast_and_general_parsers_agree(  # noqa: PLR0917 - hypothesis passes each strategy
    gtin: str,
    lot: str | None,
    serial: str | None,
    expiry: dt.date | None,
    extra: list[tuple[str, str]],
    prefix: str,
    scheme: str,
) -> None:
    uri = dl.build_uri("h", gtin, lot, serial, expiry=expiry, extra=extra)
    uri = scheme + prefix + uri.split("://h", 1)[1]
    general = dl._parse_general(uri)
    fast = dl._parse_fast(uri)
    assert fast is None or fast == general
    assert dl.parse(uri) == general


def test_fast_path_takes_printed_codes() -> None:
    uri = "https://id.acme.example/01/09506000134352/10/L2401-A/21/C00TVD95KFJM1WAMTTGV?17=270630"
    assert dl._parse_fast(uri) == dl._parse_general(uri)
    assert dl._parse_fast(uri) is not None
    assert dl._parse_fast("/01/01/09506000134352/21/X") is None  # general parser decides


@settings(max_examples=300, deadline=None)
@given(gtin=gtins, lot=st.none() | values82, serial=st.none() | values82, expiry=st.none() | dates)
def test_element_string_round_trip(
    gtin: str, lot: str | None, serial: str | None, expiry: dt.date | None
) -> None:
    link = dl.DigitalLink(gtin=gtin, lot=lot, serial=serial, expiry=expiry)
    for text in (
        dl.element_string(link),
        "]d2" + dl.element_string(link),
        dl.element_string_hri(link),
    ):
        if "(" in (lot or "") + (serial or "") and text.startswith("("):
            continue  # brackets in values make the bracketed human-readable form ambiguous
        back = dl.parse_element_string(text)
        assert (back.gtin, back.lot, back.serial, back.expiry) == (gtin, lot, serial, expiry)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=120))
def test_parsers_raise_only_coded_errors(text: str) -> None:
    for parse in (dl.parse, dl.parse_element_string, normalize_gtin):
        with contextlib.suppress(DigitalLinkInvalid, GtinInvalid):
            parse(text)


@settings(max_examples=300, deadline=None)
@given(gtin=gtins, serial=values82, pos=st.integers(0, 200), junk=st.text(min_size=1, max_size=3))
def test_mutated_links_raise_only_coded_errors(gtin: str, serial: str, pos: int, junk: str) -> None:
    uri = dl.build_uri("id.example.com", gtin, "L1", serial, expiry=dt.date(2027, 1, 31))
    pos %= len(uri)
    for mutated in (uri[:pos] + junk + uri[pos:], uri[:pos] + uri[pos + 1 :]):
        with contextlib.suppress(DigitalLinkInvalid, GtinInvalid):
            dl.parse(mutated)
