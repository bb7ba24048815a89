"""A consumer's own API: their verifications and their suspected-fake reports.
Declared as :class:`~veriseal.server.endpoints.Endpoint` s (``/openapi.json`` has each
route's input).

- ``GET /api/v1/me/scans?limit=&cursor=`` (``scans.own``): my scans, newest first, code
  masked but for its last 4 characters (see :mod:`veriseal.scanning.my_scans`).
- ``POST /api/v1/reports`` (``reports.file``): report a suspected fake, as
  ``multipart/form-data``: text fields ``code``, ``gtin``, ``lot``, ``scan_id``,
  ``place``, ``note``, ``contact`` (each at most once) and up to 3 file parts named
  ``photo`` (JPEG, PNG or WebP, each at most 8 MB). Multipart, not JSON with base64:
  three phone photos in base64 outgrow any sane JSON body, and the parts are read as a
  stream, each refused as soon as it passes its limit. 201 with the report.
- ``GET /api/v1/reports/{id}``: the report, for its reporter (``reports.file``) or a
  reader of its brand's alerts (``alerts.read``); the service decides, so the route is
  open to any signed-in caller.
- ``GET /api/v1/reports/{id}/photos/{n}``: photo ``n`` (from 1) as stored, a re-encoded
  JPEG; every read is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiohttp import web
from aiohttp.multipart import BodyPartReader

from veriseal.accounts.permissions import Action
from veriseal.errors import InvalidInput, VerisealError
from veriseal.scanning.errors import PhotoTooLarge, TooManyPhotos
from veriseal.scanning.report_photos import MAX_BYTES, MAX_PHOTOS
from veriseal.scanning.reports import ReportRequest
from veriseal.server.endpoints import Call, Endpoint, Gate
from veriseal.server.inputs import INT64_MAX, Id, Model, Page, after_id, page_cursor
from veriseal.server.listing import page_schema

Schema = dict[str, Any]
_FIELDS = frozenset({"code", "gtin", "lot", "scan_id", "place", "note", "contact"})
_MAX_FIELD = 8 * 1024  # bytes of one text part: far above every field's own limit
_MAX_PARTS = len(_FIELDS) + MAX_PHOTOS + 4  # a little slack, then it is not a report


class ReportPath(Model):
    id: Id


class PhotoPath(Model):
    id: Id
    n: Id


async def my_scans(call: Call, query: Page) -> Schema:
    page = await call.engine.scans.my_scans(call.who, after_id(query), query.limit)
    return {
        "scans": [s.to_dict() for s in page.items],
        "next_cursor": page_cursor(page.next_cursor),
    }


async def _read_part(part: BodyPartReader, limit: int) -> bytes | None:
    """The part's bytes, or None as soon as it passes ``limit`` (not read further)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class _Form:
    """The parts of a report's multipart body, each checked as it is read."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.photos: list[bytes] = []

    async def take(self, part: BodyPartReader) -> None:
        name = part.name or ""
        if name == "photo":
            await self._photo(part)
        elif name in _FIELDS:
            if name in self.fields:
                raise InvalidInput(f"field {name!r} is given more than once")
            raw = await _read_part(part, _MAX_FIELD)
            if raw is None:
                raise InvalidInput(f"field {name!r} is too long")
            self.fields[name] = raw.decode("utf-8")
        else:
            raise InvalidInput(f"unknown field {name[:40]!r}")

    async def _photo(self, part: BodyPartReader) -> None:
        position = len(self.photos) + 1
        if position > MAX_PHOTOS:
            raise TooManyPhotos(f"at most {MAX_PHOTOS} photos", max_photos=MAX_PHOTOS)
        data = await _read_part(part, MAX_BYTES)
        if data is None:
            raise PhotoTooLarge(
                f"photo {position} is larger than {MAX_BYTES // 2**20} MB",
                photo=position,
                max_bytes=MAX_BYTES,
            )
        self.photos.append(data)


async def _multipart(request: web.Request) -> _Form:
    form = _Form()
    reader = await request.multipart()
    for _ in range(_MAX_PARTS):
        part = await reader.next()
        if part is None:
            return form
        if not isinstance(part, BodyPartReader):
            raise InvalidInput("nested multipart bodies are not accepted")
        await form.take(part)
    raise InvalidInput("too many parts for a report")


async def _form(request: web.Request) -> tuple[dict[str, str], list[bytes]]:
    """The report's text fields and photos from a multipart body, or the fields alone
    from a url-encoded one (400 for anything else; 413 for a photo over the limit)."""
    try:
        if request.content_type == "application/x-www-form-urlencoded":
            return _fields((await request.post()).items()), []  # a report without photos
        if request.content_type != "multipart/form-data":
            raise InvalidInput("send the report as multipart/form-data")
        form = await _multipart(request)
    except UnicodeDecodeError:
        raise InvalidInput("text fields must be UTF-8") from None
    except (VerisealError, web.HTTPException):
        raise
    # aiohttp's multipart reader on a malformed body raises what its parsers meet (bad
    # boundary or part headers: HttpProcessingError, ValueError, AssertionError, ...):
    # all of them are the body's fault, a 400
    except Exception as exc:
        raise InvalidInput(
            f"the body is not a readable multipart form ({type(exc).__name__})"
        ) from None
    return form.fields, form.photos


def _fields(items: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Text fields of a url-encoded form (the same rules as the multipart parts)."""
    out: dict[str, str] = {}
    for name, value in items:
        if name not in _FIELDS or not isinstance(value, str):
            raise InvalidInput(f"unknown field {name[:40]!r}")
        if name in out:
            raise InvalidInput(f"field {name!r} is given more than once")
        out[name] = value
    return out


def _scan_id(text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    value = text.strip()
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= INT64_MAX:
        raise InvalidInput("scan_id must be a scan's id")
    return int(value)


async def file_report(call: Call) -> Schema:
    fields, photos = await _form(call.request)
    request = ReportRequest(
        code=fields.get("code", ""),
        gtin=fields.get("gtin") or None,
        lot=fields.get("lot") or None,
        scan_id=_scan_id(fields.get("scan_id")),
        place=fields.get("place", ""),
        note=fields.get("note", ""),
        contact=fields.get("contact", ""),
    )
    report = await call.engine.reports.file(call.who, request, photos)
    return report.to_dict()


async def get_report(call: Call, path: ReportPath) -> Schema:
    return (await call.engine.reports.get(call.who, path.id)).to_dict()


async def report_photo(call: Call, path: PhotoPath) -> web.Response:
    data, media = await call.engine.reports.photo(call.who, path.id, path.n)
    # personal data: never cached by a shared cache or sniffed into anything but an image
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    return web.Response(body=data, content_type=media, headers=headers)


_MY_SCAN: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "code": {"type": "string", "description": "masked but for its last 4 characters"},
        "product": {"type": ["string", "null"]},
        "gtin": {"type": ["string", "null"]},
        "lot": {"type": ["string", "null"]},
        "outcome": {"type": "string"},
        "reason": {"type": "string"},
        "region": {"type": ["object", "null"]},
        "lat": {"type": ["number", "null"]},
        "lon": {"type": ["number", "null"]},
    },
}
_REPORT: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "brand_id": {"type": ["integer", "null"]},
        "code": {"type": "string"},
        "gtin": {"type": ["string", "null"]},
        "lot": {"type": ["string", "null"]},
        "scan_id": {"type": ["integer", "null"]},
        "place": {"type": "string"},
        "note": {"type": "string"},
        "contact": {"type": "string"},
        "status": {"type": "string"},
        "alert_id": {"type": ["integer", "null"]},
        "photos": {"type": "array", "items": {"type": "object"}},
    },
}
A = Action
ROUTES = [
    Endpoint("GET", "/api/v1/me/scans", my_scans, A.SCANS_OWN,
             "My verifications, newest first (codes masked)",
             response=page_schema("scans", _MY_SCAN)),
    Endpoint("POST", "/api/v1/reports", file_report, A.REPORTS_FILE,
             "Report a suspected fake (multipart: code, gtin, lot, scan_id, place, note,"
             f" contact; up to {MAX_PHOTOS} 'photo' files of at most 8 MB)", 201,
             response=_REPORT, raw_body="multipart/form-data"),
    Endpoint("GET", "/api/v1/reports/{id}", get_report, Gate.CALLER,
             "A suspected-fake report (its reporter, or its brand's alert readers)",
             response=_REPORT),
    Endpoint("GET", "/api/v1/reports/{id}/photos/{n}", report_photo, Gate.CALLER,
             "A report's photo (JPEG; every read is audited)"),
]  # fmt: skip
