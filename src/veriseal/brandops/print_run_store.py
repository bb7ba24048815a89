"""SQL of the console's print runs (``print_runs``, migration 0017).

No rules here: :mod:`veriseal.brandops.print_runs` decides when a run may start and
moves it through its states.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from veriseal.ledger import rows
from veriseal.ledger.base import Row, Tx


class RunState(StrEnum):
    QUEUED = "queued"  # waiting for this server's print slot
    RENDERING = "rendering"  # labels being written to the spool (``done`` so far)
    DONE = "done"  # complete, recorded as a print job, downloadable
    FAILED = "failed"  # ``error`` says why; nothing was recorded


#: States a run leaves on its own (a live run's row is touched at least every
#: ``HEARTBEAT`` seconds by the process rendering it).
LIVE = (RunState.QUEUED, RunState.RENDERING)


@dataclass(frozen=True, slots=True)
class NewRun:
    brand_id: int
    batch_id: int
    first_index: int
    last_index: int
    template: str
    kind: str  # the template's kind: pdf, zpl, csv, image (a zip)
    line: str
    operator: str
    reprint: bool
    file_name: str  # in the spool folder
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class PrintRun:
    id: int
    brand_id: int
    batch_id: int
    first_index: int
    last_index: int
    template: str
    kind: str
    line: str
    operator: str
    reprint: bool
    state: RunState
    done: int  # labels rendered so far
    file_name: str
    size_bytes: int | None
    print_job_id: int | None
    error: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def labels(self) -> int:
        return self.last_index - self.first_index + 1


def _run(r: Row) -> PrintRun:
    return PrintRun(
        id=int(r["id"]),
        brand_id=int(r["brand_id"]),
        batch_id=int(r["batch_id"]),
        first_index=int(r["first_index"]),
        last_index=int(r["last_index"]),
        template=str(r["template"]),
        kind=str(r["kind"]),
        line=str(r["line"]),
        operator=str(r["operator"]),
        reprint=bool(r["reprint"]),
        state=RunState(r["state"]),
        done=int(r["done"]),
        file_name=str(r["file_name"]),
        size_bytes=None if r["size_bytes"] is None else int(r["size_bytes"]),
        print_job_id=None if r["print_job_id"] is None else int(r["print_job_id"]),
        error=str(r["error"]),
        created_at=rows.ts(r["created_at"]),
        updated_at=rows.ts(r["updated_at"]),
    )


async def insert(tx: Tx, new: NewRun) -> PrintRun:
    run_id = await tx.insert_returning_id(
        "print_runs",
        {
            "brand_id": new.brand_id,
            "batch_id": new.batch_id,
            "first_index": new.first_index,
            "last_index": new.last_index,
            "template": new.template,
            "kind": new.kind,
            "line": new.line,
            "operator": new.operator,
            "reprint": new.reprint,
            "state": str(RunState.QUEUED),
            "done": 0,
            "file_name": new.file_name,
            "size_bytes": None,
            "print_job_id": None,
            "error": "",
            "created_at": new.at,
            "updated_at": new.at,
        },
    )
    found = await get(tx, run_id)
    assert found is not None
    return found


async def get(tx: Tx, run_id: int) -> PrintRun | None:
    row = await tx.fetchrow("SELECT * FROM print_runs WHERE id = ?", run_id)
    return None if row is None else _run(row)


async def of_batch(tx: Tx, batch_id: int) -> list[PrintRun]:
    """The batch's runs, newest first."""
    found = await tx.fetch("SELECT * FROM print_runs WHERE batch_id = ? ORDER BY id DESC", batch_id)
    return [_run(r) for r in found]


async def live_meeting(
    tx: Tx, batch_id: int, first: int, last: int, fresh_since: dt.datetime
) -> list[PrintRun]:
    """The batch's live runs (touched since ``fresh_since``) printing any of
    ``first..last``."""
    found = await tx.fetch(
        "SELECT * FROM print_runs WHERE batch_id = ? AND state IN (?, ?)"
        " AND first_index <= ? AND last_index >= ? AND updated_at >= ? ORDER BY id",
        batch_id,
        *(str(s) for s in LIVE),
        last,
        first,
        fresh_since,
    )
    return [_run(r) for r in found]


async def touch(tx: Tx, run_id: int, state: RunState, done: int, at: dt.datetime) -> None:
    """Progress of a live run (and its heartbeat)."""
    await tx.execute(
        "UPDATE print_runs SET state = ?, done = ?, updated_at = ? WHERE id = ?",
        str(state),
        done,
        at,
        run_id,
    )


async def finish(
    tx: Tx, run_id: int, print_job_id: int, done: int, size: int, at: dt.datetime
) -> None:
    await tx.execute(
        "UPDATE print_runs SET state = ?, done = ?, print_job_id = ?, size_bytes = ?,"
        " updated_at = ? WHERE id = ?",
        str(RunState.DONE),
        done,
        print_job_id,
        size,
        at,
        run_id,
    )


async def fail(tx: Tx, run_id: int, error: str, at: dt.datetime) -> None:
    await tx.execute(
        "UPDATE print_runs SET state = ?, error = ?, updated_at = ? WHERE id = ?",
        str(RunState.FAILED),
        error[:1000],
        at,
        run_id,
    )
