"""GS1 Digital Link URIs and GS1 element strings: strict parsing and building.

Follows the GS1 Digital Link standard 1.x URI syntax:

- the primary key ``01`` (GTIN) and its key qualifiers go in the PATH, qualifiers in the
  fixed order ``22`` (CPV), ``10`` (lot), ``21`` (serial), each optional;
- data attributes such as ``17`` (expiry, YYMMDD) go in the QUERY string; a ``/17/``
  path segment is not valid Digital Link and is rejected;
- any path prefix may precede ``/01/`` (resolvers may live under a path);
- non-GS1 query parameters (``s`` for Veriseal signatures, ``linkType``, ...) are kept in
  order in :attr:`DigitalLink.extra`;
- values are percent-encoded except URI-unreserved characters; AI 10/21/22 values are
  GS1 CSET 82 characters, at most 20.

Every malformed input raises ``DigitalLinkInvalid`` (or ``GtinInvalid`` for the GTIN);
no other exception escapes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from veriseal.codes.gtin import gs1_check_digit, normalize_gtin
from veriseal.errors import DigitalLinkInvalid

CSET82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_QUALIFIERS = ("22", "10", "21")  # the only order the standard allows
_NAMES = {"22": "consumer product variant", "10": "lot", "21": "serial"}
_MAX_VALUE = 20
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_FIXED = {"00": 18, "01": 14, "02": 14, "11": 6, "13": 6, "15": 6, "16": 6, "17": 6, "20": 2}
_VARIABLE = {"10": 20, "21": 20, "22": 20}
_SYMBOLOGY = re.compile(r"^\][A-Za-z][0-9]")
GS = "\x1d"


class DigitalLink(NamedTuple):
    """A parsed Digital Link (or element string, then ``host`` is None).

    A NamedTuple rather than a frozen dataclass: just as immutable, and several times
    cheaper to build on the verification hot path."""

    gtin: str
    lot: str | None = None
    serial: str | None = None
    expiry: dt.date | None = None
    extra: tuple[tuple[str, str], ...] = ()
    host: str | None = None
    cpv: str | None = None


def _encode(value: str) -> str:
    """Percent-encode the UTF-8 bytes of everything but URI-unreserved characters."""
    try:
        return "".join(
            c if c in _UNRESERVED else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
            for c in value
        )
    except UnicodeEncodeError:  # lone surrogates cannot be sent in a URI
        raise DigitalLinkInvalid("the value is not valid Unicode text") from None


def _check_value(ai: str, value: str) -> str:
    if not value:
        raise DigitalLinkInvalid(f"the {_NAMES.get(ai, 'AI ' + ai)} (AI {ai}) is empty")
    if len(value) > _MAX_VALUE:
        raise DigitalLinkInvalid(f"AI {ai} has at most {_MAX_VALUE} characters, got {len(value)}")
    if not CSET82.issuperset(value):
        bad = next(c for c in value if c not in CSET82)
        raise DigitalLinkInvalid(f"character {bad!r} is not allowed in AI {ai}")
    return value


def _this_year() -> int:
    # time.localtime is several times cheaper than date.today() on the verify hot path
    return time.localtime().tm_year


def format_expiry(expiry: dt.date) -> str:
    return expiry.strftime("%y%m%d")


def parse_expiry(text: str, today: dt.date | None = None) -> dt.date:
    """YYMMDD per the GS1 General Specifications: the century puts the year within 49
    years before and 50 after the current one; day 00 means the month's last day."""
    if len(text) != 6 or not text.isascii() or not text.isdigit():
        raise DigitalLinkInvalid(f"expiry {text!r} must be YYMMDD")
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    now = today.year if today else _this_year()
    year = now - now % 100 + yy
    if year - now > 50:
        year -= 100
    elif now - year > 49:
        year += 100
    if not 1 <= mm <= 12:
        raise DigitalLinkInvalid(f"expiry {text}: month {mm:02d} does not exist")
    if dd == 0:
        dd = calendar.monthrange(year, mm)[1]
    try:
        return dt.date(year, mm, dd)
    except ValueError:
        raise DigitalLinkInvalid(f"expiry {text}: day {dd:02d} does not exist") from None


def uri_prefix(host: str, gtin: str, lot: str | None) -> str:
    """Everything of the URI up to and including ``/21/``.

    Contract: ``build_uri(h, g, l, s, expiry=e, extra=x) == uri_prefix(h, g, l) + s +
    uri_suffix(e, x)``
    for every serial ``s`` made of URI-unreserved characters (all Veriseal serials), which
    lets bulk minting concatenate serials without building each URI.
    """
    path = f"https://{host}/01/{normalize_gtin(gtin)}"
    if lot is not None:
        path += f"/10/{_encode(_check_value('10', lot))}"
    return path + "/21/"


def uri_suffix(expiry: dt.date | None, extra: Sequence[tuple[str, str]] = ()) -> str:
    """The query string (with its ``?``), or ``""`` when there is nothing to add."""
    params = [("17", format_expiry(expiry))] if expiry else []
    params += list(extra)
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
) -> str:
    """A Digital Link URI ``https://host/01/GTIN[/10/lot][/21/serial][?17=..&k=v]``."""
    if serial is None:
        base = uri_prefix(host, gtin, lot)[: -len("/21/")]
    else:
        base = uri_prefix(host, gtin, lot) + _encode(_check_value("21", serial))
    return base + uri_suffix(expiry, extra)


def _decode(text: str) -> str:
    if "%" not in text:
        return text  # the common case: Veriseal values never need escaping
    if _BAD_ESCAPE.search(text):
        raise DigitalLinkInvalid(f"bad percent-escape in {text!r}")
    try:
        pieces = text.split("%")
        out = bytearray(pieces[0].encode("utf-8"))
        for piece in pieces[1:]:
            out.append(int(piece[:2], 16))
            out += piece[2:].encode("utf-8")
        return out.decode("utf-8")
    except (ValueError, UnicodeError):
        raise DigitalLinkInvalid(f"{text!r} does not decode to UTF-8 text") from None


def _split_uri(text: str) -> tuple[str | None, str, str]:
    """(host, path, query) of an http(s) URI or a bare path."""
    lowered = text[:8].lower()
    host: str | None = None
    if lowered.startswith(("https://", "http://")):
        rest = text.split("://", 1)[1]
        host, slash, rest = rest.partition("/")
        if not host or not slash:
            raise DigitalLinkInvalid("the URI has no host or no path")
        text = "/" + rest
    elif not text.startswith("/"):
        raise DigitalLinkInvalid("expected an http(s) URI or a path starting with '/'")
    text = text.split("#", 1)[0]
    path, _, query = text.partition("?")
    return host, path, query


def _parse_path(path: str) -> dict[str, str]:
    segments = path.split("/")[1:]
    try:
        start = segments.index("01")
    except ValueError:
        raise DigitalLinkInvalid("no GTIN: the path has no /01/ segment") from None
    pairs = segments[start:]
    if pairs and pairs[-1] == "":
        pairs = pairs[:-1]  # one trailing slash is harmless
    if len(pairs) % 2:
        raise DigitalLinkInvalid(f"AI {pairs[-1]!r} has no value in the path")
    found: dict[str, str] = {"01": _decode(pairs[1])}
    allowed = list(_QUALIFIERS)
    for ai, value in zip(pairs[2::2], pairs[3::2], strict=True):
        if ai not in allowed:
            if ai in _QUALIFIERS or ai == "01":
                raise DigitalLinkInvalid(f"AI {ai} is repeated or out of order in the path")
            raise DigitalLinkInvalid(
                f"AI {ai!r} is not a key qualifier of 01; data attributes such as 17 go"
                " in the query string"
            )
        allowed = allowed[allowed.index(ai) + 1 :]
        found[ai] = _check_value(ai, _decode(value))
    return found


# The common case: what Veriseal prints, scanned back unchanged (no escapes, lot and
# serial only). It is a strict subset of what _parse_general accepts and MUST give the same
# result (tests/codes/test_gs1.py checks both on random links). It saves about 4 us of the
# ~10 us an offline check spends outside the signature.
_FAST = re.compile(
    r"(?:https?://(?P<host>[A-Za-z0-9.:-]+))?(?:/(?!01/)[^/?#%\s]+)*?/01/(?P<gtin>[0-9]{14})"
    r"(?:/10/(?P<lot>[A-Za-z0-9._~-]{1,20}))?(?:/21/(?P<serial>[A-Za-z0-9._~-]{1,20}))?"
    r"(?:\?(?P<query>[A-Za-z0-9._~=&-]*))?"
)


def _parse_fast(text: str) -> DigitalLink | None:
    m = _FAST.fullmatch(text)
    if m is None:
        return None
    gtin = m["gtin"]
    if not _gtin14_ok(gtin):
        return None  # let the general parser word the error
    expiry: dt.date | None = None
    extra: list[tuple[str, str]] = []
    for part in m["query"].split("&") if m["query"] else ():
        if not part:
            continue
        key, _, value = part.partition("=")
        if key == "17" and expiry is None:
            expiry = _expiry_this_year(value, _this_year())
        elif key in _RESERVED_QUERY_KEYS:
            return None
        else:
            extra.append((key, value))
    return DigitalLink(gtin, m["lot"], m["serial"], expiry, tuple(extra), m["host"])


_RESERVED_QUERY_KEYS = frozenset(("01", "17", *_QUALIFIERS))


# Scans repeat a few GTINs and expiry dates (one per batch) millions of times, so these
# pure checks are memoised; the year is part of the key because the century rule uses it.
@lru_cache(maxsize=4096)
def _gtin14_ok(gtin: str) -> bool:
    return gs1_check_digit(gtin[:13]) == int(gtin[13])


@lru_cache(maxsize=4096)
def _expiry_this_year(text: str, year: int) -> dt.date:
    return parse_expiry(text, dt.date(year, 1, 1))


def parse(text: str) -> DigitalLink:
    """Parse a Digital Link URI or path. See the module docstring for what is accepted."""
    if not isinstance(text, str):
        raise DigitalLinkInvalid("a Digital Link must be text")
    text = text.strip()
    return _parse_fast(text) or _parse_general(text)


def _parse_general(text: str) -> DigitalLink:
    host, path, query = _split_uri(text)
    found = _parse_path(path)
    expiry: dt.date | None = None
    extra: list[tuple[str, str]] = []
    for part in query.split("&") if query else []:
        if not part:
            continue
        key, _, value = part.partition("=")
        key, value = _decode(key), _decode(value.replace("+", " "))
        if key == "17":
            if expiry is not None:
                raise DigitalLinkInvalid("AI 17 appears twice")
            expiry = parse_expiry(value)
        elif key in ("01", *_QUALIFIERS):
            raise DigitalLinkInvalid(f"AI {key} belongs in the path, not the query string")
        else:
            extra.append((key, value))
    return DigitalLink(
        gtin=normalize_gtin(found["01"]),
        lot=found.get("10"),
        serial=found.get("21"),
        expiry=expiry,
        extra=tuple(extra),
        host=host,
        cpv=found.get("22"),
    )


def parse_element_string(text: str) -> DigitalLink:
    """Parse ``(01)...(17)...(10)...(21)...`` or the raw form with FNC1 as GS (0x1D) and
    an optional symbology identifier such as ``]d2`` or ``]Q3``."""
    if not isinstance(text, str):
        raise DigitalLinkInvalid("an element string must be text")
    text = text.strip()
    if text.startswith("("):
        fields = _hri_fields(text)
    else:
        fields = _raw_fields(_SYMBOLOGY.sub("", text, count=1).lstrip(GS))
    if "01" not in fields:
        raise DigitalLinkInvalid("the element string has no GTIN (AI 01)")
    for ai in _QUALIFIERS:
        if ai in fields:
            _check_value(ai, fields[ai])
    return DigitalLink(
        gtin=normalize_gtin(fields["01"]),
        lot=fields.get("10"),
        serial=fields.get("21"),
        expiry=parse_expiry(fields["17"]) if "17" in fields else None,
        cpv=fields.get("22"),
    )


def _put(fields: dict[str, str], ai: str, value: str) -> None:
    if ai in fields:
        raise DigitalLinkInvalid(f"AI {ai} appears twice")
    if ai in _FIXED and len(value) != _FIXED[ai]:
        raise DigitalLinkInvalid(f"AI {ai} has {_FIXED[ai]} characters, got {len(value)}")
    fields[ai] = value


def _hri_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for match in re.finditer(r"\(([0-9]{2,4})\)([^(]*)", text):
        ai, value = match.group(1), match.group(2)
        if ai not in _FIXED and ai not in _VARIABLE:
            raise DigitalLinkInvalid(f"AI ({ai}) is not supported here")
        _put(fields, ai, value)
    if not fields or "".join(m.group(0) for m in re.finditer(r"\([0-9]{2,4}\)[^(]*", text)) != text:
        raise DigitalLinkInvalid("not a bracketed GS1 element string")
    return fields


def _raw_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    i = 0
    while i < len(text):
        ai = text[i : i + 2]
        if ai in _FIXED:
            value = text[i + 2 : i + 2 + _FIXED[ai]]
            _put(fields, ai, value)
            i += 2 + _FIXED[ai]
            if text[i : i + 1] == GS:
                i += 1
        elif ai in _VARIABLE:
            end = text.find(GS, i + 2)
            end = len(text) if end < 0 else end
            _put(fields, ai, text[i + 2 : end])
            i = end + 1
        else:
            raise DigitalLinkInvalid(f"unknown or unsupported AI at position {i + 1}: {ai!r}")
    return fields


def element_string(link: DigitalLink, fnc1: str = GS) -> str:
    """Raw element string in the order 01, 17, 10, 21 (what a DataMatrix encodes after
    its leading FNC1); variable-length fields are followed by ``fnc1`` unless last."""
    out = "01" + link.gtin
    if link.expiry:
        out += "17" + format_expiry(link.expiry)
    variable = [(ai, v) for ai, v in (("10", link.lot), ("21", link.serial)) if v]
    out += fnc1.join(ai + v for ai, v in variable)
    return out


def element_string_hri(link: DigitalLink) -> str:
    """Human-readable ``(01)...(17)...(10)...(21)...``."""
    out = f"(01){link.gtin}"
    if link.expiry:
        out += f"(17){format_expiry(link.expiry)}"
    if link.lot:
        out += f"(10){link.lot}"
    if link.serial:
        out += f"(21){link.serial}"
    return out
