"""Print-job records: what was printed, when, where, by whom, with which checksum.

Contract:

- A first print of a range MUST NOT overlap any earlier job of the batch; otherwise
  :class:`PrintOverlap` (``print_overlap``) and nothing is recorded.
- A reprint (``reprint=True``, e.g. after a printer jam) MUST lie wholly inside labels
  printed before; otherwise :class:`ReprintOfUnprinted`. It is recorded with
  ``reprint_of`` = the first earlier job it repeats. Codes are re-derived, so a reprint
  gives identical codes (and, for the same range and template, identical bytes).
- The check and the insert run in one write transaction (on PostgreSQL under a
  per-batch advisory lock), so two lines printing the same range at once cannot both
  succeed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from veriseal.ledger import Ledger
from veriseal.ledger.base import Row, Tx
from veriseal.ledger.rows import ts
from veriseal.models import Batch
from veriseal.printing.errors import PrintOverlap, ReprintOfUnprinted

_LOCK_CLASS = 5  # advisory lock namespace of print jobs, keyed by batch id


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
class JobRequest:
    """A job about to be recorded: labels ``start..stop-1`` of ``batch``."""

    batch: Batch
    start: int
    stop: int
    template: str
    line: str = ""
    operator: str = ""
    reprint: bool = False


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


class PrintJobs:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def check(self, req: JobRequest) -> int | None:
        """Refuse early (before rendering) what :meth:`record` would refuse; return the
        job a reprint repeats."""
        async with self.ledger.read() as tx:
            return await self._check(tx, req)

    async def record(self, req: JobRequest, output_sha256: str) -> PrintJob:
        async with self.ledger.write() as tx:
            await tx.advisory_lock((_LOCK_CLASS, req.batch.id))
            reprint_of = await self._check(tx, req)
            row = await tx.fetchrow(
                "INSERT INTO print_jobs (brand_id, batch_id, first_index, last_index, template,"
                " line, operator, reprint_of, output_sha256, printed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                req.batch.brand_id,
                req.batch.id,
                req.start,
                req.stop - 1,
                req.template,
                req.line,
                req.operator,
                reprint_of,
                output_sha256,
                dt.datetime.now(dt.UTC),
            )
        assert row is not None
        return _job(row)

    async def list(self, batch: Batch) -> list[PrintJob]:
        async with self.ledger.read() as tx:
            rows = await tx.fetch(
                "SELECT * FROM print_jobs WHERE batch_id = ? ORDER BY id", batch.id
            )
        return [_job(r) for r in rows]

    async def _check(self, tx: Tx, req: JobRequest) -> int | None:
        rows = await tx.fetch(
            "SELECT * FROM print_jobs WHERE batch_id = ? AND first_index <= ? AND last_index >= ?"
            " ORDER BY first_index, id",
            req.batch.id,
            req.stop - 1,
            req.start,
        )
        earlier = [_job(r) for r in rows]
        if not req.reprint:
            if earlier:
                first = earlier[0]
                raise PrintOverlap(
                    f"labels {req.start}..{req.stop - 1} of batch {req.batch.id} overlap print"
                    f" job {first.id} (labels {first.first_index}..{first.last_index},"
                    f" {first.printed_at:%Y-%m-%d %H:%M} UTC); add --reprint if this is a"
                    " reprint of those labels",
                    jobs=[j.id for j in earlier],
                )
            return None
        covered = req.start
        for job in earlier:  # sorted by first index: sweep the union of earlier ranges
            if job.first_index > covered:
                break
            covered = max(covered, job.last_index + 1)
        if covered < req.stop:
            raise ReprintOfUnprinted(
                f"label {covered} of batch {req.batch.id} was never printed: a reprint can only"
                " repeat labels printed before (print them without --reprint)"
            )
        originals = [j for j in earlier if j.reprint_of is None] or earlier
        return min(j.id for j in originals)
