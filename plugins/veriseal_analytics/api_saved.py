"""``/api/v1/analytics/reports/saved``: saved report definitions, shared and scheduled
(see :mod:`.saved`; who sees and edits what is checked there)."""

from __future__ import annotations

from typing import Literal

from veriseal import Call, Endpoint, Id, Model, Short
from veriseal_analytics.api_sales import BASE, TAG, Schema, context
from veriseal_analytics.permissions import ANALYTICS_VIEW
from veriseal_analytics.saved import SavedInput, saved_reports
from veriseal_analytics.service import of, period_in


class AnalyticsSavedBody(SavedInput, kw_only=True):
    brand: Short | None = None


class AnalyticsSavedPath(Model):
    id: Id


class AnalyticsSavedQuery(Model, kw_only=True):
    brand: Short | None = None
    lang: Literal["zh", "en"] = "zh"


async def listing(call: Call, query: AnalyticsSavedQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    return {"reports": [s.to_dict() for s in await saved_reports(ctx).listing(who, brand)]}


async def create(call: Call, body: AnalyticsSavedBody) -> Schema:
    who, brand, ctx = await context(call, body.brand)
    return (await saved_reports(ctx).save(who, brand, body)).to_dict()


async def show(call: Call, path: AnalyticsSavedPath, query: AnalyticsSavedQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    return (await saved_reports(ctx).get(who, brand, path.id)).to_dict()


async def replace(call: Call, path: AnalyticsSavedPath, body: AnalyticsSavedBody) -> Schema:
    who, brand, ctx = await context(call, body.brand)
    return (await saved_reports(ctx).save(who, brand, body, path.id)).to_dict()


async def delete(call: Call, path: AnalyticsSavedPath, query: AnalyticsSavedQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    await saved_reports(ctx).delete(who, brand, path.id)
    return {"deleted": path.id}


async def run(call: Call, path: AnalyticsSavedPath, query: AnalyticsSavedQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    saved = await saved_reports(ctx).get(who, brand, path.id)
    period = period_in(ctx, saved.spec.period)
    rows = await of(ctx).reports.run(who, brand, saved.spec, period, query.lang,
                                     limit=saved.spec.limit)  # fmt: skip
    return {"report": saved.to_dict(), "period": period.to_dict(), "rows": rows,
            "shown": len(rows)}  # fmt: skip


_S = BASE + "/reports/saved"
ENDPOINTS = [
    Endpoint("GET", _S, listing, ANALYTICS_VIEW,
             "Saved reports I see (mine, shared with me or my role; all with analytics.manage)",
             tag=TAG),
    Endpoint("POST", _S, create, ANALYTICS_VIEW,
             "Save a report definition; sharing takes analytics.manage, a schedule"
             " analytics.export (409 analytics_saved_exists)", 201, tag=TAG),
    Endpoint("GET", _S + "/{id}", show, ANALYTICS_VIEW, "One saved report", tag=TAG),
    Endpoint("PUT", _S + "/{id}", replace, ANALYTICS_VIEW,
             "Replace a saved report (its owner, or analytics.manage)", tag=TAG),
    Endpoint("DELETE", _S + "/{id}", delete, ANALYTICS_VIEW,
             "Delete a saved report (its owner, or analytics.manage)", tag=TAG),
    Endpoint("POST", _S + "/{id}/run", run, ANALYTICS_VIEW,
             "Run a saved report now (its display limit)", tag=TAG),
]  # fmt: skip
