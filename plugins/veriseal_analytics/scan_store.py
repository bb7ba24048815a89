"""SQL of the scan rollups (both backends); every function runs in the caller's tx.

Contracts: :func:`mark` / :func:`set_mark` keep the highest stream position a consumer
has booked, so a redelivered event (a cursor moved back, a crash after a partial run)
is skipped; :func:`add` adds deltas with one upsert per row, so concurrent writers add
rather than overwrite; :func:`units_seen` and :func:`add_units` keep one row per
scanned unit (its first scan and, once a shipment is known, the delay)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from veriseal.extend import Tx
from veriseal_analytics.scan_rollup import COLUMNS, ScanMeasures

_UPSERT = (
    f"INSERT INTO analytics_scan_cube (brand_id, cube, day, key, {', '.join(COLUMNS)})"
    f" VALUES (?, ?, ?, ?, {', '.join('?' * len(COLUMNS))})"
    " ON CONFLICT (brand_id, cube, day, key) DO UPDATE SET "
    + ", ".join(f"{c} = analytics_scan_cube.{c} + excluded.{c}" for c in COLUMNS)
)
_DELAY = (
    "INSERT INTO analytics_scan_delay (brand_id, day, gtin, days, n) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (brand_id, day, gtin, days) DO UPDATE SET"
    " n = analytics_scan_delay.n + excluded.n"
)

#: ``(first-scan day, gtin, whole days) -> units``: what is added to the delay histogram
DelayCounts = dict[tuple[str, str, int], int]


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit's first booked scan."""

    brand_id: int
    batch_id: int
    index: int
    gtin: str
    first_id: int
    first_at: int  # epoch seconds
    first_day: str
    delay_days: int | None


async def mark(tx: Tx, consumer: str) -> int:
    """The highest stream position ``consumer`` has booked (0: none)."""
    row = await tx.fetchrow("SELECT position FROM analytics_marks WHERE consumer = ?", consumer)
    return 0 if row is None else int(row["position"])


async def set_mark(tx: Tx, consumer: str, position: int) -> None:
    await tx.execute(
        "INSERT INTO analytics_marks (consumer, position) VALUES (?, ?) ON CONFLICT (consumer)"
        " DO UPDATE SET position = excluded.position WHERE excluded.position"
        " > analytics_marks.position", consumer, position)  # fmt: skip


async def floors(tx: Tx, brand_ids: Iterable[int]) -> dict[int, int]:
    """Per brand, the scan id up to which a repair recounted the scans (skip those)."""
    ids = sorted(set(brand_ids))
    if not ids:
        return {}
    rows = await tx.fetch(
        "SELECT brand_id, through_id FROM analytics_scan_brands WHERE brand_id IN"
        f" ({', '.join('?' * len(ids))})", *ids)  # fmt: skip
    return {int(r["brand_id"]): int(r["through_id"]) for r in rows}


async def booked_through(tx: Tx, brand_id: int) -> tuple[int, int]:
    """``(booked_id, through_id)`` of the brand: the highest scan id booked, and the
    highest a repair recounted (0, 0 when nothing was)."""
    row = await tx.fetchrow("SELECT booked_id, through_id FROM analytics_scan_brands"
                            " WHERE brand_id = ?", brand_id)  # fmt: skip
    return (0, 0) if row is None else (int(row["booked_id"]), int(row["through_id"]))


async def set_booked(tx: Tx, brand_id: int, booked_id: int, through_id: int = 0) -> None:
    """Raise the brand's ``booked_id`` (and ``through_id``) to at least the given ids."""
    await tx.execute(
        "INSERT INTO analytics_scan_brands (brand_id, booked_id, through_id) VALUES (?, ?, ?)"
        " ON CONFLICT (brand_id) DO UPDATE SET"
        " booked_id = CASE WHEN excluded.booked_id > analytics_scan_brands.booked_id"
        " THEN excluded.booked_id ELSE analytics_scan_brands.booked_id END,"
        " through_id = CASE WHEN excluded.through_id > analytics_scan_brands.through_id"
        " THEN excluded.through_id ELSE analytics_scan_brands.through_id END",
        brand_id, booked_id, through_id)  # fmt: skip


async def forget(tx: Tx, brand_id: int) -> None:
    """Delete the brand's scan cubes, units and delays (a repair recounts them)."""
    for table in ("analytics_scan_cube", "analytics_scanned_codes", "analytics_scan_delay"):
        await tx.execute(f"DELETE FROM {table} WHERE brand_id = ?", brand_id)


async def units_seen(
    tx: Tx, brand_id: int, units: Sequence[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Which of ``units`` (batch id, index) of the brand have a booked scan already."""
    seen: set[tuple[int, int]] = set()
    by_batch: dict[int, list[int]] = {}
    for b, i in units:
        by_batch.setdefault(b, []).append(i)
    for b, idx in by_batch.items():
        for k in range(0, len(idx), 500):
            part = idx[k : k + 500]
            rows = await tx.fetch(
                "SELECT idx FROM analytics_scanned_codes WHERE brand_id = ? AND batch_id = ?"
                f" AND idx IN ({', '.join('?' * len(part))})", brand_id, b, *part)  # fmt: skip
            seen.update((b, int(r["idx"])) for r in rows)
    return seen


async def add_units(tx: Tx, units: Sequence[Unit]) -> None:
    await tx.executemany(
        "INSERT INTO analytics_scanned_codes (brand_id, batch_id, idx, gtin, first_id, first_at,"
        " first_day, delay_days) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(u.brand_id, u.batch_id, u.index, u.gtin, u.first_id, u.first_at, u.first_day,
          u.delay_days) for u in units])  # fmt: skip


async def shipped_ranges(
    tx: Tx, brand_id: int, batch_id: int, lo: int, hi: int
) -> list[tuple[int, int, int]]:
    """``(first, last, at)`` of the batch's shipped ranges that overlap ``lo..hi`` (one
    query for a consumer batch's units of one code batch, not one per unit)."""
    rows = await tx.fetch(
        "SELECT first_idx, last_idx, at FROM analytics_shipped WHERE brand_id = ?"
        " AND batch_id = ? AND first_idx <= ? AND last_idx >= ?",
        brand_id, batch_id, hi, lo)  # fmt: skip
    return [(int(r["first_idx"]), int(r["last_idx"]), int(r["at"])) for r in rows]


def first_shipped(ranges: Sequence[tuple[int, int, int]], index: int, before: int) -> int | None:
    """The earliest shipment of ``ranges`` holding ``index`` at or before ``before``."""
    found = [at for lo, hi, at in ranges if lo <= index <= hi and at <= before]
    return min(found) if found else None


async def add(
    tx: Tx, brand_id: int, rows: Iterable[tuple[tuple[str, str, str], ScanMeasures]]
) -> None:
    await tx.executemany(_UPSERT, [(brand_id, c, d, k, *m.as_tuple()) for (c, d, k), m in rows])


async def add_delays(tx: Tx, brand_id: int, counts: DelayCounts) -> None:
    """Add ``(first-scan day, gtin, days) -> units`` to the delay histogram."""
    await tx.executemany(_DELAY, [(brand_id, d, g, n_days, n)
                                  for (d, g, n_days), n in sorted(counts.items())])  # fmt: skip


async def add_shipment(tx: Tx, brand_id: int, movement_id: int, at: int, to_org: int | None,
                       ranges: dict[int, list[tuple[int, int]]]) -> bool:  # fmt: skip
    """Record a shipment's ranges; False (nothing written) when it was recorded before."""
    if await tx.fetchrow("SELECT 1 FROM analytics_shipped WHERE movement_id = ?",
                         movement_id) is not None:  # fmt: skip
        return False
    await tx.executemany(
        "INSERT INTO analytics_shipped (brand_id, movement_id, batch_id, first_idx, last_idx, at,"
        " to_org) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(brand_id, movement_id, b, lo, hi, at, to_org)
         for b, spans in sorted(ranges.items()) for lo, hi in spans])  # fmt: skip
    return True


async def match_shipment(tx: Tx, brand_id: int, at: int,
                         ranges: dict[int, list[tuple[int, int]]]) -> DelayCounts:  # fmt: skip
    """Give the units of ``ranges`` first scanned at or after ``at`` and without a delay
    yet their delay; what that adds to the histogram."""
    counts: DelayCounts = {}
    for b, spans in sorted(ranges.items()):
        for lo, hi in spans:
            rows = await tx.fetch(
                "SELECT idx, gtin, first_at, first_day FROM analytics_scanned_codes"
                " WHERE brand_id = ? AND batch_id = ? AND idx >= ? AND idx <= ?"
                " AND delay_days IS NULL AND first_at >= ?", brand_id, b, lo, hi, at)  # fmt: skip
            updates = []
            for r in rows:
                days = max(0, (int(r["first_at"]) - at) // 86400)
                updates.append((days, brand_id, b, int(r["idx"])))
                key = (str(r["first_day"]), str(r["gtin"]), days)
                counts[key] = counts.get(key, 0) + 1
            await tx.executemany(
                "UPDATE analytics_scanned_codes SET delay_days = ? WHERE brand_id = ?"
                " AND batch_id = ? AND idx = ?", updates)  # fmt: skip
    return counts
