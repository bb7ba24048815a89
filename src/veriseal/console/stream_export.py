"""Exports of lists too long to hold in memory (the scan ledger): rows read a page at a
time from an async source.

- CSV streams every row as it is read (UTF-8 with a byte-order mark, cells that look
  like formulas quoted); :func:`veriseal.console.listing.export_response` writes its
  in-memory rows through the same code.
- XLSX is built with openpyxl in write-only mode (rows go to a temporary file, not to
  memory), off the event loop, then sent; a source that raises while it is built (a row
  cap) sends nothing, and the error becomes the console's error page.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from veriseal.console.call import ConsoleCall

Rows = AsyncIterator[Sequence[Mapping[str, Any]]]
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """An exported column: the row's key and its heading in both languages."""

    key: str
    title_en: str
    title_zh: str


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


def _xlsx_cell(value: object) -> Any:
    cell = _cell(value)
    # openpyxl stores a string starting with "=" as a formula: keep it text
    return "'" + cell if isinstance(cell, str) and cell.startswith("=") else cell


def _disposition(stem: str, fmt: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    return f'attachment; filename="{stem}-{stamp}.{fmt}"'


async def stream_export(
    call: ConsoleCall, stem: str, fmt: str, columns: list[Column], pages: Rows
) -> web.StreamResponse:
    """The rows of ``pages`` as ``fmt`` (``csv`` or ``xlsx``), headings in the reader's
    language, named ``<stem>-<UTC time>.<fmt>``."""
    heads = [call.t(c.title_en, c.title_zh) for c in columns]
    if fmt == "xlsx":
        return await _xlsx(call, stem, heads, columns, pages)
    response = web.StreamResponse(headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": _disposition(stem, "csv"),
        "Cache-Control": "no-store",
    })  # fmt: skip
    await response.prepare(call.request)
    await response.write(("\ufeff" + _csv_lines([heads])).encode("utf-8"))
    async for page in pages:
        lines = [[_csv_text(row.get(c.key)) for c in columns] for row in page]
        await response.write(_csv_lines(lines).encode("utf-8"))
    await response.write_eof()
    return response


def _csv_lines(rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


async def _xlsx(
    call: ConsoleCall, stem: str, heads: list[str], columns: list[Column], pages: Rows
) -> web.StreamResponse:
    from openpyxl import Workbook  # noqa: PLC0415  (loaded on the first export: it is big)

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(heads)

    def append(page: Sequence[Mapping[str, Any]]) -> None:
        for row in page:
            sheet.append([_xlsx_cell(row.get(c.key)) for c in columns])

    fd, name = tempfile.mkstemp(prefix="veriseal-export-", suffix=".xlsx")
    os.close(fd)
    path = Path(name)
    try:
        async for page in pages:
            await asyncio.to_thread(append, page)
        await asyncio.to_thread(book.save, path)
        response = web.StreamResponse(headers={
            "Content-Type": _XLSX,
            "Content-Disposition": _disposition(stem, "xlsx"),
            "Cache-Control": "no-store",
        })  # fmt: skip
        response.content_length = path.stat().st_size
        await response.prepare(call.request)
        with path.open("rb") as f:
            while chunk := await asyncio.to_thread(f.read, 1 << 16):
                await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        path.unlink(missing_ok=True)
