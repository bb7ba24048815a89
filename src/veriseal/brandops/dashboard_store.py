"""SQL of the dashboard's daily scan rollup (``scan_daily``, migration 0017).

No rules here: :mod:`veriseal.brandops.dashboard` decides which day a scan counts on
and when the rollup is written (the stream consumer's transaction, or a rebuild).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from veriseal.ledger.base import Tx

#: The rollup's day: days since 1970-01-01 in UTC+8. Kept equal to the migration's SQL
#: and to :func:`veriseal.brandops.dashboard.day_number`.
DAY_OFFSET_SECONDS = 8 * 3600

#: ``(brand_id, day, outcome, province)``: one cell of the rollup.
Cell = tuple[int, int, str, str]

_ADD = (
    "INSERT INTO scan_daily (brand_id, day, outcome, province, n) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (brand_id, day, outcome, province) DO UPDATE SET n = scan_daily.n + excluded.n"
)


@dataclass(frozen=True, slots=True)
class ScanFact:
    """What the rollup needs of one scan."""

    id: int
    brand_id: int | None
    at_seconds: int  # whole seconds since 1970 (UTC)
    outcome: str
    province: str  # '' without one


async def add(tx: Tx, counts: Mapping[Cell, int]) -> None:
    """Add ``counts`` to the rollup (one executemany)."""
    if counts:
        await tx.executemany(_ADD, [(*cell, n) for cell, n in sorted(counts.items())])


async def rebuild(tx: Tx, counted_after: int) -> None:
    """Replace the rollup by a count of the scans whose stream event lies at or before
    position ``counted_after`` (and of scans recorded before the stream existed): the
    scans the consumer at that cursor has counted, exactly. Run it in the write
    transaction that holds the consumer's cursor locked."""
    day = f"({tx.dialect.epoch_seconds('at')} + {DAY_OFFSET_SECONDS}) / 86400"
    await tx.execute("DELETE FROM scan_daily")
    await tx.execute(
        f"INSERT INTO scan_daily (brand_id, day, outcome, province, n)"
        f" SELECT brand_id, {day}, outcome, COALESCE(province, ''), COUNT(*) FROM scans"
        " WHERE brand_id IS NOT NULL AND id NOT IN"
        " (SELECT ref FROM stream_events WHERE kind = 'scan' AND position > ?)"
        f" GROUP BY brand_id, {day}, outcome, COALESCE(province, '')",
        counted_after,
    )


@dataclass(frozen=True, slots=True)
class Sums:
    """A brand's rollup summed three ways over a window (the database adds up the
    cells: a few dozen rows reach Python, not the thousands of cells)."""

    by_outcome: list[tuple[str, int]]
    by_province: list[tuple[str, int]]
    by_day: list[tuple[int, int, int]]  # (day, scans, of them genuine), from trend_from


async def sums(tx: Tx, brand_id: int, window_from: int, trend_from: int) -> Sums:
    """The brand's scans per outcome and per province from day ``window_from`` on, and
    per day (with the genuine ones) from ``trend_from`` on."""
    outcome = await tx.fetch(
        "SELECT outcome, SUM(n) AS n FROM scan_daily WHERE brand_id = ? AND day >= ?"
        " GROUP BY outcome",
        brand_id,
        window_from,
    )
    province = await tx.fetch(
        "SELECT province, SUM(n) AS n FROM scan_daily WHERE brand_id = ? AND day >= ?"
        " GROUP BY province",
        brand_id,
        window_from,
    )
    day = await tx.fetch(
        "SELECT day, SUM(n) AS n, SUM(CASE WHEN outcome = 'genuine' THEN n ELSE 0 END) AS g"
        " FROM scan_daily WHERE brand_id = ? AND day >= ? GROUP BY day",
        brand_id,
        trend_from,
    )
    return Sums(
        [(str(r["outcome"]), int(r["n"])) for r in outcome],
        [(str(r["province"]), int(r["n"])) for r in province],
        [(int(r["day"]), int(r["n"]), int(r["g"])) for r in day],
    )


async def total_all(tx: Tx) -> int:
    """Every scan the rollup has counted, all brands together."""
    row = await tx.fetchrow("SELECT COALESCE(SUM(n), 0) AS n FROM scan_daily")
    return 0 if row is None else int(row["n"])


async def pending_scans(tx: Tx, consumer: str, at_most: int) -> int:
    """Scans announced on the stream after the consumer's cursor (not counted yet), up
    to ``at_most`` (a stopped consumer's lag is counted no further)."""
    row = await tx.fetchrow(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM stream_events WHERE kind = 'scan' AND"
        " position > COALESCE((SELECT position FROM stream_cursors WHERE consumer = ?), 0)"
        " LIMIT ?) AS pending",
        consumer,
        at_most,
    )
    return 0 if row is None else int(row["n"])
