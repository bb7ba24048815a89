"""Report exports as CSV and XLSX files, streamed: constant memory whatever the row count.

Pure: no database. The caller (the background export job) passes the columns and an
iterable of rows (mappings keyed by :attr:`Col.key`) and a target path.

Contracts, for both writers:

- **Streaming.** Rows are consumed one at a time and never collected; memory does not
  grow with the row count (XLSX through openpyxl's write-only mode, which writes inline
  strings, so there is no shared-string table in memory either).
- **Atomic file.** The file is written to ``<path>.part`` (``report.xlsx.part``) and
  renamed to ``path`` only on success; on any exception (the row iterator's included)
  the partial file is deleted and the exception propagates, so a download never serves
  half a file. A leftover ``.part`` from a crashed run is overwritten.
- **Typed values** by :attr:`Col.kind`: ``int``; ``money`` is integer cents (分), written
  as a number with 2 decimals; ``decimal`` a float/Decimal/int; ``percent`` a fraction
  0..1; ``date`` / ``datetime`` as dates (a datetime with a time zone is written as its
  wall-clock time: the caller converts to the report's zone first). ``None`` is an empty
  cell. A value whose type does not fit its column is written as text (guarded below)
  rather than failing a long export at row 900,000.
- **Formula injection** (OWASP "CSV injection"): a text value starting with
  ``= + - @ \\t \\r`` gets a leading apostrophe in CSV, and is written as a *string* cell
  (never a formula) in XLSX.
- **Characters.** NUL is dropped in CSV; XLSX drops the control characters XML 1.0
  cannot hold (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F) and cuts text at Excel's
  32,767 characters per cell.
- **Progress.** ``on_progress(rows_written)`` every ``progress_every`` rows and once at
  the end (also for zero rows).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

Kind = Literal["text", "int", "money", "decimal", "date", "datetime", "percent"]
Progress = Callable[[int], None]

#: Excel's rows per sheet (1,048,576) minus the header row.
XLSX_MAX_DATA_ROWS = 1_048_575
XLSX_MAX_TEXT = 32_767
_INJECTION_START = ("=", "+", "-", "@", "\t", "\r")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
_FORMATS: dict[str, str] = {
    "int": "#,##0",
    "money": "#,##0.00",
    "decimal": "General",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
    "percent": "0.00%",
}
_WIDTHS: dict[str, float] = {"int": 12, "money": 14, "decimal": 12, "date": 12,
                             "datetime": 20, "percent": 10}  # fmt: skip


@dataclass(frozen=True)
class Col:
    """One exported column: the row key, its header in English and Chinese, its kind."""

    key: str
    title_en: str
    title_zh: str
    kind: Kind = "text"

    def title(self, lang: str) -> str:
        """The header in ``lang`` (``zh*`` -> Chinese, anything else English)."""
        return self.title_zh if lang.lower().startswith("zh") else self.title_en


@dataclass(frozen=True)
class XlsxResult:
    """What :func:`write_xlsx` wrote: data rows (headers excluded) and sheets."""

    rows: int
    sheets: int


def needs_guard(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula (OWASP CSV injection)."""
    return text.startswith(_INJECTION_START)


def _part(path: Path) -> Path:
    # The full name plus ".part": report.csv and report.xlsx never share a partial file.
    return path.with_suffix(path.suffix + ".part")


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield the partial path; rename it to ``path`` on success, delete it on failure."""
    part = _part(path)
    try:
        yield part
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _money_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def _csv_text(value: object) -> str:
    text = str(value).replace("\x00", "")
    return "'" + text if needs_guard(text) else text


def csv_value(kind: Kind, value: object) -> str:
    """One value as CSV text (see the module contracts)."""
    if value is None:
        return ""
    if kind == "money" and isinstance(value, int) and not isinstance(value, bool):
        return _money_text(value)
    if kind in ("int", "decimal", "percent") and _is_number(value):
        return str(value)
    if kind == "datetime" and isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if kind == "date" and isinstance(value, dt.date):
        return value.isoformat()
    return _csv_text(value)


class _Ticker:
    """Calls ``on_progress`` every ``every`` rows, and once at the end unless the last
    row was already reported."""

    def __init__(self, on_progress: Progress | None, every: int) -> None:
        if every < 1:
            raise ValueError("progress_every must be >= 1")
        self.on_progress = on_progress
        self.every = every

    def tick(self, n: int) -> None:
        if self.on_progress is not None and n % self.every == 0:
            self.on_progress(n)

    def done(self, n: int) -> None:
        if self.on_progress is not None and (n == 0 or n % self.every != 0):
            self.on_progress(n)


def write_csv(
    path: Path,
    cols: Sequence[Col],
    rows: Iterable[Mapping[str, object]],
    *,
    lang: str,
    on_progress: Progress | None = None,
    progress_every: int = 10_000,
) -> int:
    """Write ``rows`` to ``path`` as CSV (UTF-8 with BOM so Excel reads Chinese right,
    CRLF line ends, headers in ``lang``); return the data rows written."""
    ticker = _Ticker(on_progress, progress_every)
    with atomic_file(path) as part, part.open("w", encoding="utf-8-sig", newline="") as f:
        n = _write_csv_rows(f, cols, rows, lang, ticker)
    ticker.done(n)
    return n


def _write_csv_rows(
    f: IO[str],
    cols: Sequence[Col],
    rows: Iterable[Mapping[str, object]],
    lang: str,
    ticker: _Ticker,
) -> int:
    w = csv.writer(f)
    w.writerow([c.title(lang) for c in cols])
    spec = [(c.key, c.kind) for c in cols]
    n = 0
    for row in rows:
        w.writerow([csv_value(kind, row.get(key)) for key, kind in spec])
        n += 1
        ticker.tick(n)
    return n


def _xlsx_text(value: object) -> str:
    return _XML_ILLEGAL.sub("", str(value))[:XLSX_MAX_TEXT]


class _XlsxRow:
    """Per-column reusable cells. openpyxl's write-only sheet serialises a row as soon as
    it is appended, so one styled cell per column can be refilled for every row; that
    avoids creating 8 million styled cell objects for a million rows."""

    def __init__(self, ws: WriteOnlyWorksheet, cols: Sequence[Col]) -> None:
        self.kinds = [c.kind for c in cols]
        self.keys = [c.key for c in cols]
        self.typed = [self._cell(ws, _FORMATS.get(c.kind)) for c in cols]
        self.text = [self._cell(ws, None) for _ in cols]

    @staticmethod
    def _cell(ws: WriteOnlyWorksheet, number_format: str | None) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws)
        if number_format is not None:
            cell.number_format = number_format
        return cell

    def values(self, row: Mapping[str, object]) -> list[object]:
        out: list[object] = []
        for i, key in enumerate(self.keys):
            value = row.get(key)
            if value is None:
                out.append(None)
                continue
            cell = self._typed(i, self.kinds[i], value)
            if cell is None:
                cell = self.text[i]
                cell.value = _xlsx_text(value)
                cell.data_type = "s"  # never a formula, whatever it starts with
            out.append(cell)
        return out

    def _typed(self, i: int, kind: Kind, value: object) -> WriteOnlyCell | None:
        cell = self.typed[i]
        if kind == "money" and isinstance(value, int) and not isinstance(value, bool):
            cell.value = value / 100
        elif kind in ("int", "decimal", "percent") and _is_number(value):
            cell.value = value
        elif kind == "datetime" and isinstance(value, dt.datetime):
            cell.value = value.replace(tzinfo=None)
        elif kind == "date" and isinstance(value, dt.date):
            cell.value = value
        else:
            return None
        return cell


def sheet_title(title: str, number: int) -> str:
    """The name of sheet ``number`` (1-based): ``title``, then ``title (2)``, ...; cut to
    Excel's 31 characters, without the characters Excel forbids in sheet names."""
    base = _SHEET_TITLE_BAD.sub("", title).strip("'").strip() or "Report"
    suffix = "" if number == 1 else f" ({number})"
    return base[: 31 - len(suffix)] + suffix


def _new_sheet(
    wb: Workbook, cols: Sequence[Col], lang: str, title: str, number: int
) -> WriteOnlyWorksheet:
    ws: WriteOnlyWorksheet = wb.create_sheet(sheet_title(title, number))
    ws.freeze_panes = "A2"
    for i, c in enumerate(cols, 1):
        width = _WIDTHS.get(c.kind, max(12.0, min(40.0, 2.0 * len(c.title(lang)) + 2)))
        ws.column_dimensions[get_column_letter(i)].width = width
    bold = Font(bold=True)
    cells: list[object] = []
    for c in cols:
        cell = WriteOnlyCell(ws, value=_xlsx_text(c.title(lang)))
        cell.data_type = "s"
        cell.font = bold
        cells.append(cell)
    ws.append(cells)
    return ws


def write_xlsx(
    path: Path,
    cols: Sequence[Col],
    rows: Iterable[Mapping[str, object]],
    *,
    lang: str,
    on_progress: Progress | None = None,
    progress_every: int = 10_000,
    sheet_rows: int = XLSX_MAX_DATA_ROWS,
    title: str = "Report",
) -> XlsxResult:
    """Write ``rows`` to ``path`` as an XLSX workbook: typed cells with number formats,
    a bold, frozen header row in ``lang``. After ``sheet_rows`` data rows (at most
    Excel's 1,048,575) the rows continue on a new sheet ``<title> (2)``, ... with its own
    header, so no row is ever lost to Excel's sheet limit."""
    if not 1 <= sheet_rows <= XLSX_MAX_DATA_ROWS:
        raise ValueError(f"sheet_rows must be within 1..{XLSX_MAX_DATA_ROWS}")
    ticker = _Ticker(on_progress, progress_every)
    wb = Workbook(write_only=True)
    try:
        with atomic_file(path) as part:
            n, sheets = _fill(wb, part, cols, rows, lang, ticker, sheet_rows, title)
    except BaseException:
        _discard(wb)
        raise
    ticker.done(n)
    return XlsxResult(rows=n, sheets=sheets)


def _fill(
    wb: Workbook,
    part: Path,
    cols: Sequence[Col],
    rows: Iterable[Mapping[str, object]],
    lang: str,
    ticker: _Ticker,
    sheet_rows: int,
    title: str,
) -> tuple[int, int]:
    n = 0
    sheets = 1
    ws = _new_sheet(wb, cols, lang, title, sheets)
    filler = _XlsxRow(ws, cols)
    in_sheet = 0
    for row in rows:
        if in_sheet == sheet_rows:
            sheets += 1
            ws = _new_sheet(wb, cols, lang, title, sheets)
            filler = _XlsxRow(ws, cols)
            in_sheet = 0
        ws.append(filler.values(row))
        in_sheet += 1
        n += 1
        ticker.tick(n)
    # openpyxl writes to the name it is given, whatever its extension
    wb.save(str(part))
    return n, sheets


def _discard(wb: Workbook) -> None:
    """Remove the temporary files openpyxl keeps per write-only sheet; otherwise a failed
    export leaves them behind until the (long-running) process exits."""
    for ws in wb.worksheets:
        # closing first ends the sheet's row generator now; left to the garbage collector
        # it would write to the file removed below
        with contextlib.suppress(Exception):
            ws.close()
        writer: Any = getattr(ws, "_writer", None)
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.cleanup()
