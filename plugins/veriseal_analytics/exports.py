"""Export jobs: a report's rows written to CSV, XLSX or PDF in the background, with
progress, and a download when done.

Contracts:

- :meth:`Exports.start` records a ``queued`` job and returns at once; the job runs on
  the server's event loop (the writing itself in a worker thread), moves to
  ``running`` and ends ``done`` (its file ready) or ``failed`` (its error kept, no
  file). ``rows_done`` grows as it writes, every :data:`PROGRESS_EVERY` rows;
- files live in ``[plugins.analytics] export_dir`` (default:
  ``$XDG_DATA_HOME/veriseal/exports``), the folder 0700 and each file 0600: exports
  hold dealers' names and figures. :meth:`Exports.sweep` (the periodic task
  ``analytics.exports``, hourly) deletes files older than :data:`KEEP_DAYS` and fails
  jobs a stopped server left unfinished;
- only brand staff holding ``analytics.export`` start, see and download a brand's
  jobs; a job id of another brand is ``not_found``;
- a detail export stops at :data:`reports.EXPORT_MAX` rows; an XLSX beyond one sheet
  continues on further sheets; a PDF is for printing and refuses more than
  :data:`PDF_MAX` rows (``export_pdf_too_large``: export CSV or XLSX instead)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import queue
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec

from veriseal import Brand, NotFound, Principal, register_messages
from veriseal.extend import PluginContext
from veriseal_analytics.charts_pdf import ChartSpec, Series
from veriseal_analytics.export_files import write_csv, write_xlsx
from veriseal_analytics.permissions import ANALYTICS_EXPORT
from veriseal_analytics.report_pdf import ReportSection, write_pdf
from veriseal_analytics.reports import DETAIL_COLUMNS, MEASURES, Reports, ReportSpec, columns
from veriseal_analytics.service import period_in, tz

Format = Literal["csv", "xlsx", "pdf"]
#: each format's media type (a download adds CSV's charset)
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv", "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}  # fmt: skip
DOWNLOAD_TYPES = {**MEDIA_TYPES, "csv": "text/csv; charset=utf-8"}
PROGRESS_EVERY = 10_000
KEEP_DAYS = 7
#: an export unfinished after this long was cut short by a stopped server
STALE_HOURS = 6
PDF_MAX = 50_000
_END = object()


register_messages(
    {
        "error.analytics_export_not_found": (
            "No such export, or its file is not ready",
            "没有该导出任务，或其文件尚未生成",
        )
    }
)


class ExportNotFound(NotFound):
    code = "analytics_export_not_found"


@dataclass(frozen=True)
class Job:
    id: int
    brand_id: int
    format: str
    status: str
    rows_done: int
    rows_total: int | None
    file_name: str
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "format": self.format, "status": self.status,
                "rows_done": self.rows_done, "rows_total": self.rows_total,
                "file_name": self.file_name, "error": self.error,
                "created_at": self.created_at.isoformat(),
                "finished_at": None if self.finished_at is None
                else self.finished_at.isoformat()}  # fmt: skip


def export_dir(ctx: PluginContext) -> Path:
    """The private folder of export files (created 0700 on first use)."""
    base = ctx.config.get("export_dir")
    if base:
        folder = Path(str(base))
    else:
        data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        folder = Path(data) / "veriseal" / "exports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder


class Exports:
    """The export jobs of one engine (see the module)."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        self.reports = Reports(ctx)
        self._tasks: set[asyncio.Task[None]] = set()

    def _job(self, r: Any) -> Job:
        d = self.ctx.db.dialect
        return Job(int(r["id"]), int(r["brand_id"]), str(r["format"]), str(r["status"]),
                   int(r["rows_done"]), None if r["rows_total"] is None else int(r["rows_total"]),
                   str(r["file_name"]), str(r["error"]), d.timestamp(r["created_at"]),
                   None if r["finished_at"] is None else d.timestamp(r["finished_at"]))  # fmt: skip

    async def start(self, who: Principal, brand: Brand, spec: ReportSpec, fmt: Format,
                    lang: str = "zh") -> Job:  # fmt: skip
        """Queue the export and start it (see the module)."""
        self.ctx.require(who, ANALYTICS_EXPORT, brand_id=brand.id)
        job_id = await self._queue(brand, spec, fmt, who.user_id)
        task = asyncio.get_running_loop().create_task(self._run(job_id, brand, spec, fmt, lang))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return await self.get(who, brand, job_id)

    async def run_now(self, brand: Brand, spec: ReportSpec, fmt: Format, lang: str,
                      requested_by: int | None) -> Job:  # fmt: skip
        """Export and wait for the end (a scheduled delivery; the caller checked who may
        see it). The job is recorded like any other: it shows in the brand's list."""
        job_id = await self._queue(brand, spec, fmt, requested_by)
        await self._run(job_id, brand, spec, fmt, lang)
        return await self._load(brand.id, job_id)

    async def _queue(self, brand: Brand, spec: ReportSpec, fmt: Format,
                     requested_by: int | None) -> int:  # fmt: skip
        spec.check()
        period_in(self.ctx, spec.period)  # a bad period fails the request, not the job
        async with self.ctx.db.write() as tx:
            return await tx.insert_returning_id("analytics_exports", {
                "brand_id": brand.id, "requested_by": requested_by,
                "spec": msgspec.json.encode(spec).decode(), "format": fmt, "status": "queued",
                "created_at": dt.datetime.now(dt.UTC)})  # fmt: skip

    async def wait(self) -> None:
        """Until every job this process started has ended (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def get(self, who: Principal, brand: Brand, job_id: int) -> Job:
        self.ctx.require(who, ANALYTICS_EXPORT, brand_id=brand.id)
        return await self._load(brand.id, job_id)

    async def _load(self, brand_id: int, job_id: int) -> Job:
        async with self.ctx.db.read() as tx:
            r = await tx.fetchrow("SELECT * FROM analytics_exports WHERE id = ? AND brand_id = ?",
                                  job_id, brand_id)  # fmt: skip
        if r is None:
            raise ExportNotFound(f"no export {job_id}")
        return self._job(r)

    async def listing(self, who: Principal, brand: Brand, limit: int = 20) -> list[Job]:
        self.ctx.require(who, ANALYTICS_EXPORT, brand_id=brand.id)
        async with self.ctx.db.read() as tx:
            rows = await tx.fetch("SELECT * FROM analytics_exports WHERE brand_id = ?"
                                  " ORDER BY id DESC LIMIT ?", brand.id, limit)  # fmt: skip
        return [self._job(r) for r in rows]

    async def file(self, who: Principal, brand: Brand, job_id: int) -> tuple[Path, Job]:
        """The finished file of a job (``analytics_export_not_found`` until it is done)."""
        job = await self.get(who, brand, job_id)
        return self.path_of(job), job

    def path_of(self, job: Job) -> Path:
        """The file of a finished job (``analytics_export_not_found`` until it is done,
        or once the sweep deleted it)."""
        path = export_dir(self.ctx) / f"{job.id}.{job.format}"
        if job.status != "done" or not path.is_file():
            raise ExportNotFound(f"export {job.id} has no file (status {job.status})")
        return path

    async def _set(self, job_id: int, **values: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        async with self.ctx.db.write() as tx:
            await tx.execute(f"UPDATE analytics_exports SET {sets} WHERE id = ?",
                             *values.values(), job_id)  # fmt: skip

    async def _run(self, job_id: int, brand: Brand, spec: ReportSpec, fmt: Format,
                   lang: str) -> None:  # fmt: skip
        path = export_dir(self.ctx) / f"{job_id}.{fmt}"
        try:
            await self._set(job_id, status="running")
            title = f"{brand.name} · {spec.period}"
            rows_total = await self._write(job_id, brand, spec, fmt, lang, path, title)
            os.chmod(path, 0o600)
            await self._set(job_id, status="done", rows_done=rows_total, rows_total=rows_total,
                            file_name=f"report-{job_id}.{fmt}",
                            finished_at=dt.datetime.now(dt.UTC))  # fmt: skip
        except Exception as exc:
            message = getattr(exc, "message", None) or type(exc).__name__
            await self._set(job_id, status="failed", error=str(message)[:500],
                            finished_at=dt.datetime.now(dt.UTC))  # fmt: skip

    async def _write(self, job_id: int, brand: Brand, spec: ReportSpec, fmt: Format, lang: str,
                     path: Path, title: str) -> int:  # fmt: skip
        from veriseal import SYSTEM_PRINCIPAL as SYSTEM  # noqa: PLC0415

        period = period_in(self.ctx, spec.period)
        if spec.detail:
            cols = DETAIL_COLUMNS
            source = _Pages(self.reports.detail(SYSTEM, brand, spec, period))
        else:
            rows = await self.reports.run(SYSTEM, brand, spec, period, lang)
            cols = columns(spec)
            source = _Pages(_once(rows))
        loop = asyncio.get_running_loop()

        def progress(n: int) -> None:
            asyncio.run_coroutine_threadsafe(self._set(job_id, rows_done=n), loop)

        if fmt == "pdf":
            rows = [r for page in [x async for x in source.pages] for r in page]
            sections = [ReportSection(title, _chart(spec, rows, lang), cols, rows)]
            await asyncio.to_thread(write_pdf, path, title=title, subtitle_lines=[spec.period],
                                    sections=sections, lang=lang,
                                    generated_at=dt.datetime.now(dt.UTC), tz=tz(self.ctx),
                                    max_rows=PDF_MAX)  # fmt: skip
            return len(rows)
        stream = source.thread_iter(loop)
        if fmt == "csv":
            return await asyncio.to_thread(write_csv, path, cols, stream, lang=lang,
                                           on_progress=progress,
                                           progress_every=PROGRESS_EVERY)  # fmt: skip
        got = await asyncio.to_thread(write_xlsx, path, cols, stream, lang=lang,
                                      on_progress=progress,
                                      progress_every=PROGRESS_EVERY)  # fmt: skip
        return got.rows

    async def sweep(self) -> None:
        """Delete files past :data:`KEEP_DAYS`; fail jobs left unfinished for
        :data:`STALE_HOURS` (their server stopped: any worker may sweep, so a job another
        worker is still writing is never touched before then)."""
        now = dt.datetime.now(dt.UTC)
        cutoff = now - dt.timedelta(days=KEEP_DAYS)
        folder = export_dir(self.ctx)
        for f in folder.iterdir():
            if f.is_file() and dt.datetime.fromtimestamp(f.stat().st_mtime, dt.UTC) < cutoff:
                f.unlink(missing_ok=True)
        async with self.ctx.db.write() as tx:
            await tx.execute("UPDATE analytics_exports SET status = 'failed', error = ?,"
                             " finished_at = ? WHERE status IN ('queued', 'running')"
                             " AND created_at < ?",
                             "the server stopped before the export ended", now,
                             now - dt.timedelta(hours=STALE_HOURS))  # fmt: skip


def jobs(ctx: PluginContext) -> Exports:
    """The engine's export jobs (one per plugin context)."""
    found = ctx.state.get("exports")
    if not isinstance(found, Exports):
        found = Exports(ctx)
        ctx.state["exports"] = found
    return found


async def _once(rows: Sequence[Mapping[str, Any]]) -> Any:
    yield rows


class _Pages:
    """An async source of row pages, read from a worker thread as one row iterator."""

    def __init__(self, pages: Any) -> None:
        self.pages = pages

    def thread_iter(self, loop: asyncio.AbstractEventLoop) -> Iterator[Mapping[str, Any]]:
        q: queue.Queue[Any] = queue.Queue(maxsize=2)  # two pages ahead at most: bounded memory

        async def pump() -> None:
            try:
                async for page in self.pages:
                    await asyncio.to_thread(q.put, page)
            finally:
                await asyncio.to_thread(q.put, _END)

        future = asyncio.run_coroutine_threadsafe(pump(), loop)

        def rows() -> Iterator[Mapping[str, Any]]:
            while (page := q.get()) is not _END:
                yield from page
            future.result()  # a failed read fails the export

        return rows()


def _chart(spec: ReportSpec, rows: Sequence[Mapping[str, Any]], lang: str) -> ChartSpec | None:
    """A bar chart of the first measure over the first dimension (top 20), if any."""
    if not spec.dimensions or not rows:
        return None
    d, m = spec.dimensions[0], spec.measures[0]
    name_key = f"{d}_name" if f"{d}_name" in rows[0] else d
    top = rows[:20]
    en, zh, kind = MEASURES[m]
    scale = 100.0 if kind == "money" else 1.0
    values: list[float | None] = [None if r.get(m) is None else float(r[m]) / scale for r in top]
    label = zh if lang.startswith("zh") else en
    kind_chart: Literal["line", "bar", "hbar"] = "line" if d in ("day", "week", "month") else "hbar"
    return ChartSpec(kind_chart, label, [str(r.get(name_key, "")) for r in top],
                     [Series(label, values)])  # fmt: skip
