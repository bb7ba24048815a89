"""SQL of the rollups: booked marks, booked lines and cube rows (both backends).

Contracts: :func:`book` is idempotent per ``(kind, ref)``: a booking already recorded
(a redelivered event) books nothing, and a batch holding the same booking twice books
it once; it writes a whole batch with one read of ``analytics_booked`` per kind and one
upsert per distinct cube row (the batch's deltas summed first, :func:`.booking.merged`);
:func:`apply` adds deltas (``orders = orders + excluded.orders``...), so concurrent
bookers add rather than overwrite, in a fixed row order (sorted) so two of them on
PostgreSQL lock shared rows in the same order and cannot deadlock; every function runs
inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from veriseal.extend import Tx
from veriseal_analytics.booking import Booking, CubeRow, Measures, first_of_each, merged

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
#: refs per ``IN (...)`` list: far below either backend's parameter limit
_CHUNK = 500


async def booked_among(tx: Tx, marks: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
    """Those of ``marks`` (``(kind, ref)``) booked already: one query per kind (and per
    500 refs), each served by the primary key ``(kind, ref)``."""
    by_kind: dict[str, list[int]] = {}
    for kind, ref in set(marks):
        by_kind.setdefault(kind, []).append(ref)
    found: set[tuple[str, int]] = set()
    for kind, refs in sorted(by_kind.items()):
        refs.sort()
        for i in range(0, len(refs), _CHUNK):
            part = refs[i : i + _CHUNK]
            rows = await tx.fetch(
                f"SELECT ref FROM analytics_booked WHERE kind = ?"
                f" AND ref IN ({', '.join('?' * len(part))})", kind, *part)  # fmt: skip
            found.update((kind, int(r["ref"])) for r in rows)
    return found


async def book(tx: Tx, bookings: Sequence[Booking]) -> list[Booking]:
    """Record those of ``bookings`` not booked yet (the first of a repeated one) and add
    their lines to the cubes; the bookings made, in order (see the module)."""
    fresh = first_of_each(bookings)
    done = await booked_among(tx, (b.mark for b in fresh))
    fresh = [b for b in fresh if b.mark not in done]
    if not fresh:
        return []
    await tx.executemany("INSERT INTO analytics_booked (kind, ref, brand_id, day, at)"
                         " VALUES (?, ?, ?, ?, ?)",
                         [(b.kind, b.ref, b.brand_id, b.day, b.at) for b in fresh])  # fmt: skip
    await tx.executemany(
        "INSERT INTO analytics_lines (brand_id, kind, ref, order_id, org_id, day, hour, gtin,"
        " category_id, province, city, channel, units, amount)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(b.brand_id, x.kind, x.ref, x.order_id, x.where.org_id, x.day, x.hour, x.gtin,
          x.category_id, x.where.province, x.where.city, x.where.channel, x.units, x.amount)
         for b in fresh for x in b.lines],
    )  # fmt: skip
    await apply_rows(tx, merged(fresh))
    return fresh


async def apply_rows(tx: Tx, rows: Mapping[CubeRow, Measures]) -> None:
    """Add ``rows`` (brand's cube row -> deltas) to the cubes: one upsert per row."""
    await tx.executemany(_UPSERT, [(*row, *rows[row].as_tuple()) for row in sorted(rows)])


async def apply(tx: Tx, brand_id: int,
                rows: Iterable[tuple[tuple[str, str, str], Measures]]) -> None:  # fmt: skip
    """Add one brand's ``rows`` (``(cube, day, key)`` -> deltas) to its cubes."""
    await apply_rows(tx, {(brand_id, c, d, k): m for (c, d, k), m in rows})
