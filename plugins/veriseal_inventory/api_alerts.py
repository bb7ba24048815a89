"""``/api/v1/inventory/stock/settings``, ``/stock/alerts``, ``/stock/overview`` and
``/stock/replenishment``: safety-stock settings (``stock.manage`` to change, over the
warehouse; the brand default over the brand), low-stock alerts, the stock overview with
thresholds and state, and replenishment suggestions with the numbers behind them
(``stock.view``, within the caller's warehouses)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from veriseal import Call, Endpoint, Model, Short
from veriseal_inventory.api_common import BASE, TAG, BrandQuery, Gtin, Schema, context, warehouse
from veriseal_inventory.permissions import STOCK_MANAGE, STOCK_VIEW
from veriseal_inventory.planning import PlanRequest
from veriseal_inventory.replenish import DEFAULT_REVIEW_DAYS, DEFAULT_WINDOW_DAYS, Policy

Units = Annotated[int, Meta(ge=0, le=10**12)]
Days = Annotated[int, Meta(ge=0, le=3660)]


class SettingsQuery(BrandQuery):
    gtin: Gtin | None = None
    warehouse: Short | None = None


class SettingKey(BrandQuery, kw_only=True):
    gtin: Gtin
    warehouse: Short | None = None  # none: the brand default


class SettingBody(Model, kw_only=True):
    gtin: Gtin
    warehouse: Short | None = None  # none: the brand default
    safety_stock: Units = 0
    reorder_point: Units = 0
    reorder_qty: Units = 0
    lead_time_days: Days = 0
    review_days: Days = DEFAULT_REVIEW_DAYS
    pack_size: Annotated[int, Meta(ge=1, le=10**12)] = 1


class AlertsQuery(BrandQuery):
    warehouse: Short | None = None
    open: bool = False
    limit: Annotated[int, Meta(ge=1, le=1000)] = 200


class PlanQuery(BrandQuery):
    warehouse: Short | None = None
    gtin: Gtin | None = None
    days: Annotated[int, Meta(ge=1, le=3660)] = DEFAULT_WINDOW_DAYS
    basis: Literal["outbound", "scans"] = "outbound"
    all: bool = False
    lang: Literal["en", "zh"] = "en"


async def settings(call: Call, query: SettingsQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = None if query.warehouse is None else await warehouse(inv, brand, query.warehouse)
    found = await inv.alerts.settings(who, brand, gtin=query.gtin, warehouse=w)
    return {"settings": [s.to_dict() for s in found]}


async def save_setting(call: Call, query: BrandQuery, body: SettingBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = None if body.warehouse is None else await warehouse(inv, brand, body.warehouse)
    policy = Policy(body.safety_stock, body.reorder_point, body.reorder_qty,
                    body.lead_time_days, body.review_days, body.pack_size)  # fmt: skip
    return (await inv.alerts.save(who, brand, body.gtin, policy, w)).to_dict()


async def clear_setting(call: Call, query: SettingKey) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = None if query.warehouse is None else await warehouse(inv, brand, query.warehouse)
    return {"cleared": await inv.alerts.clear(who, brand, query.gtin, w)}


async def alerts(call: Call, query: AlertsQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = None if query.warehouse is None else await warehouse(inv, brand, query.warehouse)
    found = await inv.alerts.alerts(who, brand, open_only=query.open, warehouse=w,
                                    limit=query.limit)  # fmt: skip
    return {"alerts": [a.to_dict() for a in found]}


async def overview(call: Call, query: SettingsQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = None if query.warehouse is None else await warehouse(inv, brand, query.warehouse)
    rows = await inv.alerts.overview(who, brand, gtin=query.gtin, warehouse=w)
    return {"stock": [{
        **r.level.to_dict(), "state": r.state,
        "setting": None if r.setting is None else r.setting.to_dict(),
        "alert": None if r.alert is None else r.alert.to_dict(),
    } for r in rows]}  # fmt: skip


async def replenishment(call: Call, query: PlanQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = None if query.warehouse is None else await warehouse(inv, brand, query.warehouse)
    request = PlanRequest(w, query.gtin, query.days, query.basis, only_needed=not query.all)
    rows = await inv.planning.plan(who, brand, request)
    return {"suggestions": [r.to_dict(query.lang) for r in rows]}


ENDPOINTS = [
    Endpoint("GET", f"{BASE}/stock/settings", settings, STOCK_VIEW,
             "Safety-stock settings: brand defaults and rows of my warehouses", tag=TAG),
    Endpoint("PUT", f"{BASE}/stock/settings", save_setting, STOCK_MANAGE,
             "Set a product's safety stock, reorder point and quantity (for a warehouse,"
             " else the brand default); alerts are re-evaluated at once", tag=TAG),
    Endpoint("DELETE", f"{BASE}/stock/settings", clear_setting, STOCK_MANAGE,
             "Remove a product's setting row (of a warehouse, else the brand default)",
             tag=TAG),
    Endpoint("GET", f"{BASE}/stock/alerts", alerts, STOCK_VIEW,
             "Low-stock alerts of my warehouses, newest first (?open=true: open ones)",
             tag=TAG),
    Endpoint("GET", f"{BASE}/stock/overview", overview, STOCK_VIEW,
             "Stock levels with their safety stock, thresholds and alert state", tag=TAG),
    Endpoint("GET", f"{BASE}/stock/replenishment", replenishment, STOCK_VIEW,
             "Suggested replenishment with the numbers behind each suggestion", tag=TAG),
]  # fmt: skip
