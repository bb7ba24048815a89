"""``/console/analytics/reports``: build a report (measures, dimensions, period,
comparison, filters), see its first rows, export it in the background as CSV, XLSX or
PDF, follow the job and download the file when done.

The form is a GET (a report's address can be bookmarked and shared); starting an export
is a POST (CSRF-checked, ``analytics.export``); downloads go through the same checks as
the API. The display limit (rows shown) and the export (every row) stay separate.
A definition is saved under a name (``analytics.view``), shared with the brand's admins
(``analytics.manage``) and e-mailed on a schedule (``analytics.export``): see
:mod:`.saved`; the list links each saved report back into the builder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import msgspec
from aiohttp import web

from veriseal import VerisealError
from veriseal.extend import ConsolePage, ConsoleView, Page
from veriseal_analytics.console_common import reader
from veriseal_analytics.exports import DOWNLOAD_TYPES, jobs
from veriseal_analytics.permissions import ANALYTICS_EXPORT, ANALYTICS_MANAGE, ANALYTICS_VIEW
from veriseal_analytics.reports import DIMENSIONS, FILTERS, MEASURES, ReportSpec, columns, spec_of
from veriseal_analytics.saved import SavedInput, saved_reports
from veriseal_analytics.schedules import CADENCES
from veriseal_analytics.service import of, period_in

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

BASE = "/console/analytics/reports"


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


def _query_of(spec: ReportSpec) -> dict[str, str]:
    """The builder's query that describes ``spec`` (the inverse of :func:`_spec`)."""
    q = {f"m_{m}": "1" for m in spec.measures}
    q.update({f"dim{n}": d for n, d in enumerate(spec.dimensions, 1)})
    q.update({f"f_{f}": ",".join(v) for f, v in spec.filters.items()})
    return {**q, "period": spec.period, "compare": spec.compare, "sort": spec.sort}


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
    saved = [{**s.to_dict(), "mine": s.owner_id == r.who.user_id,
              "href": f"{BASE}?{urlencode({**_query_of(s.spec), 'brand': r.brand.slug})}"}
             for s in await saved_reports(r.ctx).listing(r.who, r.brand)]  # fmt: skip
    return Page("veriseal_analytics/reports.html",
                {"brand": r.brand, "error": error, "rows": rows, "cols": cols, "asked": asked,
                 "q": dict(call.query), "measures": MEASURES, "dimensions": DIMENSIONS,
                 "filters": FILTERS, "jobs": recent, "can_export": can_export,
                 "can_share": r.ctx.allowed(r.who, ANALYTICS_MANAGE), "saved": saved,
                 "spec": spec},
                400 if error else 200)  # fmt: skip


async def save_report(call: ConsoleCall) -> web.Response:
    """Save the posted definition under a name (shared with the brand's admins and
    scheduled when asked); back to the page, where it is listed."""
    r = await reader(call)
    form = await call.form()
    back = f"{BASE}?brand={r.brand.slug}"
    try:
        data = SavedInput(
            name=str(form.get("name", ""))[:80], spec=msgspec.to_builtins(_spec(form)),
            schedule=_choice(form.get("schedule"), ("", *CADENCES)),  # type: ignore[arg-type]
            format=_choice(form.get("format"), ("xlsx", "csv", "pdf")),  # type: ignore[arg-type]
            lang="zh" if r.lang.startswith("zh") else "en",
            share_roles=("brand_admin",) if form.get("share") == "brand_admin" else (),
            recipients=(),
        )  # fmt: skip
        saved = await saved_reports(r.ctx).save(r.who, r.brand, data)
    except (VerisealError, msgspec.ValidationError) as exc:
        text = call.refused(exc) if isinstance(exc, VerisealError) else str(exc)
        return call.redirect(back, text, text)
    return call.redirect(f"{back}#saved-{saved.id}", f"Saved “{saved.name}”",
                         f"已保存“{saved.name}”")  # fmt: skip


async def delete_report(call: ConsoleCall) -> web.Response:
    """Delete a saved report (its owner, or a manager who sees it)."""
    r = await reader(call)
    back = f"{BASE}?brand={r.brand.slug}#saved"
    try:
        await saved_reports(r.ctx).delete(r.who, r.brand, call.int_param("id"))
    except VerisealError as exc:
        return call.redirect(back, call.refused(exc), call.refused(exc))
    return call.redirect(back, "Deleted", "已删除")


def _choice(value: object, allowed: tuple[str, ...]) -> str:
    return str(value) if str(value) in allowed else allowed[0]


async def start_export(call: ConsoleCall) -> web.Response:
    """Queue the export of the posted definition; back to the page, where it shows."""
    r = await reader(call)
    form = await call.form()
    fmt = str(form.get("format", "csv"))
    if fmt not in DOWNLOAD_TYPES:
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
        "Content-Type": DOWNLOAD_TYPES[job.format], "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'attachment; filename="{job.file_name}"'})  # fmt: skip


PAGES = [ConsolePage(BASE, "Custom reports", "自定义报表", ANALYTICS_VIEW, "home", 22)]
VIEWS = [
    ConsoleView("GET", BASE, reports_page, ANALYTICS_VIEW),
    ConsoleView("POST", f"{BASE}/exports", start_export, ANALYTICS_EXPORT),
    ConsoleView("POST", f"{BASE}/saved", save_report, ANALYTICS_VIEW),
    ConsoleView("POST", BASE + r"/saved/{id:\d+}/delete", delete_report, ANALYTICS_VIEW),
    ConsoleView("GET", BASE + r"/exports/{id:\d+}", download, ANALYTICS_EXPORT),
]
