"""GS1 Digital Link URIs and element strings: standard examples, rejections, properties and
hostile input."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from veriseal.codes import digital_link as dl
from veriseal.codes.digital_link import GS, DigitalLink
from veriseal.codes.errors import DigitalLinkInvalid, GtinInvalid
from veriseal.codes.gtin import GTIN_LENGTHS, gs1_check_digit
from veriseal.errors import VerisealError

CODED = (DigitalLinkInvalid, GtinInvalid)
TODAY = dt.date.today()
UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
SAFE_SERIAL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._")
HRI_AI = re.compile(r"\([0-9]{2,4}\)")


def with_check(body: str) -> str:
    return body + str(gs1_check_digit(body))


gtins = st.sampled_from(GTIN_LENGTHS).flatmap(
    lambda n: st.text("0123456789", min_size=n - 1, max_size=n - 1).map(with_check)
)
values82 = st.text(alphabet=sorted(dl.CSET82), min_size=1, max_size=20)
# what YYMMDD can carry today: 49 years back, 50 ahead (GS1 General Specifications 7.12)
dates = st.dates(dt.date(TODAY.year - 49, 1, 1), dt.date(TODAY.year + 50, 12, 31))
hosts = st.sampled_from(
    ["id.gs1.org", "id.acme.example", "ID.Example.COM", "127.0.0.1:8080", "[::1]:8443", "x-y.z"]
)
_RESERVED_AIS = {"01", "10", "17", "21", "22"}
non_gs1_names = st.text(min_size=1, max_size=8).filter(lambda k: not (k.isascii() and k.isdigit()))
ai_names = st.from_regex(r"[0-9]{2,4}", fullmatch=True).filter(lambda k: k not in _RESERVED_AIS)
extras = st.tuples(
    st.lists(st.tuples(non_gs1_names, st.text(max_size=30)), max_size=3),
    st.dictionaries(ai_names, st.text(min_size=1, max_size=10), max_size=2),
).flatmap(lambda t: st.permutations(t[0] + list(t[1].items())))


def coded_or_value(fn: Callable[[str], DigitalLink], text: str) -> DigitalLink | None:
    """fn(text), or None if it raised a coded error; anything else fails the test."""
    try:
        return fn(text)
    except CODED as err:
        assert isinstance(err.message, str) and err.message
        assert err.code in ("digital_link_invalid", "gtin_invalid")
        return None


def assert_valid(link: DigitalLink) -> None:
    """What parse promises about anything it returns."""
    assert len(link.gtin) == 14 and link.gtin.isdigit()
    assert gs1_check_digit(link.gtin[:13]) == int(link.gtin[13])
    for value in (link.lot, link.serial, link.cpv):
        assert value is None or (0 < len(value) <= 20 and set(value) <= dl.CSET82)


# -- examples from the standard and GS1 material ----------------------------------------------


def test_standard_example_with_expiry() -> None:
    link = dl.parse("https://id.gs1.org/01/09506000134352/10/ABC/21/123456?17=261231")
    assert link == DigitalLink(
        gtin="09506000134352",
        lot="ABC",
        serial="123456",
        expiry=dt.date(2026, 12, 31),
        extra=(),
        host="id.gs1.org",
    )


@pytest.mark.parametrize(
    ("uri", "want"),
    [
        ("https://id.gs1.org/01/09521234543213", DigitalLink("09521234543213", host="id.gs1.org")),
        (
            "https://id.gs1.org/01/09521234543213/10/ABC123/21/12345",
            DigitalLink("09521234543213", "ABC123", "12345", host="id.gs1.org"),
        ),
        (
            "https://example.com/products/01/09521234543213",
            DigitalLink("09521234543213", host="example.com"),
        ),
        (  # GTIN-13 in the URI: returned as 14 digits
            "https://id.gs1.org/01/9506000134352?linkType=gs1:pip",
            DigitalLink("09506000134352", extra=(("linkType", "gs1:pip"),), host="id.gs1.org"),
        ),
        (  # GTIN-12 (UPC-A) and GTIN-8
            "http://example.com/01/036000291452/21/1",
            DigitalLink("00036000291452", serial="1", host="example.com"),
        ),
        ("/01/96385074", DigitalLink("00000096385074")),
        (
            "https://example.com/01/09506000134352/22/2A/10/ABC%2F123/21/XYZ%2F987",
            DigitalLink("09506000134352", "ABC/123", "XYZ/987", host="example.com", cpv="2A"),
        ),
        (  # other GS1 data attributes and non-GS1 parameters kept in order
            "https://example.com/01/09506000134352/21/S?3103=000189&17=261231&s=x_y-z",
            DigitalLink(
                "09506000134352",
                serial="S",
                expiry=dt.date(2026, 12, 31),
                extra=(("3103", "000189"), ("s", "x_y-z")),
                host="example.com",
            ),
        ),
        (  # day 00: the last day of the month (leap year)
            "/01/09506000134352/21/S?17=280200",
            DigitalLink("09506000134352", serial="S", expiry=dt.date(2028, 2, 29)),
        ),
        (  # a resolver prefix that itself contains an 01 segment; a serial equal to "01"
            "https://r.example/01/x/01/09506000134352/21/01",
            DigitalLink("09506000134352", serial="01", host="r.example"),
        ),
        (  # scheme and host are case-insensitive; the host comes back in lower case
            "HTTPS://ID.GS1.ORG:443/01/09506000134352#frag",
            DigitalLink("09506000134352", host="id.gs1.org:443"),
        ),
        (  # '+' in the query is a space (form encoding); %2B is a plus
            "/01/09506000134352?note=a+b%2Bc&empty=&flag",
            DigitalLink("09506000134352", extra=(("note", "a b+c"), ("empty", ""), ("flag", ""))),
        ),
        (  # percent-escapes decode as UTF-8 in non-GS1 parameters
            "/01/09506000134352?%E5%90%8D=%E9%98%B2%E4%BC%AA",
            DigitalLink("09506000134352", extra=(("名", "防伪"),)),
        ),
        ("  /01/09506000134352/10/L1 \n", DigitalLink("09506000134352", lot="L1")),
    ],
)
def test_valid_links(uri: str, want: DigitalLink) -> None:
    assert dl.parse(uri) == want


def test_build_matches_the_standard_example() -> None:
    uri = dl.build_uri("id.gs1.org", "9506000134352", "ABC", "123456", expiry=dt.date(2026, 12, 31))
    assert uri == "https://id.gs1.org/01/09506000134352/10/ABC/21/123456?17=261231"
    assert dl.build_uri("id.gs1.org", "09506000134352", None, None) == (
        "https://id.gs1.org/01/09506000134352"
    )
    assert dl.build_uri("h.example", "96385074", None, "1", extra=[("s", "sig")]) == (
        "https://h.example/01/00000096385074/21/1?s=sig"
    )
    assert dl.build_uri("h.example", "9506000134352", "L", "S", cpv="V 1".replace(" ", "")) == (
        "https://h.example/01/09506000134352/22/V1/10/L/21/S"
    )


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("ABC-1.2_3", "ABC-1.2_3"),
        ("A/B", "A%2FB"),
        ("A+B", "A%2BB"),
        ("100%", "100%25"),
        ("a?b&c=d", "a%3Fb%26c%3Dd"),
        ("!\"'()*,:;<>", "%21%22%27%28%29%2A%2C%3A%3B%3C%3E"),
    ],
)
def test_values_are_percent_encoded(value: str, encoded: str) -> None:
    assert dl.encode_serial(value) == encoded
    uri = dl.build_uri("h.example", "09506000134352", value, value)
    assert uri == f"https://h.example/01/09506000134352/10/{encoded}/21/{encoded}"
    assert (dl.parse(uri).lot, dl.parse(uri).serial) == (value, value)


def test_extra_parameters_are_encoded() -> None:
    uri = dl.build_uri("h.example", "09506000134352", None, "S", extra=[("k y", "a&b=c+d é")])
    assert uri.endswith("/21/S?k%20y=a%26b%3Dc%2Bd%20%C3%A9")
    assert dl.parse(uri).extra == (("k y", "a&b=c+d é"),)


# -- rejections ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        # path structure
        ("https://x.example/01/09506000134352/17/261231", "belong in the query string"),
        ("/01/09506000134352/21/a/10/b", "out of order"),
        ("/01/09506000134352/10/a/22/b", "out of order"),
        ("/01/09506000134352/10/a/10/b", "appears twice"),
        ("/01/09506000134352/99/a", "not a key qualifier"),
        ("/01/09506000134352/lot/a", "not a GS1 Application Identifier"),
        ("/01/09506000134352/235/a", "AI 235"),
        ("/01/09506000134352/21", "no value"),
        ("/01/09506000134352/", "trailing slash"),
        ("/p//01/09506000134352", "empty segment"),
        ("/02/09506000134352", "no GTIN"),
        ("/gtin/09506000134352", "short name /gtin/"),
        ("https://id.gs1.org/00/106141412345678908", "not AI 00"),
        ("https://id.gs1.org/AQnYUc1gmiERBhQ0ytiyZuAGOLc1TQ", "compressed"),
        ("https://id.gs1.org/", "no GTIN"),
        # values
        ("/01/09506000134352/21/%zz", "percent-escape"),
        ("/01/09506000134352/21/a%2", "percent-escape"),
        ("/01/09506000134352/21/%C3%28", "UTF-8"),
        ("/01/09506000134352/21/%C3%A9", "CSET 82"),  # é
        ("/01/09506000134352/21/%20", "CSET 82"),  # space
        ("/01/09506000134352/21/~", "CSET 82"),  # unreserved but not CSET 82
        ("/01/09506000134352/21/" + "A" * 21, "at most 20"),
        ("/01/09506000134352/21/" + "%41" * 21, "at most 20"),  # counted after decoding
        ("/01/09506000134352/21/a b", "percent-encoded"),
        ('/01/09506000134352/21/a"b', "percent-encoded"),
        ("/01/09506000134352/21/é", "percent-encoded"),
        ("/01/09506000134352/21/[x]", "percent-encoded"),
        # GTIN
        ("/01/09506000134353", "check digit"),
        ("/01/09506000134", "8, 12, 13 or 14 digits"),
        ("/01/0950-6000134352", "8, 12, 13 or 14 digits"),
        ("/01/%EF%BC%90950600013435", "8, 12, 13 or 14 digits"),  # full-width zero
        # query
        ("/01/09506000134352/21/S?17=261331", "month 13"),
        ("/01/09506000134352/21/S?17=260230", "day 30"),
        ("/01/09506000134352/21/S?17=1", "YYMMDD"),
        ("/01/09506000134352/21/S?17=", "YYMMDD"),
        ("/01/09506000134352/21/S?17=261231&17=261231", "twice"),
        ("/01/09506000134352/21/S?3103=1&3103=1", "twice"),
        ("/01/09506000134352/21/S?3103=", "empty value"),
        ("/01/09506000134352/21/S?21=X", "belongs in the path"),
        ("/01/09506000134352?10=X", "belongs in the path"),
        ("/01/09506000134352?01=09506000134352", "belongs in the path"),
        ("/01/09506000134352?5=x", "reserved for GS1"),
        ("/01/09506000134352?12345=x", "reserved for GS1"),
        ("/01/09506000134352?=x", "empty name"),
        ("/01/09506000134352?a=%G0", "percent-escape"),
        ("/01/09506000134352?a=b c", "percent-encoded"),
        ("/01/09506000134352#a#b", "percent-encoded"),
        # scheme and host
        ("", "empty"),
        ("https:///01/09506000134352", "no host"),
        ("https://id.gs1.org", "no path"),
        ("https://id.gs1.org?17=261231", "no path"),
        ("ftp://x.example/01/09506000134352", "http or https"),
        ("id.gs1.org/01/09506000134352", "http(s) URI or a path"),
        ("01/09506000134352", "http(s) URI or a path"),
        ("urn:epc:id:sgtin:0614141.112345.400", "http or https"),
        ("mailto:a@b.example", "http or https"),
        ("https://user@evil.example/01/09506000134352", "user information"),
        ("https://id.gs1.org@evil.example/01/09506000134352", "user information"),
        ("https://-bad.example/01/09506000134352", "not a host name"),
        ("https://a..b/01/09506000134352", "not a host name"),
        ("https://a_b.example/01/09506000134352", "not a host name"),
        ("https://h.example:99999/01/09506000134352", "port"),
        ("https://h.example:/01/09506000134352", "not a host name"),
        ("https://bücher.example/01/09506000134352", "not a host name"),
        ("https://" + "a." * 130 + "example/01/09506000134352", "253"),
        ("/01/09506000134352?x=" + "y" * 5000, "at most 4096"),
    ],
)
def test_invalid_links(bad: str, words: str) -> None:
    with pytest.raises(CODED) as err:
        dl.parse(bad)
    assert words in err.value.message


def test_gtin_errors_keep_their_own_code() -> None:
    with pytest.raises(GtinInvalid) as err:
        dl.parse("https://id.gs1.org/01/09506000134353/21/S")
    assert err.value.code == "gtin_invalid"
    with pytest.raises(DigitalLinkInvalid) as err2:
        dl.parse("https://id.gs1.org/01/09506000134352/17/261231")
    assert err2.value.code == "digital_link_invalid"


@pytest.mark.parametrize("bad", [None, 42, b"/01/09506000134352", ["/01/09506000134352"]])
def test_non_text_is_a_coded_error(bad: Any) -> None:
    with pytest.raises(DigitalLinkInvalid):
        dl.parse(bad)
    with pytest.raises(DigitalLinkInvalid):
        dl.parse_element_string(bad)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"host": "https://id.gs1.org"}, "not a host name"),
        ({"host": "id.gs1.org/path"}, "not a host name"),
        ({"host": "u@id.gs1.org"}, "user information"),
        ({"host": ""}, "not a host name"),
        ({"gtin": "09506000134353"}, "check digit"),
        ({"lot": ""}, "empty"),
        ({"lot": "a b"}, "CSET 82"),
        ({"serial": "x" * 21}, "at most 20"),
        ({"serial": "é"}, "CSET 82"),
        ({"serial": "\ud800"}, "CSET 82"),
        ({"cpv": "~"}, "CSET 82"),
        ({"expiry": dt.date(TODAY.year - 60, 1, 1)}, "cannot be written as YYMMDD"),
        ({"expiry": dt.date(TODAY.year + 60, 1, 1)}, "cannot be written as YYMMDD"),
        ({"expiry": "261231"}, "must be a date"),
        ({"extra": [("17", "261231")]}, "17"),
        ({"extra": [("21", "x")]}, "belongs in the path"),
        ({"extra": [("", "x")]}, "empty name"),
        ({"extra": [("123456", "x")]}, "reserved for GS1"),
        ({"extra": [("3103", "1"), ("3103", "2")]}, "twice"),
        ({"extra": [("3103", "")]}, "empty value"),
        ({"extra": [("s", "\udc80")]}, "not valid Unicode"),
        ({"extra": [("s",)]}, "(name, value) pair"),
        ({"extra": [("s", 1)]}, "text"),
    ],
)
def test_build_rejects(kwargs: dict[str, Any], words: str) -> None:
    args: dict[str, Any] = {"host": "id.gs1.org", "gtin": "09506000134352", "lot": "L"}
    args |= {"serial": "S"} | kwargs
    with pytest.raises(CODED) as err:
        dl.build_uri(**args)
    assert words in err.value.message


def test_digital_link_is_frozen() -> None:
    link = dl.parse("/01/09506000134352/21/S")
    with pytest.raises(dataclasses.FrozenInstanceError):
        link.serial = "T"  # type: ignore[misc]
    assert hash(link) == hash(dl.parse("/01/09506000134352/21/S"))


# -- expiry dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yymmdd", "year_now", "want"),
    [
        ("261231", 2026, dt.date(2026, 12, 31)),
        ("760101", 2026, dt.date(2076, 1, 1)),  # +50: still this century
        ("770101", 2026, dt.date(1977, 1, 1)),  # +51: previous century
        ("991231", 2026, dt.date(1999, 12, 31)),
        ("000101", 2099, dt.date(2100, 1, 1)),  # -99: next century
        ("500101", 2099, dt.date(2050, 1, 1)),  # -49: this century
        ("490101", 2099, dt.date(2149, 1, 1)),  # -50: next century
        ("240200", 2026, dt.date(2024, 2, 29)),
        ("250200", 2026, dt.date(2025, 2, 28)),
        ("261100", 2026, dt.date(2026, 11, 30)),
    ],
)
def test_gs1_century_rule(yymmdd: str, year_now: int, want: dt.date) -> None:
    today = dt.date(year_now, 6, 1)
    assert dl.parse_expiry(yymmdd, today) == want
    if want.day != 0:
        assert dl.parse_expiry(dl.format_expiry(want, today), today) == want


@pytest.mark.parametrize("bad", ["", "26123", "2612311", "26123a", "261300", "260001", "230229"])
def test_bad_expiry_dates(bad: str) -> None:
    with pytest.raises(DigitalLinkInvalid):
        dl.parse_expiry(bad)


# -- build / parse properties ----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    host=hosts,
    gtin=gtins,
    cpv=st.none() | values82,
    lot=st.none() | values82,
    serial=st.none() | values82,
    expiry=st.none() | dates,
    extra=extras,
)
@example(
    host="id.gs1.org",
    gtin="9506000134352",
    cpv=None,
    lot="ABC",
    serial="123456",
    expiry=dt.date(2026, 12, 31),
    extra=[],
)
def test_build_parse_round_trip(
    host: str,
    gtin: str,
    cpv: str | None,
    lot: str | None,
    serial: str | None,
    expiry: dt.date | None,
    extra: list[tuple[str, str]],
) -> None:
    uri = dl.build_uri(host, gtin, lot, serial, expiry=expiry, extra=extra, cpv=cpv)
    assert dl.parse(uri) == DigitalLink(
        gtin=gtin.zfill(14),
        lot=lot,
        serial=serial,
        expiry=expiry,
        extra=tuple(extra),
        host=host.lower(),
        cpv=cpv,
    )
    # only RFC 3986 characters, and no '+' the query parser would read as a space
    assert re.fullmatch(r"[A-Za-z0-9\-._~:/?\[\]@!$&'()*,;=%]+", uri)
    # the bare path parses to the same link, without the host
    path = uri.split("://", 1)[1]
    path = path[path.index("/") :]
    assert dl.parse(path) == dataclasses.replace(dl.parse(uri), host=None)


@settings(max_examples=200, deadline=None)
@given(
    host=hosts,
    gtin=gtins,
    cpv=st.none() | values82,
    lot=st.none() | values82,
    serial=values82,
    expiry=st.none() | dates,
    extra=extras,
)
def test_prefix_serial_suffix_contract(
    host: str,
    gtin: str,
    cpv: str | None,
    lot: str | None,
    serial: str,
    expiry: dt.date | None,
    extra: list[tuple[str, str]],
) -> None:
    prefix = dl.uri_prefix(host, gtin, lot, cpv=cpv)
    suffix = dl.uri_suffix(expiry, extra)
    assert prefix.endswith("/21/")
    assert suffix == "" or suffix.startswith("?")
    uri = dl.build_uri(host, gtin, lot, serial, expiry=expiry, extra=extra, cpv=cpv)
    assert uri == prefix + dl.encode_serial(serial) + suffix
    if set(serial) <= SAFE_SERIAL:  # what bulk minting concatenates without encoding
        assert uri == prefix + serial + suffix


@settings(max_examples=300, deadline=None)
@given(value=values82)
def test_encoding_keeps_only_unreserved_characters_literal(value: str) -> None:
    encoded = dl.encode_serial(value)
    literal = re.sub(r"%[0-9A-F]{2}", "", encoded)
    assert set(literal) <= UNRESERVED
    assert literal == "".join(c for c in value if c in UNRESERVED)


@settings(max_examples=300, deadline=None)
@given(
    gtin=gtins,
    lot=st.none() | values82,
    serial=st.none() | values82,
    expiry=st.none() | dates,
    extra=extras,
    prefix=st.sampled_from(["", "/p", "/a/01x", "/01/x", "/01/01/x", "/~!$&'()*+,;=:@"]),
    scheme=st.sampled_from(["https://id.example.com", "http://h.example:8080", "", "HTTP://H"]),
)
def test_fast_and_general_parsers_agree(
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
    uri = (
        "https://id.acme.example/01/09506000134352/10/L2401-A/21/C00TVD95KFJM1WAMTTGV"
        "?17=270630&s=" + "A-_z" * 21 + "Q9"
    )
    assert dl._parse_fast(uri) is not None
    assert dl._parse_fast(uri) == dl._parse_general(uri)


# -- element strings ----------------------------------------------------------------------------


def test_element_string_examples() -> None:
    want = DigitalLink("09506000134352", "ABC", "XYZ", dt.date(2026, 12, 31))
    for text in (
        "(01)09506000134352(17)261231(10)ABC(21)XYZ",
        "(01) 09506000134352 (17) 261231 (10) ABC (21) XYZ",
        "01095060001343521726123110ABC\x1d21XYZ",
        "]d201095060001343521726123110ABC\x1d21XYZ",
        "]Q3\x1d01095060001343521726123110ABC\x1d21XYZ",
        "]C1010950600013435217261231\x1d10ABC\x1d21XYZ\r\n",  # GS after a fixed field: tolerated
    ):
        assert dl.parse_element_string(text) == want, text
    assert dl.element_string(want) == "01095060001343521726123110ABC\x1d21XYZ"
    assert dl.element_string(want, fnc1="<GS>") == "01095060001343521726123110ABC<GS>21XYZ"
    assert dl.element_string_hri(want) == "(01)09506000134352(17)261231(10)ABC(21)XYZ"
    only_lot = DigitalLink("09506000134352", lot="L")
    assert dl.element_string(only_lot) == "0109506000134352" + "10L"  # no trailing separator
    assert dl.element_string(DigitalLink("9506000134352")) == "0109506000134352"


def test_element_string_keeps_other_supported_ais_in_extra() -> None:
    link = dl.parse_element_string("(01)09506000134352(11)250101(15)261200(22)V(10)L(20)07")
    assert link.extra == (("11", "250101"), ("15", "261200"), ("20", "07"))
    assert (link.cpv, link.lot) == ("V", "L")
    raw = dl.parse_element_string("00106141412345678908" + "0109506000134352" + "21S")
    assert raw.extra == (("00", "106141412345678908"),) and raw.serial == "S"


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("", "empty"),
        ("]d2", "empty"),
        ("]d10109506000134352", "symbology"),
        ("]Q10109506000134352", "symbology"),
        ("(17)261231", "no GTIN"),
        ("17261231", "no GTIN"),
        ("(01)0950600013435", "14 digits"),
        ("(01)0950600013435X", "14 digits"),
        ("(01)09506000134353", "check digit"),
        ("0109506000134353", "check digit"),
        ("01095060001343", "needs 14 digits"),
        ("(01)09506000134352(17)261331", "month 13"),
        ("(01)09506000134352(17)2612", "6 digits"),
        ("(01)09506000134352(01)09506000134352", "twice"),
        ("(01)09506000134352(10)A(10)B", "twice"),
        ("(01)09506000134352(10)", "empty"),
        ("(01)09506000134352(10)" + "A" * 21, "at most 20"),
        ("(01)09506000134352(10)A B", "CSET 82"),
        ("(01)09506000134352(8004)X", "not supported"),
        ("x(01)09506000134352", "unknown or unsupported AI"),
        (" x (01)09506000134352", "unknown or unsupported AI"),
        ("(1)09506000134352", "before the first"),
        ("0109506000134352" + "99X", "unknown or unsupported AI"),
        ("010950600013435210A\x1d\x1d21B", "unknown or unsupported AI"),
        ("0109506000134352" + "10\x1d21B", "empty"),
        ("00106141412345678909" + "0109506000134352", "check digit"),
        ("(01)09506000134352(02)09506000134353", "check digit"),
        ("(01)09506000134352(10)é", "CSET 82"),
    ],
)
def test_invalid_element_strings(bad: str, words: str) -> None:
    with pytest.raises(CODED) as err:
        dl.parse_element_string(bad)
    assert words in err.value.message


@pytest.mark.parametrize(
    ("link", "words"),
    [
        (DigitalLink("09506000134353"), "check digit"),
        (DigitalLink("0950-6000134352"), "digits"),
        (DigitalLink("09506000134352", lot="a\x1db"), "CSET 82"),
        (DigitalLink("09506000134352", serial=""), "empty"),
        (DigitalLink("09506000134352", expiry=dt.date(1900, 1, 1)), "YYMMDD"),
    ],
)
def test_element_string_validates_the_link(link: DigitalLink, words: str) -> None:
    for build in (dl.element_string, dl.element_string_hri):
        with pytest.raises(CODED) as err:
            build(link)
        assert words in err.value.message
    with pytest.raises(DigitalLinkInvalid):
        dl.element_string(DigitalLink("09506000134352"), fnc1="")


@settings(max_examples=300, deadline=None)
@given(
    gtin=gtins,
    cpv=st.none() | values82,
    lot=st.none() | values82,
    serial=st.none() | values82,
    expiry=st.none() | dates,
    symbology=st.sampled_from(["", "]d2", "]Q3", "]C1", "]e0", "]J1", "]d2\x1d", "\x1d"]),
)
def test_element_string_round_trip(
    gtin: str,
    cpv: str | None,
    lot: str | None,
    serial: str | None,
    expiry: dt.date | None,
    symbology: str,
) -> None:
    link = DigitalLink(gtin=gtin.zfill(14), lot=lot, serial=serial, expiry=expiry, cpv=cpv)
    raw = dl.element_string(link)
    assert dl.parse_element_string(symbology + raw) == link
    # the raw form holds exactly the separators needed, and only between fields
    assert not raw.endswith(GS) and GS * 2 not in raw
    hri = dl.element_string_hri(link)
    if not any(v is not None and HRI_AI.search(v) for v in (cpv, lot, serial)):
        assert dl.parse_element_string(hri) == link  # "(NN)" inside a value is ambiguous


@settings(max_examples=200, deadline=None)
@given(
    gtin=gtins,
    lot=st.none() | values82,
    serial=st.none() | values82,
    expiry=st.none() | dates,
)
def test_uri_and_element_string_agree(
    gtin: str, lot: str | None, serial: str | None, expiry: dt.date | None
) -> None:
    from_uri = dl.parse(dl.build_uri("h.example", gtin, lot, serial, expiry=expiry))
    from_es = dl.parse_element_string(dl.element_string(from_uri))
    assert from_es == dataclasses.replace(from_uri, host=None)


# -- hostile input ---------------------------------------------------------------------------------

URI_ALPHABET = "/01%2AFfz?=&#:.hst-p~_+@[]\x1d() é17\t"
ES_ALPHABET = "0123456789()]dQ\x1dABC%"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120) | st.text(alphabet=URI_ALPHABET, max_size=80))
@example("https://x/01/09506000134352/21/S?17=261231")
@example("/01/" + "01/" * 50)
def test_parsers_raise_only_coded_errors(text: str) -> None:
    for parse in (dl.parse, dl.parse_element_string):
        link = coded_or_value(parse, text)
        if link is not None:
            assert_valid(link)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ES_ALPHABET, max_size=60))
def test_element_string_parser_raises_only_coded_errors(text: str) -> None:
    link = coded_or_value(dl.parse_element_string, text)
    if link is not None:
        assert_valid(link)


def _mutations(text: str, pos: int, junk: str) -> list[str]:
    pos %= len(text) + 1
    return [
        text[:pos] + junk + text[pos:],  # insert
        text[:pos] + text[pos + 1 :],  # delete
        text[:pos] + junk + text[pos + len(junk) :],  # overwrite
        text[:pos] + text[pos:].upper(),
        text[:pos] + text[pos:].replace("/", "/01/", 1),
    ]


@settings(max_examples=400, deadline=None)
@given(
    gtin=gtins,
    lot=st.none() | values82,
    serial=values82,
    extra=extras,
    pos=st.integers(0, 300),
    junk=st.text(min_size=1, max_size=3) | st.text(alphabet="/%?&=#01217", min_size=1, max_size=3),
)
def test_mutated_links_raise_only_coded_errors_and_parsers_agree(
    gtin: str,
    lot: str | None,
    serial: str,
    extra: list[tuple[str, str]],
    pos: int,
    junk: str,
) -> None:
    uri = dl.build_uri(
        "id.example.com", gtin, lot, serial, expiry=dt.date(2027, 1, 31), extra=extra
    )
    for mutated in _mutations(uri, pos, junk):
        link = coded_or_value(dl.parse, mutated)
        if link is None:
            continue
        assert_valid(link)
        # whatever the fast path accepts, the general parser accepts identically
        fast = dl._parse_fast(mutated.strip())
        assert fast is None or fast == dl._parse_general(mutated.strip())
        # and whatever parses can be rebuilt and parses back the same
        again = dl.build_uri(
            link.host or "h.example",
            link.gtin,
            link.lot,
            link.serial,
            expiry=link.expiry,
            extra=link.extra,
            cpv=link.cpv,
        )
        assert dl.parse(again) == dataclasses.replace(link, host=link.host or "h.example")


@settings(max_examples=300, deadline=None)
@given(
    gtin=gtins,
    lot=values82,
    serial=values82,
    pos=st.integers(0, 100),
    junk=st.text(min_size=1, max_size=3) | st.text(alphabet="0123456789\x1d()", max_size=3),
)
def test_mutated_element_strings_raise_only_coded_errors(
    gtin: str, lot: str, serial: str, pos: int, junk: str
) -> None:
    link = DigitalLink(gtin.zfill(14), lot, serial, dt.date(2027, 1, 31))
    for text in (dl.element_string(link), dl.element_string_hri(link)):
        for mutated in _mutations(text, pos, junk):
            parsed = coded_or_value(dl.parse_element_string, mutated)
            if parsed is not None:
                assert_valid(parsed)


def test_errors_are_veriseal_errors_with_bounded_messages() -> None:
    junk = "/01/" + "é" * 3000
    with pytest.raises(VerisealError) as err:
        dl.parse(junk)
    assert len(err.value.message) < 200
    with pytest.raises(VerisealError) as err2:
        dl.parse_element_string("(01)" + "9" * 3000)
    assert len(err2.value.message) < 200
    with pytest.raises(VerisealError) as err3:
        dl.parse("https://" + "a" * 3000 + "/01/09506000134352")
    assert len(err3.value.message) < 200
