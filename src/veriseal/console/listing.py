"""Lists in the console: page size and cursor from the query, and exports.

Every list pages by cursor (``?cursor=<last id>&limit=N``) like the JSON API. Exports
(``?export=csv|xlsx``) write the same rows the page shows, all of them up to
:data:`EXPORT_MAX`: CSV is UTF-8 with a byte-order mark (Excel then opens Chinese
text correctly), XLSX is written by openpyxl in write-only mode (constant memory).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from veriseal.console.call import ConsoleCall
from veriseal.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
EXPORT_MAX = 100_000  # rows per export: beyond, narrow the filters (the page says so)
FORMATS = ("csv", "xlsx")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """An exported column: the row's key and its heading in both languages."""

    key: str
    title_en: str
    title_zh: str


def page_size(call: ConsoleCall) -> int:
    """``?limit=`` within 1..200, default 50 (``invalid_input`` for anything else)."""
    text = call.query.get("limit", "")
    if not text:
        return DEFAULT_LIMIT
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(text)


def page_cursor(call: ConsoleCall) -> int | None:
    """``?cursor=`` (the last id of the previous page), or None for the first page."""
    text = call.query.get("cursor", "")
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise InvalidInput("cursor must be a positive whole number")
    return int(text)


def export_format(call: ConsoleCall) -> str | None:
    """``?export=csv|xlsx``, or None for the page itself."""
    fmt = call.query.get("export", "")
    if not fmt:
        return None
    if fmt not in FORMATS:
        raise InvalidInput("export must be csv or xlsx")
    return fmt


def _cell(value: object) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # spreadsheets: naive UTC
    if value is None or isinstance(value, int | float | str | dt.date):
        return value
    return str(value)


def _csv_text(value: object) -> str:
    text = "" if value is None else str(_cell(value))
    # a cell starting with = + - @ is a formula to a spreadsheet: quote it (CSV injection)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_response(
    call: ConsoleCall, stem: str, columns: list[Column], rows: Iterable[Mapping[str, Any]]
) -> web.Response:
    """The rows as a file in the asked format (``export_format``), named
    ``<stem>-<UTC date>.<ext>``, headings in the reader's language."""
    fmt = export_format(call) or "csv"
    heads = [call.t(c.title_en, c.title_zh) for c in columns]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    name = f"{stem}-{stamp}.{fmt}"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(heads)
        for row in _capped(rows):
            writer.writerow([_csv_text(row.get(c.key)) for c in columns])
        body = ("\ufeff" + out.getvalue()).encode("utf-8")
        kind = "text/csv; charset=utf-8"
    else:
        body = _xlsx(heads, columns, rows)
        kind = _XLSX
    return web.Response(
        body=body,
        headers={
            "Content-Type": kind,
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _capped(rows: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for n, row in enumerate(rows):
        if n >= EXPORT_MAX:
            return
        yield row


def _xlsx(heads: list[str], columns: list[Column], rows: Iterable[Mapping[str, Any]]) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415  (loaded on the first export: it is big)

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(heads)
    for row in _capped(rows):
        sheet.append([_xlsx_cell(row.get(c.key)) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(value: object) -> Any:
    cell = _cell(value)
    # openpyxl stores a string starting with "=" as a formula: keep it text
    return "'" + cell if isinstance(cell, str) and cell.startswith("=") else cell
