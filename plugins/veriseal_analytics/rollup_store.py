"""SQL of the rollups: booked marks, booked lines and cube rows (both backends).

Contracts: :func:`book` is idempotent per ``(kind, ref)`` (a redelivered event books
nothing); :func:`apply` adds deltas with one upsert per cube row, so concurrent bookers
add rather than overwrite; every function runs inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from veriseal.extend import Tx
from veriseal_analytics.booking import Line, Measures, deltas

_UPSERT = (
    "INSERT INTO analytics_cube (brand_id, cube, day, key, orders, units, revenue,"
    " returned_units, refunded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (brand_id, cube, day, key) DO UPDATE SET"
    " orders = analytics_cube.orders + excluded.orders,"
    " units = analytics_cube.units + excluded.units,"
    " revenue = analytics_cube.revenue + excluded.revenue,"
    " returned_units = analytics_cube.returned_units + excluded.returned_units,"
    " refunded = analytics_cube.refunded + excluded.refunded"
)


async def booked(tx: Tx, kind: str, ref: int) -> bool:
    return await tx.fetchrow("SELECT 1 FROM analytics_booked WHERE kind = ? AND ref = ?",
                             kind, ref) is not None  # fmt: skip


async def book(tx: Tx, brand_id: int, kind: str, ref: int, day: str, at: dt.datetime,
               lines: Sequence[Line]) -> bool:  # fmt: skip
    """Record ``lines`` as the booking ``(kind, ref)`` and add them to the cubes; False
    (nothing written) when that booking exists already."""
    if await booked(tx, kind, ref):
        return False
    await tx.execute("INSERT INTO analytics_booked (kind, ref, brand_id, day, at)"
                     " VALUES (?, ?, ?, ?, ?)", kind, ref, brand_id, day, at)  # fmt: skip
    await tx.executemany(
        "INSERT INTO analytics_lines (brand_id, kind, ref, order_id, org_id, day, hour, gtin,"
        " category_id, province, city, channel, units, amount)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(brand_id, x.kind, x.ref, x.order_id, x.where.org_id, x.day, x.hour, x.gtin,
          x.category_id, x.where.province, x.where.city, x.where.channel, x.units, x.amount)
         for x in lines],
    )  # fmt: skip
    await apply(tx, brand_id, deltas(lines).items())
    return True


async def apply(tx: Tx, brand_id: int,
                rows: Iterable[tuple[tuple[str, str, str], Measures]]) -> None:  # fmt: skip
    await tx.executemany(_UPSERT, [(brand_id, c, d, k, *m.as_tuple()) for (c, d, k), m in rows])
