"""Monthly partitions of ``scans`` and ``stream_events`` (PostgreSQL, migration 0020).

Both tables are partitioned by RANGE of their id, and month ``m`` (``year * 12 + month
- 1``, UTC) owns the ids ``[m * 2**36, (m + 1) * 2**36)``; rows from before the migration
live in ``<table>_legacy`` (ids below ``2**40``). The migration explains why the id and
not a timestamp is the key.

Contract:

- :func:`ensure` creates the partitions of this month and the next :data:`AHEAD` ones
  that are missing, and moves each table's id sequence to the start of this month's range
  once the month has begun; it records when a table entered a month (``ledger_periods``).
  Idempotent, safe to run concurrently (an advisory lock) and while scans are written:
  a new partition is made as a plain table, then ATTACHed, which takes no lock that
  stops inserts into the parent (CREATE ... PARTITION OF would).
- A partition is **closed** once its table entered a later month: every row in it was
  recorded before that moment (:attr:`Partition.closed_at`). Only closed partitions are
  ever archived (:mod:`veriseal.ledger.archive`); the current and future ones never.
- Nothing here runs on a dialect without partitions (``Dialect.partitioned``); the
  callers check.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from veriseal.ledger.base import Row, Tx
from veriseal.ledger.dialects.base import identifier

#: Ids per month: 2**36 (68.7 billion rows a month).
PERIOD_BITS = 36
#: The legacy partition's ids end here (exclusive): below every month's range.
LEGACY_END = 1 << 40
#: Months created ahead of the current one.
AHEAD = 2
#: The partitioned tables: their key column and id sequence.
TABLES: dict[str, tuple[str, str]] = {
    "scans": ("id", "scans_id_seq"),
    "stream_events": ("position", "stream_events_position_seq"),
}
# "veripart": serialises ensure() and archiving across processes
_LOCK = 0x7665726970617274
_NAME = re.compile(r"(?P<table>\w+?)_(?:p(?P<year>\d{4})(?P<month>\d{2})|legacy)\Z")


def period_of(when: dt.datetime) -> int:
    """The month number of ``when`` (UTC): ``year * 12 + month - 1``."""
    utc = when.astimezone(dt.UTC)
    return utc.year * 12 + utc.month - 1


def period_start(period: int) -> dt.datetime:
    """The first instant (UTC) of month number ``period``."""
    year, month = divmod(period, 12)
    return dt.datetime(year, month + 1, 1, tzinfo=dt.UTC)


def bounds(period: int) -> tuple[int, int]:
    """The ids month ``period`` owns: ``[lo, hi)``."""
    return period << PERIOD_BITS, (period + 1) << PERIOD_BITS


def period_of_id(key: int) -> int | None:
    """The month whose range holds id ``key``; None for the legacy range."""
    return None if key < LEGACY_END else key >> PERIOD_BITS


def partition_name(table: str, period: int | None) -> str:
    """``scans_p202612`` for December 2026; ``scans_legacy`` for ``None``."""
    if period is None:
        return f"{identifier(table)}_legacy"
    year, month = divmod(period, 12)
    return f"{identifier(table)}_p{year:04d}{month + 1:02d}"


@dataclass(frozen=True, slots=True)
class Partition:
    """One partition: its table, name, month (None: the legacy one), id range
    ``[lo, hi)`` (``lo`` None: from the smallest id), PostgreSQL's row estimate and size,
    and when its table entered its month and the next month in use (``closed_at``; None
    while it is still current or ahead)."""

    table: str
    name: str
    period: int | None
    lo: int | None
    hi: int
    rows: int
    bytes: int
    entered_at: dt.datetime | None
    closed_at: dt.datetime | None


async def ensure(tx: Tx, now: dt.datetime, ahead: int = AHEAD) -> list[str]:
    """Create this month's and the next ``ahead`` months' missing partitions and move the
    id sequences into this month (see the module docstring); the names created."""
    await lock(tx)
    current = period_of(now)
    created: list[str] = []
    for table in TABLES:
        if not await partitioned(tx, table):
            continue  # kept as a plain table (benchmarks/bench_partitions.py's baseline)
        for period in range(current, current + ahead + 1):
            if await create(tx, table, period):
                created.append(partition_name(table, period))
        await _enter(tx, table, current, now)
    return created


async def partitioned(tx: Tx, table: str) -> bool:
    """Whether ``table`` is a partitioned table."""
    row = await tx.fetchrow(
        "SELECT relkind = 'p' AS yes FROM pg_class WHERE oid = to_regclass(?)", table
    )
    return row is not None and bool(row["yes"])


async def create(tx: Tx, table: str, period: int) -> bool:
    """Create month ``period``'s partition of ``table`` unless it exists; True if made.
    (The benchmark also makes past months with it, to generate history.)"""
    name = partition_name(table, period)
    if await tx.dialect.has_table(tx, name):
        return False
    lo, hi = bounds(period)
    # a plain table first, then ATTACH: ATTACH takes SHARE UPDATE EXCLUSIVE on the
    # parent, which inserts do not wait for; the new table is empty, so checking its
    # rows against the bounds and building its indexes cost nothing
    await tx.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS)")
    await tx.execute(
        f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ({lo}) TO ({hi})"
    )
    return True


async def _enter(tx: Tx, table: str, current: int, now: dt.datetime) -> None:
    """Move ``table``'s sequence to month ``current`` if it is behind, and record the
    month the sequence is in (once: the first time it is seen there)."""
    _, sequence = TABLES[table]
    row = await tx.fetchrow(f"SELECT last_value FROM {sequence}")
    assert row is not None
    last = int(row["last_value"])
    lo, _ = bounds(current)
    period = period_of_id(last)
    if last < lo:
        period = current
    if period is not None:
        # the record first, the move last: setval is not transactional, and a record
        # without its move is put right by the next call (DO NOTHING keeps the first)
        await tx.execute(
            "INSERT INTO ledger_periods (table_name, period, entered_at) VALUES (?, ?, ?)"
            " ON CONFLICT (table_name, period) DO NOTHING",
            table,
            period,
            now,
        )
    if last < lo:
        await tx.execute(
            "SELECT setval(CAST(? AS regclass), CAST(? AS BIGINT), false)", sequence, lo
        )


async def entered(tx: Tx, table: str) -> list[tuple[dt.datetime, int]]:
    """When ``table`` entered each month it has been in, oldest first."""
    found = await tx.fetch(
        "SELECT period, entered_at FROM ledger_periods WHERE table_name = ? ORDER BY period",
        table,
    )
    return [(_utc(r["entered_at"]), int(r["period"])) for r in found]


def first_id_at(entries: list[tuple[dt.datetime, int]], when: dt.datetime) -> int:
    """An id at or below that of every row recorded at or after ``when``, from
    :func:`entered`'s list: the start of the last month entered at or before ``when``
    (the sequence was in it or beyond from then on); 0 when none was."""
    found = [period for at, period in entries if at <= when]
    return bounds(max(found))[0] if found else 0


async def partitions(tx: Tx) -> list[Partition]:
    """Every partition of the partitioned tables, by table and id range."""
    found = await tx.fetch(
        "SELECT parent.relname AS table_name, child.relname AS name,"
        " CAST(GREATEST(child.reltuples, 0) AS BIGINT) AS n,"
        " pg_total_relation_size(child.oid) AS size"
        " FROM pg_inherits i JOIN pg_class parent ON parent.oid = i.inhparent"
        " JOIN pg_class child ON child.oid = i.inhrelid"
        " WHERE parent.relname IN ('scans', 'stream_events')"
        " AND pg_table_is_visible(parent.oid)"
    )
    entered: dict[str, list[tuple[int, dt.datetime]]] = {}
    for r in await tx.fetch(
        "SELECT table_name, period, entered_at FROM ledger_periods ORDER BY period"
    ):
        entered.setdefault(str(r["table_name"]), []).append(
            (int(r["period"]), _utc(r["entered_at"]))
        )
    out = [_partition(r, entered.get(str(r["table_name"]), [])) for r in found]
    return sorted(out, key=lambda p: (p.table, -1 if p.period is None else p.period))


def _partition(row: Row, entered: list[tuple[int, dt.datetime]]) -> Partition:
    table, name = str(row["table_name"]), str(row["name"])
    match = _NAME.match(name)
    period = None
    if match is not None and match["year"] is not None:
        period = int(match["year"]) * 12 + int(match["month"]) - 1
    lo, hi = (None, LEGACY_END) if period is None else bounds(period)
    mine = [at for p, at in entered if p == period]
    later = [at for p, at in entered if period is None or p > period]
    return Partition(
        table, name, period, lo, hi, int(row["n"]), int(row["size"]),
        mine[0] if mine else None, min(later) if later else None,
    )  # fmt: skip


def _utc(value: object) -> dt.datetime:
    assert isinstance(value, dt.datetime)
    return value.astimezone(dt.UTC)


async def lock(tx: Tx) -> None:
    """Exclude :func:`ensure` and other archivers until ``tx`` ends."""
    await tx.dialect.advisory_lock(tx, _LOCK)


async def page(tx: Tx, part: Partition, after: int | None, limit: int) -> list[Row]:
    """Up to ``limit`` rows of ``part`` with keys above ``after`` (None: from the
    first), in key order: how an archive reads a partition without holding it all."""
    key, _ = TABLES[part.table]
    name = identifier(part.name)
    if after is None:
        return await tx.fetch(f"SELECT * FROM {name} ORDER BY {key} LIMIT ?", limit)
    return await tx.fetch(
        f"SELECT * FROM {name} WHERE {key} > ? ORDER BY {key} LIMIT ?", after, limit
    )


async def count(tx: Tx, part: Partition) -> int:
    row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {identifier(part.name)}")
    return 0 if row is None else int(row["n"])


async def unconsumed(tx: Tx, part: Partition) -> int:
    """Stream events of ``part`` some consumer still has to read or retry: beyond the
    slowest cursor, or parked and unresolved. 0 for a scans partition."""
    if part.table != "stream_events":
        return 0
    name = identifier(part.name)
    row = await tx.fetchrow(
        f"SELECT (SELECT COUNT(*) FROM {name} WHERE position >"
        " (SELECT COALESCE(MIN(position), 0) FROM stream_cursors))"
        f" + (SELECT COUNT(*) FROM stream_parked p JOIN {name} e ON e.position = p.position"
        " WHERE p.resolved_at IS NULL) AS n"
    )
    return 0 if row is None else int(row["n"])


async def drop(tx: Tx, part: Partition) -> None:
    """Detach and drop ``part`` in ``tx``; for scans, first let go of what refers to its
    rows: a fake report keeps its code, GTIN and lot but no longer names the archived
    scan, and the handheld ids of the archived scans are forgotten."""
    lo, hi = (-(1 << 63) if part.lo is None else part.lo), part.hi
    if part.table == "scans":
        await tx.execute(
            "UPDATE fake_reports SET scan_id = NULL WHERE scan_id >= ? AND scan_id < ?", lo, hi
        )
        await tx.execute("DELETE FROM scan_client_ids WHERE scan_id >= ? AND scan_id < ?", lo, hi)
    name = identifier(part.name)
    await tx.execute(f"ALTER TABLE {identifier(part.table)} DETACH PARTITION {name}")
    await tx.execute(f"DROP TABLE {name}")
