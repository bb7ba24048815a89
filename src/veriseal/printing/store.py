"""SQL of print-job records (``print_jobs``).

No rules live here: :mod:`veriseal.printing.jobs` decides whether a job overlaps or
reprints earlier ones, under the per-batch lock it takes in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from veriseal.ledger.base import Row, Tx
from veriseal.ledger.rows import ts


@dataclass(frozen=True)
class PrintJob:
    id: int
    batch_id: int
    first_index: int
    last_index: int
    template: str
    line: str
    operator: str
    reprint_of: int | None
    output_sha256: str
    printed_at: dt.datetime

    @property
    def labels(self) -> int:
        return self.last_index - self.first_index + 1


@dataclass(frozen=True)
class NewPrintJob:
    """A job to record: labels ``first_index..last_index`` of a batch."""

    brand_id: int
    batch_id: int
    first_index: int
    last_index: int
    template: str
    line: str
    operator: str
    reprint_of: int | None
    output_sha256: str
    printed_at: dt.datetime


def _job(row: Row) -> PrintJob:
    return PrintJob(
        int(row["id"]),
        int(row["batch_id"]),
        int(row["first_index"]),
        int(row["last_index"]),
        row["template"],
        row["line"],
        row["operator"],
        None if row["reprint_of"] is None else int(row["reprint_of"]),
        row["output_sha256"],
        ts(row["printed_at"]),
    )


async def insert_job(tx: Tx, new: NewPrintJob) -> PrintJob:
    row = await tx.fetchrow(
        "INSERT INTO print_jobs (brand_id, batch_id, first_index, last_index, template,"
        " line, operator, reprint_of, output_sha256, printed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        new.brand_id,
        new.batch_id,
        new.first_index,
        new.last_index,
        new.template,
        new.line,
        new.operator,
        new.reprint_of,
        new.output_sha256,
        new.printed_at,
    )
    assert row is not None  # an INSERT ... RETURNING returns its row
    return _job(row)


async def jobs_of_batch(tx: Tx, batch_id: int) -> list[PrintJob]:
    """The batch's jobs in the order they were recorded."""
    found = await tx.fetch("SELECT * FROM print_jobs WHERE batch_id = ? ORDER BY id", batch_id)
    return [_job(r) for r in found]


async def jobs_meeting(tx: Tx, batch_id: int, first: int, last: int) -> list[PrintJob]:
    """The batch's jobs printing any label of ``first..last``, by first label, then id."""
    found = await tx.fetch(
        "SELECT * FROM print_jobs WHERE batch_id = ? AND first_index <= ? AND last_index >= ?"
        " ORDER BY first_index, id",
        batch_id,
        last,
        first,
    )
    return [_job(r) for r in found]
