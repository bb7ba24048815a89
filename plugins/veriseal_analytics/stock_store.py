"""SQL of the stock rollups: booked posts and cube rows (both backends).

Contracts: :func:`book` is idempotent per post id (a redelivered event books nothing);
:func:`apply` adds with one upsert per row, so concurrent bookers add rather than
overwrite, and keeps the category a row was first booked with; every function runs
inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from veriseal.extend import Tx
from veriseal_analytics.stock_booking import Flow, StockKey

_UPSERT = (
    "INSERT INTO analytics_stock_cube (brand_id, day, warehouse_id, gtin, kind, category_id,"
    " units_in, units_out) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (brand_id, day, warehouse_id, gtin, kind) DO UPDATE SET"
    " units_in = analytics_stock_cube.units_in + excluded.units_in,"
    " units_out = analytics_stock_cube.units_out + excluded.units_out"
)
#: a product's category at booking (None: none known)
Categories = Mapping[str, int | None]


async def booked(tx: Tx, brand_id: int) -> set[int]:
    """The ids of the brand's posts booked."""
    rows = await tx.fetch("SELECT post_id FROM analytics_stock_posts WHERE brand_id = ?",
                          brand_id)  # fmt: skip
    return {int(r["post_id"]) for r in rows}


async def book(tx: Tx, brand_id: int, post_id: int, day: str, at: dt.datetime,
               rows: Mapping[StockKey, Flow], categories: Categories) -> bool:  # fmt: skip
    """Mark the post booked and add its rows; False (nothing written) when it was."""
    done = await tx.fetchrow("SELECT 1 FROM analytics_stock_posts WHERE post_id = ?", post_id)
    if done is not None:
        return False
    await tx.execute("INSERT INTO analytics_stock_posts (post_id, brand_id, day, at)"
                     " VALUES (?, ?, ?, ?)", post_id, brand_id, day, at)  # fmt: skip
    await apply(tx, brand_id, rows.items(), categories)
    return True


async def apply(tx: Tx, brand_id: int, rows: Iterable[tuple[StockKey, Flow]],
                categories: Categories) -> None:  # fmt: skip
    await tx.executemany(_UPSERT, [(brand_id, d, w, g, k, categories.get(g), f.units_in,
                                    f.units_out) for (d, w, g, k), f in rows])  # fmt: skip


async def cube(tx: Tx, brand_id: int) -> dict[StockKey, Flow]:
    """The brand's stored cube rows."""
    rows = await tx.fetch("SELECT day, warehouse_id, gtin, kind, units_in, units_out"
                          " FROM analytics_stock_cube WHERE brand_id = ?", brand_id)  # fmt: skip
    return {(str(r["day"]), int(r["warehouse_id"]), str(r["gtin"]), str(r["kind"])):
            Flow(int(r["units_in"]), int(r["units_out"])) for r in rows}  # fmt: skip


async def clear_cube(tx: Tx, brand_id: int) -> None:
    await tx.execute("DELETE FROM analytics_stock_cube WHERE brand_id = ?", brand_id)
