"""Reading an import CSV (products, dealers, ...) into validated records and row errors.

The contract every importer shares:

- The header names the columns, in any order; a column may be named by an alias (the
  Chinese headers of a spreadsheet). An unknown or repeated column, a missing required
  one or an empty file raise :class:`~veriseal.errors.CsvInvalid`: nothing is imported.
- Every other problem is a :class:`RowError` with its line number, never an exception:
  a row with the wrong number of fields, a row the importer's ``make`` refuses (any
  :class:`~veriseal.errors.VerisealError`, its message kept), a row whose key repeats an
  earlier row's, and a CSV structure error (the rows after it are not read).
- Blank rows are skipped; a UTF-8 byte order mark is ignored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from veriseal.catalog.errors import CsvInvalid
from veriseal.errors import VerisealError

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


def parse_rows(
    text: str,
    *,
    columns: Collection[str],
    aliases: Mapping[str, str],
    required: tuple[str, ...],
    make: Callable[[int, dict[str, str]], T],
    key: Callable[[T], str],
    key_name: str,
    on_row: Callable[[int], None] | None = None,
) -> tuple[list[tuple[int, T]], list[RowError]]:
    """``(line, record)`` for every good row, in file order, and the row errors.

    ``make(line, fields)`` builds a record from one row's fields (by canonical column
    name); ``key(record)`` must be unique in the file (``key_name`` names it in the
    error); ``on_row(line)`` is called for every row read (progress).
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    cols = _header(reader, columns, aliases, required)
    rows = _Rows[T](cols, make, key, key_name)
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            if on_row:
                on_row(line)
            rows.add(line, row)
    except csv.Error as exc:
        rows.errors.append(RowError(line + 1, f"unreadable CSV: {exc}"))
    return rows.records, rows.errors


def _header(
    reader: Iterator[list[str]],
    columns: Collection[str],
    aliases: Mapping[str, str],
    required: tuple[str, ...],
) -> list[str]:
    """The canonical column names of the header row; any header problem raises CsvInvalid."""
    try:
        header = next(reader)
    except StopIteration:
        raise CsvInvalid("the file is empty") from None
    except csv.Error as exc:
        raise CsvInvalid(f"line 1: {exc}") from None
    cols = [aliases.get(h.strip(), h.strip().lower()) for h in header]
    unknown = [c for c in cols if c not in columns]
    if unknown:
        raise CsvInvalid(f"line 1: unknown column(s) {', '.join(unknown)}")
    if any(c not in cols for c in required):
        needed = " and ".join(f"'{c}'" for c in required)
        raise CsvInvalid(f"line 1: the header needs at least {needed}")
    if len(set(cols)) != len(cols):
        raise CsvInvalid("line 1: a column is named twice")
    return cols


@dataclass
class _Rows(Generic[T]):
    """The records and row errors collected so far, and the keys already seen."""

    cols: list[str]
    make: Callable[[int, dict[str, str]], T]
    key: Callable[[T], str]
    key_name: str
    records: list[tuple[int, T]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)

    def add(self, line: int, row: list[str]) -> None:
        """Take one data row: a record, a row error, or nothing for a blank row."""
        if not any(cell.strip() for cell in row):
            return
        if len(row) != len(self.cols):
            self.errors.append(RowError(line, f"{len(row)} fields, expected {len(self.cols)}"))
            return
        try:
            record = self.make(line, dict(zip(self.cols, row, strict=True)))
        except VerisealError as exc:
            self.errors.append(RowError(line, exc.message))
            return
        k = self.key(record)
        if k in self.seen:
            self.errors.append(RowError(line, f"{self.key_name} {k} repeats line {self.seen[k]}"))
            return
        self.seen[k] = line
        self.records.append((line, record))
