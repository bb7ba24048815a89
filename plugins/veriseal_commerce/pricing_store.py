"""SQL of price lists, rows and promotions (``commerce_price_*``, ``commerce_promotion*``).

Reads build the engine's records (:mod:`.pricing_models`); writes take a transaction
from the caller, so the service decides what is atomic. No permission checks here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from veriseal.extend import Tx
from veriseal_commerce.pricing_models import PriceList, PriceRow, Promotion, Usage

Row = Mapping[str, Any]

_ROW_COLS = (
    "list_id", "gtin", "category_id", "level", "org_id", "region", "min_qty", "valid_from",
    "valid_until", "amount", "base_list_id", "percent", "rounding",
)  # fmt: skip
_PROMO_COLS = (
    "name", "benefit", "currency", "priority", "exclusive", "spec", "per_order",
    "per_dealer", "overall", "budget", "active",
)  # fmt: skip


def _time(tx: Tx, value: Any) -> dt.datetime | None:
    return None if value is None else tx.dialect.timestamp(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def list_of(row: Row) -> PriceList:
    return PriceList(int(row["id"]), int(row["brand_id"]), str(row["name"]), str(row["currency"]))


def row_of(tx: Tx, row: Row) -> PriceRow:
    return PriceRow(
        id=int(row["id"]),
        list_id=int(row["list_id"]),
        gtin=row["gtin"],
        category_id=_int(row["category_id"]),
        level=row["level"],
        org_id=_int(row["org_id"]),
        region=row["region"],
        min_qty=int(row["min_qty"]),
        valid_from=_time(tx, row["valid_from"]),
        valid_until=_time(tx, row["valid_until"]),
        amount=int(row["amount"]),
        base_list_id=_int(row["base_list_id"]),
        percent=Decimal(str(row["percent"])),
        rounding=str(row["rounding"]),
    )


def promotion_of(tx: Tx, row: Row) -> Promotion:
    spec = tx.dialect.decode_json(row["spec"])
    return Promotion(
        id=int(row["id"]),
        brand_id=int(row["brand_id"]),
        name=str(row["name"]),
        benefit=str(row["benefit"]),
        currency=str(row["currency"]),
        priority=int(row["priority"]),
        exclusive=bool(row["exclusive"]),
        combines_with=tuple(int(x) for x in spec.get("combines_with", ())),
        gtins=tuple(str(x) for x in spec.get("gtins", ())),
        category_ids=tuple(int(x) for x in spec.get("category_ids", ())),
        min_qty=int(spec.get("min_qty", 0)),
        min_amount=int(spec.get("min_amount", 0)),
        levels=tuple(str(x) for x in spec.get("levels", ())),
        regions=tuple(str(x) for x in spec.get("regions", ())),
        starts=_parse_time(spec.get("starts")),
        ends=_parse_time(spec.get("ends")),
        first_order=bool(spec.get("first_order", False)),
        suggested_only=bool(spec.get("suggested_only", False)),
        suggested_k=int(spec.get("suggested_k", 10)),
        percent=Decimal(str(spec.get("percent", "0"))),
        amount=int(spec.get("amount", 0)),
        tiers=tuple((int(q), Decimal(str(p))) for q, p in spec.get("tiers", ())),
        buy_qty=int(spec.get("buy_qty", 0)),
        gift_qty=int(spec.get("gift_qty", 0)),
        gift_gtin=spec.get("gift_gtin"),
        per_order=_int(row["per_order"]),
        per_dealer=_int(row["per_dealer"]),
        overall=_int(row["overall"]),
        budget=_int(row["budget"]),
        active=bool(row["active"]),
    )


def _parse_time(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def promotion_spec(p: Promotion) -> dict[str, Any]:
    """The JSON ``spec`` column of a promotion (its conditions and benefit details).
    Conditions added later are read with their defaults from older rows (no migration:
    ``suggested_only`` / ``suggested_k`` are absent from promotions saved before them)."""
    return {
        "combines_with": list(p.combines_with),
        "gtins": list(p.gtins),
        "category_ids": list(p.category_ids),
        "min_qty": p.min_qty,
        "min_amount": p.min_amount,
        "levels": list(p.levels),
        "regions": list(p.regions),
        "starts": p.starts.isoformat() if p.starts else None,
        "ends": p.ends.isoformat() if p.ends else None,
        "first_order": p.first_order,
        "suggested_only": p.suggested_only,
        "suggested_k": p.suggested_k,
        "percent": str(p.percent),
        "amount": p.amount,
        "tiers": [[q, str(pc)] for q, pc in p.tiers],
        "buy_qty": p.buy_qty,
        "gift_qty": p.gift_qty,
        "gift_gtin": p.gift_gtin,
    }


# -- reads -------------------------------------------------------------------------------


async def lists(tx: Tx, brand_id: int) -> list[PriceList]:
    found = await tx.fetch(
        "SELECT id, brand_id, name, currency FROM commerce_price_lists"
        " WHERE brand_id = ? ORDER BY id",
        brand_id,
    )
    return [list_of(r) for r in found]


async def rows(tx: Tx, brand_id: int, list_id: int | None = None) -> list[PriceRow]:
    sql = "SELECT id, " + ", ".join(_ROW_COLS) + " FROM commerce_price_rows WHERE brand_id = ?"
    args: list[Any] = [brand_id]
    if list_id is not None:
        sql += " AND list_id = ?"
        args.append(list_id)
    return [row_of(tx, r) for r in await tx.fetch(sql + " ORDER BY id", *args)]


async def row(tx: Tx, brand_id: int, row_id: int) -> PriceRow | None:
    found = await tx.fetchrow(
        "SELECT id, " + ", ".join(_ROW_COLS) + " FROM commerce_price_rows"
        " WHERE brand_id = ? AND id = ?",
        brand_id,
        row_id,
    )
    return None if found is None else row_of(tx, found)


async def promotions(tx: Tx, brand_id: int, *, active_only: bool = False) -> list[Promotion]:
    sql = "SELECT id, brand_id, " + ", ".join(_PROMO_COLS) + " FROM commerce_promotions"
    sql += " WHERE brand_id = ?" + (" AND active = ?" if active_only else "")
    args: list[Any] = [brand_id, True] if active_only else [brand_id]
    return [promotion_of(tx, r) for r in await tx.fetch(sql + " ORDER BY id", *args)]


async def promotion(tx: Tx, brand_id: int, promo_id: int, *, lock: bool = False) -> Row | None:
    """The promotion's row with its counters; ``lock``: held until the transaction ends
    (PostgreSQL ``FOR UPDATE``; on SQLite the write transaction excludes every writer)."""
    return await tx.fetchrow(
        "SELECT id, brand_id, " + ", ".join(_PROMO_COLS) + ", used_orders, used_amount"
        " FROM commerce_promotions WHERE brand_id = ? AND id = ?"
        + (tx.dialect.for_update if lock else ""),
        brand_id,
        promo_id,
    )


async def usage(tx: Tx, brand_id: int, org_id: int | None) -> dict[int, Usage]:
    """Every promotion's uses so far: orders and amount overall, orders by ``org_id``."""
    found = await tx.fetch(
        "SELECT p.id, p.used_orders, p.used_amount, (SELECT COUNT(*) FROM"
        " commerce_promotion_uses u WHERE u.promotion_id = p.id AND u.org_id = ?"
        " AND u.released_at IS NULL) AS mine FROM commerce_promotions p WHERE p.brand_id = ?",
        org_id if org_id is not None else -1,
        brand_id,
    )
    return {
        int(r["id"]): Usage(int(r["used_orders"]), int(r["mine"]), int(r["used_amount"]))
        for r in found
    }


async def dealer_uses(tx: Tx, promo_id: int, org_id: int) -> int:
    found = await tx.fetchrow(
        "SELECT COUNT(*) AS n FROM commerce_promotion_uses"
        " WHERE promotion_id = ? AND org_id = ? AND released_at IS NULL",
        promo_id,
        org_id,
    )
    return int(found["n"]) if found else 0


# -- writes ------------------------------------------------------------------------------


async def add_list(tx: Tx, brand_id: int, name: str, currency: str, at: dt.datetime) -> int:
    return await tx.insert_returning_id(
        "commerce_price_lists",
        {"brand_id": brand_id, "name": name, "currency": currency, "created_at": at},
    )


def _row_values(r: PriceRow) -> dict[str, Any]:
    values: Mapping[str, Any] = {
        "list_id": r.list_id, "gtin": r.gtin, "category_id": r.category_id,
        "level": r.level, "org_id": r.org_id, "region": r.region, "min_qty": r.min_qty,
        "valid_from": r.valid_from, "valid_until": r.valid_until, "amount": r.amount,
        "base_list_id": r.base_list_id, "percent": str(r.percent), "rounding": r.rounding,
    }  # fmt: skip
    return dict(values)


async def insert_row(tx: Tx, brand_id: int, r: PriceRow, at: dt.datetime) -> int:
    return await tx.insert_returning_id(
        "commerce_price_rows", {"brand_id": brand_id, **_row_values(r), "created_at": at}
    )


async def update_row(tx: Tx, brand_id: int, r: PriceRow) -> None:
    values = _row_values(r)
    await tx.execute(
        "UPDATE commerce_price_rows SET "
        + ", ".join(f"{k} = ?" for k in values)
        + " WHERE brand_id = ? AND id = ?",
        *values.values(),
        brand_id,
        r.id,
    )


async def delete_row(tx: Tx, brand_id: int, row_id: int) -> None:
    await tx.execute(
        "DELETE FROM commerce_price_rows WHERE brand_id = ? AND id = ?", brand_id, row_id
    )


async def insert_promotion(tx: Tx, p: Promotion, at: dt.datetime) -> int:
    return await tx.insert_returning_id(
        "commerce_promotions",
        {
            "brand_id": p.brand_id, "name": p.name, "benefit": p.benefit,
            "currency": p.currency, "priority": p.priority, "exclusive": p.exclusive,
            "spec": tx.dialect.encode_json(promotion_spec(p)), "per_order": p.per_order,
            "per_dealer": p.per_dealer, "overall": p.overall, "budget": p.budget,
            "active": p.active, "used_orders": 0, "used_amount": 0, "created_at": at,
        },
    )  # fmt: skip


async def set_active(tx: Tx, brand_id: int, promo_id: int, active: bool) -> None:
    await tx.execute(
        "UPDATE commerce_promotions SET active = ? WHERE brand_id = ? AND id = ?",
        active,
        brand_id,
        promo_id,
    )


async def delete_promotion(tx: Tx, brand_id: int, promo_id: int) -> None:
    await tx.execute(
        "DELETE FROM commerce_promotion_uses WHERE promotion_id = ? AND brand_id = ?",
        promo_id,
        brand_id,
    )
    await tx.execute(
        "DELETE FROM commerce_promotions WHERE brand_id = ? AND id = ?", brand_id, promo_id
    )


async def add_use(tx: Tx, use: Mapping[str, Any]) -> None:
    """Record one order's use and count it on the (locked) promotion row."""
    await tx.execute(
        "INSERT INTO commerce_promotion_uses (promotion_id, brand_id, order_id, org_id,"
        " amount, at) VALUES (?, ?, ?, ?, ?, ?)",
        use["promotion_id"], use["brand_id"], use["order_id"], use["org_id"],
        use["amount"], use["at"],
    )  # fmt: skip
    await tx.execute(
        "UPDATE commerce_promotions SET used_orders = used_orders + 1,"
        " used_amount = used_amount + ? WHERE id = ?",
        use["amount"],
        use["promotion_id"],
    )


async def release_uses(tx: Tx, order_id: int, at: dt.datetime) -> int:
    """Give back every use of ``order_id`` not yet released; how many."""
    found = await tx.fetch(
        "SELECT id, promotion_id, amount FROM commerce_promotion_uses"
        " WHERE order_id = ? AND released_at IS NULL ORDER BY promotion_id",
        order_id,
    )
    for use in found:
        await tx.fetch(
            "SELECT id FROM commerce_promotions WHERE id = ?" + tx.dialect.for_update,
            use["promotion_id"],
        )
        await tx.execute(
            "UPDATE commerce_promotion_uses SET released_at = ? WHERE id = ?", at, use["id"]
        )
        await tx.execute(
            "UPDATE commerce_promotions SET used_orders = used_orders - 1,"
            " used_amount = used_amount - ? WHERE id = ?",
            use["amount"],
            use["promotion_id"],
        )
    return len(found)
