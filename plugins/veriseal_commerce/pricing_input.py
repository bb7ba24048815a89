"""What people and programs type for price rows and promotions, turned into the engine's
records: one reader for the API, the CLI and the console, so they accept the same
things. Bad input is ``price_invalid`` / ``money_invalid`` with nothing written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from veriseal_commerce.money import parse_amount
from veriseal_commerce.pricing import PriceInvalid, percent
from veriseal_commerce.pricing_models import PriceRow, Promotion


def _opt_int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise PriceInvalid(f"{name} is a whole number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PriceInvalid(f"{name} is a whole number") from None
    if not 0 <= number < 2**63:
        raise PriceInvalid(f"{name} is out of range")
    return number


def _opt_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if "\x00" in text or len(text) > 64:
        raise PriceInvalid("a value has at most 64 characters")
    return text or None


def when(value: Any) -> dt.datetime | None:
    """A date or ISO date-time (naive = UTC), None for nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        found = value
    else:
        try:
            found = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise PriceInvalid(f"{str(value)[:30]!r} is not a date or ISO date-time") from None
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)


def _amount(value: Any, currency: str) -> int:
    if value is None or value == "":
        return 0
    return parse_amount(value if isinstance(value, int) else str(value), currency)


def price_row(data: Mapping[str, Any], currency: str = "CNY", row_id: int = 0) -> PriceRow:
    """A row from ``{"list_id", "gtin"|"category_id", "level", "org_id", "region",
    "min_qty", "valid_from", "valid_until", "price" (e.g. "12.50") | "base_list_id" +
    "percent", "rounding"}``."""
    list_id = _opt_int(data.get("list_id"), "list_id")
    if list_id is None:
        raise PriceInvalid("list_id is required")
    base = _opt_int(data.get("base_list_id"), "base_list_id")
    if base is None and data.get("price") in (None, ""):
        raise PriceInvalid("give a price, or base_list_id and percent")
    return PriceRow(
        id=row_id,
        list_id=list_id,
        gtin=_opt_text(data.get("gtin")),
        category_id=_opt_int(data.get("category_id"), "category_id"),
        level=_opt_text(data.get("level")),
        org_id=_opt_int(data.get("org_id"), "org_id"),
        region=_opt_text(data.get("region")),
        min_qty=_opt_int(data.get("min_qty"), "min_qty") or 1,
        valid_from=when(data.get("valid_from")),
        valid_until=when(data.get("valid_until")),
        amount=_amount(data.get("price"), currency),
        base_list_id=base,
        percent=percent(data.get("percent", 100) or 100),
        rounding=_opt_text(data.get("rounding")) or "none",
    )


def _texts(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    if len(items) > 200:
        raise PriceInvalid("at most 200 values in a list")
    return tuple(t for t in (_opt_text(x) for x in items) if t)


def _ints(value: Any, name: str) -> tuple[int, ...]:
    return tuple(n for n in (_opt_int(x, name) for x in _texts(value)) if n is not None)


def _tiers(value: Any) -> tuple[tuple[int, Decimal], ...]:
    """``"10:5,50:8"`` or ``[[10, "5"], [50, "8"]]``: from 10 units 5% off, ..."""
    pairs = [t.split(":") for t in _texts(value)] if isinstance(value, str) else value or []
    tiers: list[tuple[int, Decimal]] = []
    for pair in pairs:
        if len(pair) != 2:
            raise PriceInvalid("a tier is quantity:percent")
        qty = _opt_int(pair[0], "tier quantity")
        if not qty:
            raise PriceInvalid("a tier starts at a positive quantity")
        tiers.append((qty, percent(pair[1])))
    return tuple(sorted(tiers))


def promotion(data: Mapping[str, Any]) -> Promotion:
    """A promotion from its fields (see :class:`.pricing_models.Promotion`); amounts as
    typed (``"20"`` CNY is 2000 分), lists as JSON arrays or comma-separated text."""
    currency = str(data.get("currency") or "CNY")
    return Promotion(
        id=0,
        brand_id=0,
        name=str(data.get("name") or "").strip(),
        benefit=str(data.get("benefit") or ""),
        currency=currency,
        priority=_opt_int(data.get("priority"), "priority") or 0,
        exclusive=bool(data.get("exclusive", False)),
        combines_with=_ints(data.get("combines_with"), "combines_with"),
        gtins=_texts(data.get("gtins")),
        category_ids=_ints(data.get("category_ids"), "category_ids"),
        min_qty=_opt_int(data.get("min_qty"), "min_qty") or 0,
        min_amount=_amount(data.get("min_amount"), currency),
        levels=_texts(data.get("levels")),
        regions=_texts(data.get("regions")),
        starts=when(data.get("starts")),
        ends=when(data.get("ends")),
        first_order=bool(data.get("first_order", False)),
        suggested_only=bool(data.get("suggested_only", False)),
        suggested_k=_opt_int(data.get("suggested_k"), "suggested_k") or 10,
        percent=percent(data.get("percent") or 0),
        amount=_amount(data.get("amount"), currency),
        tiers=_tiers(data.get("tiers")),
        buy_qty=_opt_int(data.get("buy_qty"), "buy_qty") or 0,
        gift_qty=_opt_int(data.get("gift_qty"), "gift_qty") or 0,
        gift_gtin=_opt_text(data.get("gift_gtin")),
        per_order=_opt_int(data.get("per_order"), "per_order"),
        per_dealer=_opt_int(data.get("per_dealer"), "per_dealer"),
        overall=_opt_int(data.get("overall"), "overall"),
        budget=None if data.get("budget") in (None, "") else _amount(data["budget"], currency),
    )


def row_dict(r: PriceRow) -> dict[str, Any]:
    """A row for JSON and templates."""
    return {
        "id": r.id, "list_id": r.list_id, "gtin": r.gtin, "category_id": r.category_id,
        "level": r.level, "org_id": r.org_id, "region": r.region, "min_qty": r.min_qty,
        "valid_from": r.valid_from.isoformat() if r.valid_from else None,
        "valid_until": r.valid_until.isoformat() if r.valid_until else None,
        "price": r.amount if r.base_list_id is None else None,
        "base_list_id": r.base_list_id,
        "percent": str(r.percent) if r.base_list_id is not None else None,
        "rounding": r.rounding,
    }  # fmt: skip


def promotion_dict(p: Promotion) -> dict[str, Any]:
    """A promotion for JSON and templates."""
    return {
        "id": p.id, "name": p.name, "benefit": p.benefit, "currency": p.currency,
        "priority": p.priority, "exclusive": p.exclusive,
        "combines_with": list(p.combines_with), "gtins": list(p.gtins),
        "category_ids": list(p.category_ids), "min_qty": p.min_qty,
        "min_amount": p.min_amount, "levels": list(p.levels), "regions": list(p.regions),
        "starts": p.starts.isoformat() if p.starts else None,
        "ends": p.ends.isoformat() if p.ends else None, "first_order": p.first_order,
        "suggested_only": p.suggested_only, "suggested_k": p.suggested_k,
        "percent": str(p.percent), "amount": p.amount,
        "tiers": [[q, str(pc)] for q, pc in p.tiers], "buy_qty": p.buy_qty,
        "gift_qty": p.gift_qty, "gift_gtin": p.gift_gtin, "per_order": p.per_order,
        "per_dealer": p.per_dealer, "overall": p.overall, "budget": p.budget,
        "active": p.active,
    }  # fmt: skip
