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
from veriseal.ledger.base import Tx
from veriseal.models import Batch
from veriseal.printing import store
from veriseal.printing.errors import PrintOverlap, ReprintOfUnprinted
from veriseal.printing.store import PrintJob

# PrintJob is the store's record, named here too for the callers of this service.
__all__ = ["JobRequest", "PrintJob", "PrintJobs"]

_LOCK_CLASS = 5  # advisory lock namespace of print jobs, keyed by batch id


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
            new = store.NewPrintJob(
                brand_id=req.batch.brand_id,
                batch_id=req.batch.id,
                first_index=req.start,
                last_index=req.stop - 1,
                template=req.template,
                line=req.line,
                operator=req.operator,
                reprint_of=reprint_of,
                output_sha256=output_sha256,
                printed_at=dt.datetime.now(dt.UTC),
            )
            return await store.insert_job(tx, new)

    async def list(self, batch: Batch) -> list[PrintJob]:
        async with self.ledger.read() as tx:
            return await store.jobs_of_batch(tx, batch.id)

    async def _check(self, tx: Tx, req: JobRequest) -> int | None:
        earlier = await store.jobs_meeting(tx, req.batch.id, req.start, req.stop - 1)
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
