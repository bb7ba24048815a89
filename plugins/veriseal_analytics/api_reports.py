"""``/api/v1/analytics/reports`` and ``/exports``: run a report definition
(``analytics.view``), and export it as CSV, XLSX or PDF in the background with progress
and a download when done (``analytics.export``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from msgspec import Meta

from veriseal import Call, Endpoint, Id, Model, Short
from veriseal_analytics.api_sales import BASE, TAG, Schema, context
from veriseal_analytics.exports import DOWNLOAD_TYPES, jobs
from veriseal_analytics.permissions import ANALYTICS_EXPORT, ANALYTICS_VIEW
from veriseal_analytics.reports import ReportSpec, spec_of
from veriseal_analytics.service import of, period_in


class AnalyticsReportRun(Model, kw_only=True):
    brand: Short | None = None
    spec: dict[str, Any]
    lang: Literal["zh", "en"] = "zh"


class AnalyticsExportStart(AnalyticsReportRun, kw_only=True):
    format: Literal["csv", "xlsx", "pdf"] = "csv"


class AnalyticsExportPath(Model):
    id: Id


class AnalyticsBrandQuery(Model, kw_only=True):
    brand: Short | None = None
    limit: Annotated[int, Meta(ge=1, le=100)] = 20


async def run_report(call: Call, body: AnalyticsReportRun) -> Schema:
    who, brand, ctx = await context(call, body.brand)
    spec: ReportSpec = spec_of(body.spec)
    period = period_in(ctx, spec.period)
    rows = await of(ctx).reports.run(who, brand, spec, period, body.lang, limit=spec.limit)
    return {"period": period.to_dict(), "rows": rows, "shown": len(rows)}


async def start_export(call: Call, body: AnalyticsExportStart) -> Schema:
    who, brand, ctx = await context(call, body.brand)
    job = await jobs(ctx).start(who, brand, spec_of(body.spec), body.format, body.lang)
    return job.to_dict()


async def list_exports(call: Call, query: AnalyticsBrandQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    return {"exports": [j.to_dict() for j in await jobs(ctx).listing(who, brand, query.limit)]}


async def show_export(call: Call, path: AnalyticsExportPath, query: AnalyticsBrandQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    return (await jobs(ctx).get(who, brand, path.id)).to_dict()


async def download_export(
    call: Call, path: AnalyticsExportPath, query: AnalyticsBrandQuery
) -> web.StreamResponse:
    who, brand, ctx = await context(call, query.brand)
    file, job = await jobs(ctx).file(who, brand, path.id)
    return web.FileResponse(file, headers={
        "Content-Type": DOWNLOAD_TYPES[job.format], "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'attachment; filename="{job.file_name}"'})  # fmt: skip


_E = BASE + "/exports"
ENDPOINTS = [
    Endpoint("POST", f"{BASE}/reports/run", run_report, ANALYTICS_VIEW,
             "Run a report definition (measures, dimensions, filters, period, comparison,"
             " sort, display limit)", tag=TAG),
    Endpoint("POST", _E, start_export, ANALYTICS_EXPORT,
             "Export a report as CSV, XLSX or PDF in the background; poll the job", 202, tag=TAG),
    Endpoint("GET", _E, list_exports, ANALYTICS_EXPORT, "The brand's export jobs, newest first",
             tag=TAG),
    Endpoint("GET", _E + "/{id}", show_export, ANALYTICS_EXPORT,
             "An export job: status, rows written so far, error", tag=TAG),
    Endpoint("GET", _E + "/{id}/file", download_export, ANALYTICS_EXPORT,
             "A finished export's file (404 analytics_export_not_found until done)", tag=TAG),
]  # fmt: skip
