"""``/console/analytics/reports``: build a report (measures, dimensions, period,
comparison, filters), see its first rows, export it in the background as CSV, XLSX or
PDF, follow the job and download the file when done.

The form is a GET (a report's address can be bookmarked and shared); starting an export
is a POST (CSRF-checked, ``analytics.export``); downloads go through the same checks as
the API. The display limit (rows shown) and the export (every row) stay separate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from veriseal import VerisealError
from veriseal.extend import ConsolePage, ConsoleView, Page
from veriseal_analytics.console_common import reader
from veriseal_analytics.exports import jobs
from veriseal_analytics.permissions import ANALYTICS_EXPORT, ANALYTICS_VIEW
from veriseal_analytics.reports import DIMENSIONS, FILTERS, MEASURES, ReportSpec, columns, spec_of
from veriseal_analytics.service import of, period_in

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

BASE = "/console/analytics/reports"
_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip


def _spec(query: Any) -> ReportSpec:
    """The definition a form (GET query or POST body) describes."""
    dims = [d for d in (query.get("dim1", ""), query.get("dim2", "")) if d]
    measures = [m for m in MEASURES if query.get(f"m_{m}")] or ["revenue", "units", "orders"]
    filters = {f: tuple(v.strip() for v in str(query.get(f"f_{f}", "")).split(",") if v.strip())
               for f in FILTERS if str(query.get(f"f_{f}", "")).strip()}  # fmt: skip
    sort = str(query.get("sort", "") or measures[0])
    return spec_of({"measures": measures, "dimensions": dims,
                    "period": str(query.get("period", "") or "30d")[:40],
                    "compare": str(query.get("compare", "") or "none"),
                    "filters": filters, "sort": sort, "limit": 100})  # fmt: skip


async def reports_page(call: ConsoleCall) -> Page:
    """The builder, the first rows of the report asked and the recent exports."""
    r = await reader(call)
    error, rows, cols, spec = "", [], [], None
    asked = "dim1" in call.query
    try:
        spec = _spec(call.query if asked else {"dim1": "product"})
        if asked:
            period = period_in(r.ctx, spec.period)
            rows = await of(r.ctx).reports.run(r.who, r.brand, spec, period, r.lang,
                                               limit=spec.limit)  # fmt: skip
            cols = columns(spec)
    except VerisealError as exc:
        error = call.refused(exc)
    can_export = r.ctx.allowed(r.who, ANALYTICS_EXPORT)
    recent = [j.to_dict() for j in await jobs(r.ctx).listing(r.who, r.brand)] if can_export else []
    return Page("veriseal_analytics/reports.html",
                {"brand": r.brand, "error": error, "rows": rows, "cols": cols, "asked": asked,
                 "q": dict(call.query), "measures": MEASURES, "dimensions": DIMENSIONS,
                 "filters": FILTERS, "jobs": recent, "can_export": can_export,
                 "spec": spec},
                400 if error else 200)  # fmt: skip


async def start_export(call: ConsoleCall) -> web.Response:
    """Queue the export of the posted definition; back to the page, where it shows."""
    r = await reader(call)
    form = await call.form()
    fmt = str(form.get("format", "csv"))
    if fmt not in _TYPES:
        fmt = "csv"
    try:
        job = await jobs(r.ctx).start(r.who, r.brand, _spec(form), fmt, r.lang)  # type: ignore[arg-type]
    except VerisealError as exc:
        return call.redirect(f"{BASE}?brand={r.brand.slug}", call.refused(exc), call.refused(exc))
    return call.redirect(f"{BASE}?brand={r.brand.slug}#export-{job.id}",
                         f"Export #{job.id} started", f"导出任务 #{job.id} 已开始")  # fmt: skip


async def download(call: ConsoleCall) -> web.StreamResponse:
    """A finished export's file (404 until it is done)."""
    r = await reader(call)
    file, job = await jobs(r.ctx).file(r.who, r.brand, call.int_param("id"))
    return web.FileResponse(file, headers={
        "Content-Type": _TYPES[job.format], "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'attachment; filename="{job.file_name}"'})  # fmt: skip


PAGES = [ConsolePage(BASE, "Custom reports", "自定义报表", ANALYTICS_VIEW, "home", 22)]
VIEWS = [
    ConsoleView("GET", BASE, reports_page, ANALYTICS_VIEW),
    ConsoleView("POST", f"{BASE}/exports", start_export, ANALYTICS_EXPORT),
    ConsoleView("GET", BASE + r"/exports/{id:\d+}", download, ANALYTICS_EXPORT),
]
