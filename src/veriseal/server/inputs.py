"""Typed request input: the shapes every JSON route accepts, checked before a handler runs.

Routes declare their path parameters, query and body as msgspec ``Struct`` models built
from the bounded types below. :func:`decode_body`, :func:`convert_query` and
:func:`convert_path` turn a request into those models or raise :class:`InvalidInput`
(400 ``invalid_input``) naming the offending field; nothing reaches a service unchecked.
The same models generate the OpenAPI document (:mod:`veriseal.server.openapi`), so what
is validated and what is documented cannot drift apart.

What the edge refuses, for every route at once:

- integers outside int64 (ids are 1..2^63-1), and any digit that is not ASCII ``0-9``
  (``²``, ``١``), signs, spaces or exponents in path and query integers;
- strings with NUL or lone surrogates (PostgreSQL cannot store NUL; a lone surrogate is
  not text), over their declared length;
- times outside years 1970..9998 once converted to UTC (a time without an offset is
  UTC), so no later arithmetic overflows;
- JSON that is not UTF-8, nested deeper than the model allows, or with unknown fields.

msgspec is used rather than hand-written checks because it validates and documents from
one declaration, and decodes JSON straight into typed objects several times faster
than ``json.loads`` plus checks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import Meta, Struct

from veriseal.errors import InvalidInput

INT64_MAX = 2**63 - 1

#: A row id: a positive int64.
Id = Annotated[int, Meta(ge=1, le=INT64_MAX, description="an id (1..2^63-1)")]
#: A non-negative int64 (indexes, counts).
Count = Annotated[int, Meta(ge=0, le=INT64_MAX)]
#: How many rows a list returns at most.
Limit = Annotated[int, Meta(ge=1, le=1000, description="rows per page, 1..1000")]

_NO_NUL = "^[^\\x00]*$"  # PostgreSQL text cannot hold NUL; no route needs one

Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=_NO_NUL)]
Note = Annotated[str, Meta(max_length=2000, pattern=_NO_NUL)]
Secret = Annotated[str, Meta(min_length=1, max_length=1024, pattern=_NO_NUL)]
#: identifiers, references, scope and key names
Short = Annotated[str, Meta(min_length=1, max_length=64, pattern=_NO_NUL)]
#: a free-text value of a profile or a filter
Line = Annotated[str, Meta(max_length=1000, pattern=_NO_NUL)]
Contact = Annotated[
    str, Meta(min_length=1, max_length=320, pattern=_NO_NUL, description="e-mail or phone")
]
#: a scanned code: GS1 Digital Link URI, element string or serial
Code = Annotated[str, Meta(min_length=1, max_length=4096, pattern=_NO_NUL)]
#: a position in degrees (WGS 84)
Latitude = Annotated[float, Meta(ge=-90, le=90, description="degrees, -90..90")]
Longitude = Annotated[float, Meta(ge=-180, le=180, description="degrees, -180..180")]
#: base64 of an uploaded file (the body limit bounds it too)
Blob = Annotated[str, Meta(min_length=1, max_length=16 * 1024 * 1024)]


class Model(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request models: unknown fields are an error, times are bounded."""

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, dt.datetime):
                setattr(self, name, bounded_time(value, name))


def bounded_time(value: dt.datetime, name: str) -> dt.datetime:
    """``value`` in UTC (naive means UTC), refused outside years 1970..9998."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:
        utc = None
    if utc is None or not 1970 <= utc.year <= 9998:
        raise InvalidInput(f"{name} must be a time between 1970 and 9998")
    return utc


M = TypeVar("M")
_DIGITS = re.compile(r"-?[0-9]{1,19}")


def _clean(value: str, where: str) -> str:
    """A path or query value: refuse NUL and text that is not valid Unicode."""
    if "\x00" in value:
        raise InvalidInput(f"{where} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{where} is not valid UTF-8 text") from None
    return value


def _fields(model: Any) -> tuple[msgspec.structs.FieldInfo, ...]:
    return msgspec.structs.fields(model) if isinstance(model, type) and issubclass(
        model, Struct) else ()  # fmt: skip


def _ints(model: Any) -> frozenset[str]:
    """Fields of ``model`` whose type is (or may be) an integer."""
    found = set()
    for f in _fields(model):
        info = msgspec.inspect.type_info(f.type)
        kinds = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
        if any(isinstance(k, msgspec.inspect.IntType) for k in kinds):
            found.add(f.encode_name)
    return frozenset(found)


def _convert(raw: Mapping[str, Any], model: type[M], where: str) -> M:
    ints = _ints(model)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            _clean(value, f"{where} {key[:40]!r}")
            if key in ints and value and value != "null" and not _DIGITS.fullmatch(value):
                raise InvalidInput(f"{where} {key!r} must be an integer written in ASCII digits")
        values[key] = value
    try:
        return msgspec.convert(values, model, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"{where}: {_describe(exc, model)}") from None


def convert_path(match_info: Mapping[str, str], model: type[M]) -> M:
    """The path parameters as ``model`` (400 ``invalid_input`` if they do not fit)."""
    return _convert(match_info, model, "path parameter")


def convert_query(query: Any, model: type[M]) -> M:
    """The query string (a multidict) as ``model``. A parameter given twice is refused
    unless its field is a list."""
    lists = {f.encode_name for f in _fields(model) if _is_list(f.type)}
    values: dict[str, Any] = {}
    for key in query:
        if key in values:
            continue
        _clean(key, "query parameter name")
        given = query.getall(key)
        if key in lists:
            values[key] = [_clean(v, f"query parameter {key!r}") for v in given]
        elif len(given) > 1:
            raise InvalidInput(f"query parameter {key[:40]!r} is given more than once")
        else:
            values[key] = given[0]
    return _convert(values, model, "query parameter")


def _is_list(kind: Any) -> bool:
    info = msgspec.inspect.type_info(kind)
    kinds = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    return any(isinstance(k, msgspec.inspect.ListType) for k in kinds)


def decode_body(raw: bytes, model: type[M]) -> M:
    """A JSON body as ``model``: 400 ``invalid_input`` for anything else (bad UTF-8, lone
    surrogates, NUL, too deep, unknown fields, out-of-range values)."""
    if not raw:
        raw = b"{}"
    if b"\\u0000" in raw:
        raise InvalidInput("the body contains a NUL character")
    try:
        return msgspec.json.decode(raw, type=model)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"body: {_describe(exc, model)}") from None
    except (msgspec.DecodeError, RecursionError):
        raise InvalidInput("the body is not valid JSON (UTF-8, within limits)") from None


def _describe(exc: msgspec.ValidationError, model: Any) -> str:
    """What is wrong, for a person: msgspec's statement about the input ("Expected
    'int' <= 9223372036854775807 - at '$.days'"), with the allowed values of a choice."""
    message = str(exc).replace("`", "'")
    found = re.search(r"- at '\$\.(\w+)'$", message)
    if found and message.startswith("Invalid enum value"):
        for f in _fields(model):
            info = msgspec.inspect.type_info(f.type)
            choices = getattr(info, "cls", None)
            if f.encode_name == found.group(1) and isinstance(info, msgspec.inspect.EnumType):
                allowed = ", ".join(str(v.value) for v in choices)  # type: ignore[union-attr]
                return f"{f.encode_name} must be one of: {allowed}"
    return message if len(message) < 300 else "a value does not fit its field"


class NoInput(Model):
    """A route that takes no query or body."""


class Page(Model):
    """Keyset paging shared by every list: ``limit`` rows after ``cursor`` (the
    ``next_cursor`` of the previous page). Stable under concurrent inserts."""

    limit: Limit = 100
    cursor: Annotated[str, Meta(max_length=40, pattern="^[A-Za-z0-9_-]*$")] | None = None


def page_cursor(last_id: int | None) -> str | None:
    """The opaque cursor after the row ``last_id`` (None: no further page)."""
    return None if last_id is None else f"i{last_id}"


def after_id(page: Page) -> int | None:
    """The row id a page starts after, from its cursor (400 for a cursor not ours)."""
    if page.cursor is None or page.cursor == "":
        return None
    if not re.fullmatch(r"i[0-9]{1,19}", page.cursor) or int(page.cursor[1:]) > INT64_MAX:
        raise InvalidInput("cursor is not one this server gave out")
    return int(page.cursor[1:])
