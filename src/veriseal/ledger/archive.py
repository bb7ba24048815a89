"""Retention: closed monthly partitions written to files, then dropped (PostgreSQL).

The path a brand takes when its scan ledger grows old (docs/operations.md, "Partitions,
retention and archives"): ``veriseal ledger archive --older-than N --to DIR`` picks the
partitions that closed more than N calendar months ago (:func:`due`) and, for each,

1. writes every row to ``DIR/<partition>.jsonl.gz`` (one JSON object per row, the
   table's own column names, times in ISO 8601), in id order, page by page;
2. writes it through :func:`veriseal.files.atomic_file` (synced under a temporary name,
   renamed, private to its owner: scans name devices, users and places), then
   ``DIR/<partition>.json``: table, month, id range, row count, the file's SHA-256;
3. only then, in one transaction that re-counts the partition's rows against the file's,
   detaches and drops the partition (:func:`veriseal.ledger.partition_store.drop`).

So a partition is never dropped unless every row of it is in a synced file, and an
interrupted archive leaves the partition in place (run it again: the file is rewritten).
A stream partition is archived only once every consumer has read past it and none of
its events is parked unresolved. What stays behind for an archived scan: its code's
count in ``scan_codes`` (a code verified 5 times in 2023 is still "seen 5 times"), but
no longer the time and place of a first or last scan in that partition.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veriseal.errors import Conflict
from veriseal.files import atomic_file
from veriseal.i18n import register
from veriseal.ledger import partition_store
from veriseal.ledger.partition_store import Partition, period_of, period_start

if TYPE_CHECKING:
    from veriseal.ledger.base import Ledger

#: Rows read per query while archiving.
PAGE_ROWS = 10_000


class ArchiveRefused(Conflict):
    """A partition may not be archived (still current, still read, or changed meanwhile);
    nothing was dropped."""

    code = "archive_refused"


register({"error.archive_refused": ("Partition not archived", "分区未归档")})


@dataclass(frozen=True, slots=True)
class Archived:
    """One archived partition: its rows, the file holding them and whether the
    partition was dropped."""

    partition: str
    table: str
    rows: int
    path: Path
    sha256: str
    dropped: bool


def cutoff(now: dt.datetime, keep_months: int) -> dt.datetime:
    """The start of the calendar month ``keep_months`` (>= 1) before ``now``'s."""
    if keep_months < 1:
        raise ValueError("keep at least one month")
    return period_start(period_of(now) - keep_months)


def due(parts: list[Partition], now: dt.datetime, keep_months: int) -> list[Partition]:
    """The partitions of ``parts`` closed before :func:`cutoff`: what retention archives."""
    before = cutoff(now, keep_months)
    return [p for p in parts if p.closed_at is not None and p.closed_at < before]


def _plain(value: object) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


async def archive(
    ledger: Ledger,
    part: Partition,
    directory: Path,
    *,
    drop: bool = True,
    advance: Callable[[int], None] = lambda _n: None,
) -> Archived:
    """Write ``part`` to ``directory`` and (``drop``) drop it; see the module docstring.
    ``advance(n)`` is called as rows are written. :class:`ArchiveRefused` when the
    partition is not closed, still has unread stream events, or its row count changed
    between the file and the drop."""
    if part.closed_at is None:
        raise ArchiveRefused(f"{part.name} is still in use / 分区 {part.name} 仍在使用")
    async with ledger.read() as tx:
        waiting = await partition_store.unconsumed(tx, part)
    if waiting:
        raise ArchiveRefused(
            f"{part.name}: {waiting} events not yet handled by every consumer"
            f" / 分区 {part.name} 仍有 {waiting} 个事件未被全部消费者处理",
            waiting=waiting,
        )
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{part.name}.jsonl.gz"
    key, _ = partition_store.TABLES[part.table]
    written = 0
    # scans name devices, users and places: the file is private, as the ledger is
    with (
        atomic_file(path, private=True) as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out,
    ):
        after: int | None = None
        while True:
            async with ledger.read() as tx:
                rows = await partition_store.page(tx, part, after, PAGE_ROWS)
            if not rows:
                break
            for row in rows:
                line = json.dumps(dict(row), default=_plain, ensure_ascii=False)
                out.write(line.encode("utf-8") + b"\n")
            written += len(rows)
            after = int(rows[-1][key])
            advance(len(rows))
    digest = _sha256(path)
    manifest = {
        "table": part.table,
        "partition": part.name,
        "month": None if part.period is None else period_start(part.period).strftime("%Y-%m"),
        "ids": [part.lo, part.hi],
        "rows": written,
        "sha256": digest,
        "file": path.name,
        "archived_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    with atomic_file(directory / f"{part.name}.json") as out:
        out.write((json.dumps(manifest, indent=2) + "\n").encode())
    if drop:
        async with ledger.write() as tx:
            await partition_store.lock(tx)
            now = await partition_store.count(tx, part)
            if now != written:
                raise ArchiveRefused(
                    f"{part.name} changed while it was archived ({written} rows written,"
                    f" {now} now); run the archive again"
                    f" / 分区 {part.name} 在归档期间发生变化，请重新归档",
                )
            await partition_store.drop(tx, part)
    return Archived(part.name, part.table, written, path, digest, drop)


def _sha256(path: Path) -> str:
    """The file's SHA-256, read a megabyte at a time (a month of scans is gigabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
