"""GS1 Digital Link URIs and GS1 element strings: strict parsing and building.

Follows the URI syntax of the GS1 Digital Link standard 1.x for the GTIN primary key::

    https://{host}[/{path prefix}]/01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}][?{query}]

- The primary key ``01`` and its key qualifiers go in the PATH, the qualifiers in the fixed
  order ``22`` (consumer product variant), ``10`` (lot), ``21`` (serial), each optional.
  Anything else in the path after ``/01/`` is rejected: unknown AIs, repeats, qualifiers
  out of order and data attributes. ``/17/`` in the path is NOT valid Digital Link: AI 17
  (expiry, YYMMDD) is a data attribute and belongs in the query string (``?17=261231``).
- Any path prefix may precede ``/01/`` (resolvers may live under a path). As in GS1's
  reference parser, the key is found by walking AI/value pairs back from the END of the
  path, so a prefix may even contain an ``01`` segment (``/01/x/01/{gtin}`` has prefix
  ``/01/x``) and a value equal to ``01`` is never mistaken for the key.
- The GTIN may be written as 8, 12, 13 or 14 digits; it is returned as 14.
- Query: ``17`` becomes :attr:`DigitalLink.expiry`; other GS1 data attributes (all-numeric
  names, 2 to 4 digits) and non-GS1 parameters (``s`` for Veriseal signatures,
  ``linkType``, ...) are kept in order in :attr:`DigitalLink.extra`. An all-numeric name
  that cannot be an AI, an empty name, a repeated AI and a key or key qualifier in the
  query (``01``, ``22``, ``10``, ``21``) are rejected. ``+`` in the query means a space
  (HTML form encoding, as GS1's reference parser reads it); use ``%2B`` for a plus.
- Only RFC 3986 characters may appear literally; every value is percent-decoded strictly
  (a ``%`` must start two hex digits and the bytes must be UTF-8). When building, every
  character except the URI-unreserved ``A-Z a-z 0-9 - . _ ~`` is percent-encoded.
- AI 10/21/22 values are GS1 "CSET 82" characters, 1 to 20 of them (after decoding).
- Host names are checked (letters, digits, hyphens, dots, optional port; no ``user@``,
  which only serves to disguise the real host) and returned in lower case.

Not supported, and rejected with a message saying so: other primary keys (SSCC ``/00/``,
GLN ``/414/``, ...), AI 235, the alphabetic short names of DL 1.0 (``/gtin/``, ``/lot/``,
``/ser/``) and compressed Digital Link.

Expiry dates follow the GS1 General Specifications: YY is placed within 49 years before and
50 years after the current year, and day ``00`` (parsing only) means the month's last day.

Contract: every parse or build either returns or raises
:class:`~veriseal.errors.DigitalLinkInvalid` (or :class:`~veriseal.errors.GtinInvalid` for
the GTIN or an SSCC value); no other exception escapes, whatever the input string. Pure:
standard library only, no I/O; the only outside state read is the clock's year (the YY
century rule needs it).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote_to_bytes

from veriseal.codes.errors import DigitalLinkInvalid, GtinInvalid
from veriseal.codes.gtin import GTIN_LENGTHS, gs1_check_digit, normalize_gtin, sscc_check

__all__ = [
    "CSET82",
    "GS",
    "DigitalLink",
    "build_uri",
    "element_string",
    "element_string_hri",
    "encode_serial",
    "format_expiry",
    "parse",
    "parse_element_string",
    "parse_expiry",
    "uri_prefix",
    "uri_suffix",
]

#: GS1 AI encodable character set 82 (GS1 General Specifications, figure 7.11-1): the
#: characters allowed in AI 10, 21 and 22 values.
CSET82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
#: The GS1 group separator (ASCII 29) that stands for FNC1 in transmitted element strings.
GS = "\x1d"

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_QUALIFIERS = ("22", "10", "21")  # the only order the standard allows after /01/
_NAMES = {
    "01": "GTIN",
    "10": "lot",
    "17": "expiry date",
    "21": "serial",
    "22": "consumer product variant",
}
_MAX_VALUE = 20  # AI 10, 21 and 22 are all X..20
_MAX_TEXT = 4096  # more than any 2D barcode holds; keeps hostile input cheap to refuse

# RFC 3986: pchar = unreserved / pct-encoded / sub-delims / ":" / "@"; a query or a
# fragment may also hold "/" and "?". Everything else must be percent-encoded.
_PCHAR = "A-Za-z0-9._~!$&'()*+,;=:@%-"
_BAD_PATH_CHAR = re.compile(f"[^/{_PCHAR}]")
_BAD_QUERY_CHAR = re.compile(f"[^/?{_PCHAR}]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(
    rf"(?P<name>{_LABEL}(?:\.{_LABEL})*\.?|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{{1,5}}))?"
)
_MAX_HOST = 253
_OTHER_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")  # RFC 3986 scheme, e.g. ftp: urn:

# Element strings: AIs with a predefined length need no FNC1 after them; the others end at
# a GS or at the end of the data. Only these AIs are understood; any other is rejected,
# since past an unknown AI the rest of a raw element string cannot be split reliably.
_FIXED = {
    "00": 18,  # SSCC
    "01": 14,  # GTIN
    "02": 14,  # GTIN of contained trade items
    "11": 6,  # production date
    "12": 6,  # due date
    "13": 6,  # packaging date
    "15": 6,  # best before date
    "16": 6,  # sell by date
    "17": 6,  # expiry date
    "20": 2,  # internal product variant
}
_VARIABLE = frozenset(("10", "21", "22"))
_DATES = frozenset(("11", "12", "13", "15", "16", "17"))
_HRI_AI = re.compile(r"\(([0-9]{2,4})\)")
# Symbology identifiers (ISO/IEC 15424) of the GS1 carriers: GS1-128, GS1 DataBar, GS1
# DataMatrix, GS1 QR Code, GS1 DotCode. Others (]d1, ]Q1, ...) do not carry GS1 data.
_GS1_SYMBOLOGIES = frozenset(("]C1", "]e0", "]d2", "]Q3", "]J1"))


@dataclass(frozen=True, slots=True)
class DigitalLink:
    """A GTIN-based GS1 Digital Link, parsed from a URI or from an element string.

    Values returned by :func:`parse` and :func:`parse_element_string` are validated:
    ``gtin`` has 14 digits and a correct check digit, ``lot``/``serial``/``cpv`` are 1-20
    CSET 82 characters, and ``extra`` holds the other query parameters (or, from an element
    string, the other supported AIs) as decoded ``(name, value)`` pairs in their order.
    Constructing one directly does NOT validate; :func:`element_string` and
    :func:`element_string_hri` do.
    """

    gtin: str  #: 14 digits
    lot: str | None = None  #: AI 10
    serial: str | None = None  #: AI 21
    expiry: dt.date | None = None  #: AI 17
    extra: tuple[tuple[str, str], ...] = ()
    host: str | None = None  #: lower case, with ":port" if given; None for a path / element string
    cpv: str | None = None  #: AI 22, consumer product variant


def _show(text: str) -> str:
    """``text`` quoted for a message, cut short so junk input cannot flood logs."""
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def _name(ai: str) -> str:
    return f"{_NAMES[ai]} (AI {ai})" if ai in _NAMES else f"AI {ai}"


# -- values ------------------------------------------------------------------------------


def _check_value(ai: str, value: str) -> str:
    """A decoded AI 10/21/22 value: 1 to 20 CSET 82 characters."""
    if not isinstance(value, str):
        raise DigitalLinkInvalid(f"the {_name(ai)} must be text, not {type(value).__name__}")
    if not value:
        raise DigitalLinkInvalid(f"the {_name(ai)} is empty")
    if len(value) > _MAX_VALUE:
        raise DigitalLinkInvalid(
            f"the {_name(ai)} has {len(value)} characters; at most {_MAX_VALUE} are allowed"
        )
    if not CSET82.issuperset(value):
        bad = next(c for c in value if c not in CSET82)
        raise DigitalLinkInvalid(
            f"the {_name(ai)} contains {bad!r}, which is not a GS1 CSET 82 character"
        )
    return value


def _encode(value: str) -> str:
    """Percent-encode the UTF-8 bytes of every character except the URI-unreserved ones."""
    if _UNRESERVED.issuperset(value):
        return value  # the common case, and the reason uri_prefix + serial works
    try:
        return "".join(
            c if c in _UNRESERVED else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
            for c in value
        )
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form
        raise DigitalLinkInvalid(f"{_show(value)} is not valid Unicode text") from None


def _decode(text: str, *, query: bool = False) -> str:
    """Strict percent-decoding: a ``%`` must start two hex digits, the bytes must be UTF-8.

    Callers have already checked that ``text`` holds URI characters only (so ASCII)."""
    if query:
        text = text.replace("+", " ")  # before unescaping, so %2B stays a plus
    if "%" not in text:
        return text
    if _BAD_ESCAPE.search(text):
        raise DigitalLinkInvalid(
            f"bad percent-escape in {_show(text)}: '%' must be followed by two hex digits"
        )
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        raise DigitalLinkInvalid(f"{_show(text)} does not decode to UTF-8 text") from None


def encode_serial(serial: str) -> str:
    """The serial (AI 21) as it appears in the URI path: validated, percent-encoded.

    Serials made only of ``A-Z a-z 0-9 - . _`` (all Veriseal serials) come back unchanged.
    Raises ``DigitalLinkInvalid`` unless the serial is 1-20 CSET 82 characters.
    """
    return _encode(_check_value("21", serial))


def _check_host(host: str) -> str:
    """A host name or IP literal with an optional port, in lower case."""
    if not isinstance(host, str):
        raise DigitalLinkInvalid(f"the host must be text, not {type(host).__name__}")
    if "@" in host:
        raise DigitalLinkInvalid(
            "user information ('user@') is not allowed before the host of a Digital Link"
        )
    m = _HOST.fullmatch(host)
    if m is None:
        raise DigitalLinkInvalid(
            f"{_show(host)} is not a host name (letters, digits, '-' and '.',"
            " optionally ':port'; e.g. id.example.com)"
        )
    if len(m["name"]) > _MAX_HOST:
        raise DigitalLinkInvalid(f"the host name has more than {_MAX_HOST} characters")
    if m["port"] is not None and int(m["port"]) > 65535:
        raise DigitalLinkInvalid(f"port {m['port']} does not exist (at most 65535)")
    return host.lower()


def _link_gtin(raw: str) -> str:
    """A GTIN as written in a URI or a DigitalLink: 8, 12, 13 or 14 ASCII digits and
    nothing else (the human-friendly spaces and hyphens of normalize_gtin are not URI
    syntax), returned as 14 digits."""
    if not (raw.isascii() and raw.isdigit() and len(raw) in GTIN_LENGTHS):
        raise GtinInvalid(f"the GTIN {_show(raw)} must be 8, 12, 13 or 14 digits")
    return normalize_gtin(raw)


# -- expiry ------------------------------------------------------------------------------


def _this_year() -> int:
    # time.localtime is several times cheaper than date.today() on the verify hot path
    return time.localtime().tm_year


def _century(yy: int, now: int) -> int:
    """The year YY stands for, per GS1 General Specifications 7.12: within 49 years before
    and 50 years after ``now``."""
    year = now - now % 100 + yy
    if year - now > 50:
        return year - 100
    if now - year > 49:
        return year + 100
    return year


def format_expiry(expiry: dt.date, today: dt.date | None = None) -> str:
    """``expiry`` as GS1 YYMMDD (always a real day, never ``00``).

    Raises ``DigitalLinkInvalid`` for a date that YYMMDD cannot carry, i.e. one that would
    be read back in another century (more than 49 years before or 50 after ``today``).
    """
    if not isinstance(expiry, dt.date):
        raise DigitalLinkInvalid(f"the expiry must be a date, not {type(expiry).__name__}")
    now = today.year if today else _this_year()
    if _century(expiry.year % 100, now) != expiry.year:
        raise DigitalLinkInvalid(
            f"expiry {expiry.isoformat()} cannot be written as YYMMDD: it must fall between"
            f" {now - 49} and {now + 50}"
        )
    return f"{expiry.year % 100:02d}{expiry.month:02d}{expiry.day:02d}"


def parse_expiry(text: str, today: dt.date | None = None) -> dt.date:
    """A GS1 YYMMDD date (AI 17 and friends) -> date.

    The century comes from the current year (or ``today``'s), see :func:`_century`; day
    ``00`` means the last day of the month. Raises ``DigitalLinkInvalid``.
    """
    if not isinstance(text, str):
        raise DigitalLinkInvalid(f"the expiry date must be text, not {type(text).__name__}")
    if len(text) != 6 or not text.isascii() or not text.isdigit():
        raise DigitalLinkInvalid(f"the expiry date {_show(text)} must be 6 digits, YYMMDD")
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    if not 1 <= mm <= 12:
        raise DigitalLinkInvalid(f"expiry date {text}: month {mm:02d} does not exist")
    year = _century(yy, today.year if today else _this_year())
    if dd == 0:
        dd = calendar.monthrange(year, mm)[1]
    try:
        return dt.date(year, mm, dd)
    except ValueError:
        raise DigitalLinkInvalid(f"expiry date {text}: day {dd:02d} does not exist") from None


# -- building ----------------------------------------------------------------------------


def uri_prefix(host: str, gtin: str, lot: str | None, *, cpv: str | None = None) -> str:
    """Everything of the URI up to and including ``/21/``.

    Contract (what bulk minting relies on)::

        build_uri(h, g, l, s, expiry=e, extra=x, cpv=c)
            == uri_prefix(h, g, l, cpv=c) + encode_serial(s) + uri_suffix(e, x)

    and ``encode_serial(s) == s`` whenever ``s`` uses only ``A-Z a-z 0-9 - . _`` (all
    Veriseal serials), so minting validates host, GTIN and lot once per batch and then
    concatenates serials. Raises ``DigitalLinkInvalid`` / ``GtinInvalid``.
    """
    out = f"https://{_check_host(host)}/01/{normalize_gtin(gtin)}"
    if cpv is not None:
        out += f"/22/{_encode(_check_value('22', cpv))}"
    if lot is not None:
        out += f"/10/{_encode(_check_value('10', lot))}"
    return out + "/21/"


def _check_extra(extra: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The extra query parameters, checked by the rules :func:`parse` enforces, so that
    whatever is built parses back to the same pairs."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for pair in extra:
        try:
            key, value = pair
        except (TypeError, ValueError):
            raise DigitalLinkInvalid(
                f"an extra query parameter must be a (name, value) pair, got {pair!r}"
            ) from None
        if not isinstance(key, str) or not isinstance(value, str):
            raise DigitalLinkInvalid(f"query parameter names and values are text: {pair!r}")
        _check_query_param(key, value, seen)
        out.append((key, value))
    return out


def uri_suffix(expiry: dt.date | None, extra: Sequence[tuple[str, str]] = ()) -> str:
    """The query string with its ``?`` (``?17=YYMMDD`` first, then ``extra`` in order), or
    ``""`` when there is nothing to add. Names and values are percent-encoded.

    ``extra`` names must not be empty, nor an AI this module places itself (01, 10, 17, 21,
    22); an all-numeric name is a GS1 data attribute (2 to 4 digits, at most once, non-empty
    value). Raises ``DigitalLinkInvalid``.
    """
    params = [("17", format_expiry(expiry))] if expiry is not None else []
    params += _check_extra(extra)
    if not params:
        return ""
    return "?" + "&".join(f"{_encode(k)}={_encode(v)}" for k, v in params)


def build_uri(
    host: str,
    gtin: str,
    lot: str | None,
    serial: str | None,
    *,
    expiry: dt.date | None = None,
    extra: Sequence[tuple[str, str]] = (),
    cpv: str | None = None,
) -> str:
    """``https://{host}/01/{gtin14}[/22/{cpv}][/10/{lot}][/21/{serial}][?17=YYMMDD[&k=v...]]``.

    ``gtin`` may be any form :func:`~veriseal.codes.gtin.normalize_gtin` accepts; the URI
    always carries 14 digits. ``host`` is a host name (optionally ``:port``), not a URL.
    Raises ``DigitalLinkInvalid`` / ``GtinInvalid``. See :func:`uri_prefix` for the
    prefix + serial + suffix contract.
    """
    prefix = uri_prefix(host, gtin, lot, cpv=cpv)
    suffix = uri_suffix(expiry, extra)
    if serial is None:
        return prefix[: -len("/21/")] + suffix
    return prefix + encode_serial(serial) + suffix


# -- parsing URIs ------------------------------------------------------------------------


def parse(text: str) -> DigitalLink:
    """Parse a Digital Link: an ``http(s)://`` URI (any host, any path prefix before
    ``/01/``) or a bare path starting with ``/``. Surrounding whitespace is ignored; a
    fragment (``#...``) is ignored. See the module docstring for the rules.

    Raises ``DigitalLinkInvalid`` (``GtinInvalid`` for a bad GTIN).
    """
    if not isinstance(text, str):
        raise DigitalLinkInvalid(f"a Digital Link must be text, not {type(text).__name__}")
    text = text.strip()
    if len(text) > _MAX_TEXT:
        raise DigitalLinkInvalid(
            f"the Digital Link has {len(text)} characters; at most {_MAX_TEXT}"
        )
    return _parse_fast(text) or _parse_general(text)


# The common case: what Veriseal prints, scanned back unchanged (lower-case host without
# port, no escapes, lot and serial only, simple query). It is a strict subset of what
# _parse_general accepts and MUST give the same result (the tests check both on random and
# mutated links). It saves several microseconds of an offline check.
_FAST = re.compile(
    r"(?:https?://(?P<host>[a-z0-9.-]+))?"  # checked by _fast_host_ok (cheaper than here)
    r"(?:/(?!01/)[A-Za-z0-9._~!$&'()*+,;=:@-]+)*?"
    r"/01/(?P<gtin>[0-9]{14})"
    r"(?:/10/(?P<lot>[A-Za-z0-9._-]{1,20}))?(?:/21/(?P<serial>[A-Za-z0-9._-]{1,20}))?"
    r"(?:\?(?P<query>[A-Za-z0-9._~=&-]*))?"
)


def _parse_fast(text: str) -> DigitalLink | None:
    """The result for the common case, or None to leave the decision to _parse_general."""
    m = _FAST.fullmatch(text)
    if m is None:
        return None
    gtin, host = m["gtin"], m["host"]
    if not _gtin14_ok(gtin) or (host is not None and not _fast_host_ok(host)):
        return None  # let the general parser word the error
    expiry: dt.date | None = None
    extra: list[tuple[str, str]] = []
    for part in m["query"].split("&") if m["query"] else ():
        if not part:
            continue
        key, _, value = part.partition("=")
        if key == "17" and expiry is None:
            expiry = _expiry_this_year(value, _this_year())
        elif not key or key.isdigit():
            return None  # other AIs, repeats and empty names: the general parser decides
        else:
            extra.append((key, value))
    link: DigitalLink = _new(DigitalLink)  # see _set_gtin below for why not DigitalLink(...)
    _set_gtin(link, gtin)
    _set_lot(link, m["lot"])
    _set_serial(link, m["serial"])
    _set_expiry(link, expiry)
    _set_extra(link, tuple(extra))
    _set_host(link, host)
    _set_cpv(link, None)
    return link


# The generated __init__ of a frozen dataclass pays object.__setattr__ per field, which
# made DigitalLink three times dearer to build than a tuple (~0.4 us, about 1% of a signed
# verification, whose benchmark target has little margin). _parse_fast fills the slots
# through their descriptors (slots=True makes those exist) instead; the result is an
# ordinary DigitalLink (the tests compare it with the general parser's on random and
# mutated links).
_new = object.__new__
_set_gtin = DigitalLink.__dict__["gtin"].__set__
_set_lot = DigitalLink.__dict__["lot"].__set__
_set_serial = DigitalLink.__dict__["serial"].__set__
_set_expiry = DigitalLink.__dict__["expiry"].__set__
_set_extra = DigitalLink.__dict__["extra"].__set__
_set_host = DigitalLink.__dict__["host"].__set__
_set_cpv = DigitalLink.__dict__["cpv"].__set__


@lru_cache(maxsize=256)
def _fast_host_ok(host: str) -> bool:
    """A lower-case host name the general parser accepts unchanged (no port, no final dot:
    those go the general way). Memoised: a batch has one host."""
    m = _HOST.fullmatch(host)
    return m is not None and m["port"] is None and len(host) <= _MAX_HOST and host[-1] != "."


# Scans repeat a few GTINs and expiry dates (one per batch) millions of times, so these
# pure checks are memoised; the year is part of the key because the century rule uses it.
@lru_cache(maxsize=4096)
def _gtin14_ok(gtin: str) -> bool:
    return gs1_check_digit(gtin[:13]) == int(gtin[13])


@lru_cache(maxsize=4096)
def _expiry_this_year(text: str, year: int) -> dt.date:
    return parse_expiry(text, dt.date(year, 1, 1))


def _parse_general(text: str) -> DigitalLink:
    if not text:
        raise DigitalLinkInvalid("the Digital Link is empty")
    host, path, query = _split_uri(text)
    gtin, qualifiers = _parse_path(path)
    expiry, extra = _parse_query(query)
    return DigitalLink(
        gtin=gtin,
        lot=qualifiers.get("10"),
        serial=qualifiers.get("21"),
        expiry=expiry,
        extra=extra,
        host=host,
        cpv=qualifiers.get("22"),
    )


def _split_uri(text: str) -> tuple[str | None, str, str]:
    """(host, path, query) of an http(s) URI or a bare path; characters checked."""
    host, text = _split_authority(text)
    text, _, fragment = text.partition("#")
    path, _, query = text.partition("?")
    _check_part(path, _BAD_PATH_CHAR, "path")
    _check_part(query, _BAD_QUERY_CHAR, "query string")
    _check_part(fragment, _BAD_QUERY_CHAR, "fragment")
    return host, path, query


def _split_authority(text: str) -> tuple[str | None, str]:
    """(host, the rest from the path on) of an http(s) URI; (None, text) of a bare path."""
    scheme = text[:8].lower()
    if scheme.startswith(("https://", "http://")):
        rest = text[text.index("://") + 3 :]
        end = len(rest)
        for delimiter in "/?#":
            found = rest.find(delimiter)
            if 0 <= found < end:
                end = found
        if end == 0:
            raise DigitalLinkInvalid("the URI has no host")
        host = _check_host(rest[:end])
        if not rest[end:].startswith("/"):
            raise DigitalLinkInvalid("the URI has no path: expected /01/{gtin} after the host")
        return host, rest[end:]
    if _OTHER_SCHEME.match(text):
        raise DigitalLinkInvalid("a Digital Link is an http or https URI")
    if not text.startswith("/"):
        raise DigitalLinkInvalid(
            "expected an http(s) URI or a path starting with '/', such as /01/09506000134352"
        )
    return None, text


def _check_part(part: str, bad_char: re.Pattern[str], where: str) -> None:
    """Refuse characters that must be percent-encoded in ``part``, and broken escapes."""
    bad = bad_char.search(part)
    if bad is not None:
        raise DigitalLinkInvalid(
            f"{bad.group()!r} may not appear in a URI {where}; it must be percent-encoded"
        )
    if _BAD_ESCAPE.search(part):
        raise DigitalLinkInvalid(
            f"bad percent-escape in the {where}: '%' must be followed by two hex digits"
        )


def _parse_path(path: str) -> tuple[str, dict[str, str]]:
    """(14-digit GTIN, {qualifier AI: decoded value}) from the path."""
    segments = path.split("/")[1:]  # the path starts with "/"
    if path == "/":
        raise DigitalLinkInvalid(_no_key_message([]))
    if segments[-1] == "":
        raise DigitalLinkInvalid("the path ends with '/'; a Digital Link has no trailing slash")
    if "" in segments:
        raise DigitalLinkInvalid("the path has an empty segment ('//')")
    n = len(segments)
    # Walk AI/value pairs back from the end (GS1's reference parser does the same): the
    # key is the rightmost "01" an even number of segments from the end.
    start = next((i for i in range(n - 2, -1, -2) if segments[i] == "01"), None)
    if start is None:
        raise DigitalLinkInvalid(_no_key_message(segments))
    gtin = _link_gtin(_decode(segments[start + 1]))
    found: dict[str, str] = {}
    rank = 0  # position in _QUALIFIERS of the next qualifier allowed
    for ai, value in zip(segments[start + 2 :: 2], segments[start + 3 :: 2], strict=True):
        if ai not in _QUALIFIERS:
            raise DigitalLinkInvalid(_not_a_qualifier_message(ai))
        if ai in found:
            raise DigitalLinkInvalid(f"the {_name(ai)} appears twice in the path")
        if _QUALIFIERS.index(ai) < rank:
            raise DigitalLinkInvalid(
                f"the {_name(ai)} is out of order: after /01/ the key qualifiers go in the"
                " order /22/ (variant), /10/ (lot), /21/ (serial)"
            )
        rank = _QUALIFIERS.index(ai) + 1
        found[ai] = _check_value(ai, _decode(value))
    return gtin, found


def _no_key_message(segments: list[str]) -> str:
    if "01" in segments:
        return (
            "the path after /01/ must be AI/value pairs: an AI has no value"
            f" (path ends {_show('/' + '/'.join(segments[-3:]))})"
        )
    for alpha in ("gtin", "lot", "ser", "cpv"):
        if alpha in segments:
            return (
                f"the short name /{alpha}/ of Digital Link 1.0 is not supported;"
                " use the numeric AIs (/01/, /22/, /10/, /21/)"
            )
    others = [s for s in segments if s in ("00", "253", "255", "401", "402", "414", "8004")]
    if others:
        return f"only GTIN (AI 01) Digital Links are supported, not AI {others[-1]}"
    return "no GTIN: the path has no /01/{gtin} (compressed Digital Link is not supported)"


def _not_a_qualifier_message(ai: str) -> str:
    if ai == "235":
        return "AI 235 (third-party controlled serial) is not supported"
    if ai.isascii() and ai.isdigit() and 2 <= len(ai) <= 4:
        return (
            f"{_name(ai)} is not a key qualifier of a GTIN: data attributes such as 17 (expiry)"
            f" belong in the query string (?{ai}=...), not the path"
        )
    return f"{_show(ai)} in the path is not a GS1 Application Identifier (expected 22, 10 or 21)"


def _check_query_param(key: str, value: str, seen: set[str]) -> None:
    """Rules for one decoded query parameter other than 17 (shared by parse and build);
    ``seen`` collects the numeric AIs met so far."""
    if not key:
        raise DigitalLinkInvalid("a query parameter has an empty name")
    if not (key.isascii() and key.isdigit()):
        return  # a non-GS1 parameter such as s or linkType: anything goes
    if key in ("01", "17", *_QUALIFIERS):
        where = "once as ?17=YYMMDD" if key == "17" else "in the path"
        raise DigitalLinkInvalid(f"the {_name(key)} belongs {where}, not in the extra parameters")
    if not 2 <= len(key) <= 4:
        raise DigitalLinkInvalid(
            f"query parameter {_show(key)}: all-numeric names are reserved for GS1"
            " Application Identifiers (2 to 4 digits)"
        )
    if key in seen:
        raise DigitalLinkInvalid(f"AI {key} appears twice in the query string")
    if not value:
        raise DigitalLinkInvalid(f"AI {key} has an empty value in the query string")
    seen.add(key)


def _parse_query(query: str) -> tuple[dt.date | None, tuple[tuple[str, str], ...]]:
    expiry: dt.date | None = None
    extra: list[tuple[str, str]] = []
    seen: set[str] = set()
    for part in query.split("&") if query else ():
        if not part:
            continue  # "a=1&&b=2": an empty parameter says nothing
        raw_key, _, raw_value = part.partition("=")
        key, value = _decode(raw_key, query=True), _decode(raw_value, query=True)
        if key == "17":
            if expiry is not None:
                raise DigitalLinkInvalid("the expiry date (AI 17) appears twice in the query")
            expiry = parse_expiry(value)
            continue
        if key in ("01", *_QUALIFIERS):
            raise DigitalLinkInvalid(
                f"the {_name(key)} belongs in the path (/{key}/...), not the query string"
            )
        _check_query_param(key, value, seen)
        extra.append((key, value))
    return expiry, tuple(extra)


# -- element strings ---------------------------------------------------------------------


def parse_element_string(text: str) -> DigitalLink:
    """Parse GS1 element strings into a :class:`DigitalLink` (``host`` None).

    Two forms are accepted:

    - human-readable, AIs in brackets: ``(01)09506000134352(17)261231(10)ABC(21)XYZ``;
      spaces around values are ignored. A value must not itself contain ``(NN)``.
    - raw, as a scanner transmits it: an optional GS1 symbology identifier (``]C1``,
      ``]e0``, ``]d2``, ``]Q3``, ``]J1``), an optional leading GS (FNC1), then
      AI+value fields. AIs of predefined length (00: 18, 01: 14, 02: 14, 11/12/13/15/16/17:
      6, 20: 2) need no separator; variable-length ones (10, 21, 22) end at a GS (0x1D)
      or at the end.

    AI 01 is required and lands in ``gtin``; 17, 10, 21 and 22 in their fields; the other
    supported AIs (00 SSCC, 02, dates 11/12/13/15/16, 20) are validated and kept in
    ``extra`` in order. Unknown AIs and repeats are rejected. Raises ``DigitalLinkInvalid``
    (``GtinInvalid`` for a bad GTIN or SSCC).
    """
    if not isinstance(text, str):
        raise DigitalLinkInvalid(f"an element string must be text, not {type(text).__name__}")
    # str.strip() also removes GS (Python counts it as whitespace): a GS before the first
    # or after the last field separates nothing, so dropping it is harmless
    text = text.strip()
    if len(text) > _MAX_TEXT:
        raise DigitalLinkInvalid(
            f"the element string has {len(text)} characters; at most {_MAX_TEXT}"
        )
    if text.startswith("]"):
        if text[:3] not in _GS1_SYMBOLOGIES:
            raise DigitalLinkInvalid(
                f"symbology identifier {_show(text[:3])} does not announce GS1 data"
                " (expected ]C1, ]e0, ]d2, ]Q3 or ]J1)"
            )
        text = text[3:]
    text = text.removeprefix(GS)  # some scanners send the leading FNC1 as a GS
    if not text:
        raise DigitalLinkInvalid("the element string is empty")
    fields = _hri_fields(text) if text.startswith("(") else _raw_fields(text)
    return _link_from_fields(fields)


def _link_from_fields(fields: list[tuple[str, str]]) -> DigitalLink:
    values: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    for ai, value in fields:
        if ai in values:
            raise DigitalLinkInvalid(f"{_name(ai)} appears twice in the element string")
        values[ai] = _check_field(ai, value)
        if ai not in ("01", "17", *_QUALIFIERS):
            extra.append((ai, values[ai]))
    if "01" not in values:
        raise DigitalLinkInvalid("the element string has no GTIN (AI 01)")
    return DigitalLink(
        gtin=values["01"],
        lot=values.get("10"),
        serial=values.get("21"),
        expiry=parse_expiry(values["17"]) if "17" in values else None,
        extra=tuple(extra),
        cpv=values.get("22"),
    )


def _check_field(ai: str, value: str) -> str:
    """One element-string value, validated for its AI."""
    if ai in _VARIABLE:
        return _check_value(ai, value)
    if len(value) != _FIXED[ai] or not (value.isascii() and value.isdigit()):
        raise DigitalLinkInvalid(f"{_name(ai)} must be {_FIXED[ai]} digits, got {_show(value)}")
    if ai == "01":
        return normalize_gtin(value)
    if ai == "02":
        normalize_gtin(value)  # the GTIN of the contained items: check digit too
    elif ai == "00":
        sscc_check(value)
    elif ai in _DATES:
        parse_expiry(value)  # YYMMDD; its message says "expiry", close enough for 11-16
    return value


def _hri_fields(text: str) -> list[tuple[str, str]]:
    # re.split with a group gives ["before", ai, value, ai, value, ...]
    parts = _HRI_AI.split(text)
    if parts[0].strip():
        raise DigitalLinkInvalid(f"{_show(parts[0])} before the first (AI)")
    fields: list[tuple[str, str]] = []
    for ai, value in zip(parts[1::2], parts[2::2], strict=True):
        if ai not in _FIXED and ai not in _VARIABLE:
            raise DigitalLinkInvalid(f"AI ({ai}) is not supported in element strings")
        fields.append((ai, value.strip(" ")))  # spaces are never part of a GS1 value
    if not fields:
        raise DigitalLinkInvalid("not a bracketed GS1 element string such as (01)09506000134352")
    return fields


def _raw_fields(text: str) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        ai = text[i : i + 2]
        if ai in _FIXED:
            end = i + 2 + _FIXED[ai]
            if end > len(text):
                raise DigitalLinkInvalid(
                    f"{_name(ai)} needs {_FIXED[ai]} digits but the data ends after"
                    f" {len(text) - i - 2}"
                )
            fields.append((ai, text[i + 2 : end]))
            # a GS after a predefined-length field is not needed, but some encoders add one
            i = end + 1 if text[end : end + 1] == GS else end
        elif ai in _VARIABLE:
            end = text.find(GS, i + 2)
            end = len(text) if end < 0 else end
            fields.append((ai, text[i + 2 : end]))
            i = end + 1
        else:
            raise DigitalLinkInvalid(
                f"unknown or unsupported AI {_show(ai)} at position {i + 1} of the element string"
            )
    return fields


def _element_values(link: DigitalLink) -> list[tuple[str, str]]:
    """(AI, value) of ``link`` in the order 01, 17, 22, 10, 21, validated."""
    if not isinstance(link.gtin, str):
        raise GtinInvalid("the GTIN must be text")
    out = [("01", _link_gtin(link.gtin))]
    if link.expiry is not None:
        out.append(("17", format_expiry(link.expiry)))
    for ai, value in (("22", link.cpv), ("10", link.lot), ("21", link.serial)):
        if value is not None:
            out.append((ai, _check_value(ai, value)))
    return out


def element_string(link: DigitalLink, fnc1: str = GS) -> str:
    """The raw element string (what a GS1 DataMatrix or QR encodes after its leading
    FNC1): 01, 17, then 22 / 10 / 21 when present. Variable-length fields (22, 10, 21) are
    followed by ``fnc1`` unless they come last. ``extra`` and ``host`` are not written.

    >>> element_string(DigitalLink("09506000134352", "ABC", "XYZ", dt.date(2026, 12, 31)))
    '01095060001343521726123110ABC\\x1d21XYZ'

    Raises ``DigitalLinkInvalid`` / ``GtinInvalid`` if ``link`` holds invalid values, or if
    ``fnc1`` is empty (the fields could not be told apart).
    """
    if not isinstance(fnc1, str) or not fnc1:
        raise DigitalLinkInvalid("the FNC1 separator must be a non-empty string")
    values = _element_values(link)
    out = ""
    for n, (ai, value) in enumerate(values):
        out += ai + value
        if ai in _VARIABLE and n < len(values) - 1:
            out += fnc1
    return out


def element_string_hri(link: DigitalLink) -> str:
    """Human-readable element string ``(01)...(17)...(22)...(10)...(21)...``, validated
    like :func:`element_string`."""
    return "".join(f"({ai}){value}" for ai, value in _element_values(link))
