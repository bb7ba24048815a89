"""Bounded number types for every id, count and index option of the CLI.

A bare ``type=int`` accepts any Python integer, and a number past the ledger's 64-bit
columns then fails deep in the database driver (SQLite's ``OverflowError``,
PostgreSQL's ``DataError``) as an internal error. These types refuse it where the
argument is parsed, as a usage error (exit 2) naming the option.
"""

from __future__ import annotations

import click

#: The largest value a ledger id or count column holds (signed 64-bit).
INT64_MAX = 2**63 - 1

#: A row id (batch, scan, user, organisation, token, message, ...): 1..2^63-1.
ID = click.IntRange(1, INT64_MAX)

#: A code index within a batch, or another non-negative position: 0..2^63-1.
INDEX = click.IntRange(0, INT64_MAX)

#: How many of something (codes, rows, results): at least one.
COUNT = click.IntRange(1, INT64_MAX)


class BatchRef(click.ParamType):  # type: ignore[type-arg]
    """A batch named by its number (``12``, within :data:`ID`) or by ``GTIN/LOT``."""

    name = "BATCH"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        text = str(value).strip()
        if "/" not in text and text.isdigit() and not 1 <= int(text) <= INT64_MAX:
            self.fail(f"batch number {text[:24]} is not in 1..{INT64_MAX}", param, ctx)
        return text


BATCH = BatchRef()
