"""Lists in the console: page size and cursor from the query, and exports.

Every list pages by cursor (``?cursor=<last id>&limit=N``) like the JSON API. Exports
(``?export=csv|xlsx``) write the same rows the page shows, all of them up to
:data:`EXPORT_MAX`, through :mod:`veriseal.console.stream_export` (CSV in UTF-8 with a
byte-order mark, so Excel opens Chinese text correctly; XLSX by openpyxl).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from aiohttp import web

from veriseal.console.call import ConsoleCall
from veriseal.console.stream_export import Column, stream_export
from veriseal.errors import InvalidInput

__all__ = ["EXPORT_MAX", "Column", "export_format", "export_response", "page_cursor", "page_size"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
EXPORT_MAX = 100_000  # rows per export: beyond, narrow the filters (the page says so)
FORMATS = ("csv", "xlsx")


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
    return call.query_int("cursor")


def export_format(call: ConsoleCall) -> str | None:
    """``?export=csv|xlsx``, or None for the page itself."""
    fmt = call.query.get("export", "")
    if not fmt:
        return None
    if fmt not in FORMATS:
        raise InvalidInput("export must be csv or xlsx")
    return fmt


async def export_response(
    call: ConsoleCall, stem: str, columns: list[Column], rows: Iterable[Mapping[str, Any]]
) -> web.StreamResponse:
    """The rows (at most :data:`EXPORT_MAX`) as a file in the asked format
    (``export_format``), named ``<stem>-<UTC time>.<ext>``, headings in the reader's
    language: the same writer as the streamed exports (:mod:`.stream_export`)."""

    async def one_page() -> AsyncIterator[list[Mapping[str, Any]]]:
        yield list(_capped(rows))

    return await stream_export(call, stem, export_format(call) or "csv", columns, one_page())


def _capped(rows: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for n, row in enumerate(rows):
        if n >= EXPORT_MAX:
            return
        yield row
