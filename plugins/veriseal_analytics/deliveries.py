"""Scheduled delivery of saved reports by e-mail, as an attachment (the periodic task
``analytics.deliver``).

Contracts:

- a due report (``next_run_at`` passed) is claimed with a lease (``claimed_until``):
  one server delivers it, another skips it; a server that stops mid-delivery leaves the
  lease to expire and the report is delivered by the next pass (at least once);
- the report is exported like any export job (it shows in the brand's list), then ONE
  transaction accepts the message for every recipient (type ``analytics_report``: the
  inbox and e-mail, the recipient's own settings) and moves ``next_run_at`` on, so an
  accepted delivery is never repeated and never lost;
- recipients are the owner and the listed recipients who still see the report when it
  is sent (a user disabled or unshared since is skipped); none left: nothing is sent and
  ``last_error`` says so;
- the file goes as an attachment up to the notifier's limit (10 MB); a larger one is
  named in the message with its console link (kept :data:`.exports.KEEP_DAYS` days);
- a failed export is recorded in ``last_error`` and the report waits for its next due
  time (no retry storm on a definition that cannot run)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from veriseal import SYSTEM_PRINCIPAL, MessageType, NotFound
from veriseal.extend import Attachment, Channel, MessageTypeSpec, PluginContext, Tx
from veriseal_analytics.exports import KEEP_DAYS, MEDIA_TYPES, Job, jobs
from veriseal_analytics.saved import Saved, saved_reports
from veriseal_analytics.schedules import next_run
from veriseal_analytics.service import tz

ANALYTICS_REPORT = MessageType("analytics_report")
MESSAGE_TYPES = (
    MessageTypeSpec(ANALYTICS_REPORT, "Scheduled report", "定期报表",
                    (Channel.INBOX, Channel.EMAIL)),
)  # fmt: skip
#: how long one delivery may take before another server may take it over
LEASE = dt.timedelta(minutes=30)
#: attachments above this go as a link (the notifier's own limit)
ATTACH_MAX = 10 * 1024 * 1024
BATCH = 20
_UNSAFE = re.compile(r"[\\/\x00-\x1f\x7f:*?\"<>|]+")


@dataclass(frozen=True)
class Delivered:
    report_id: int
    recipients: tuple[int, ...]
    export_id: int | None
    attached: bool
    error: str


async def deliver_due(ctx: PluginContext, now: dt.datetime | None = None) -> list[Delivered]:
    """Deliver every due report this server can claim (see the module)."""
    now = now or dt.datetime.now(dt.UTC)
    async with ctx.db.read() as tx:
        due = await tx.fetch(
            "SELECT id FROM analytics_saved WHERE schedule <> '' AND next_run_at <= ?"
            " AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY next_run_at LIMIT ?",
            now, now, BATCH,
        )  # fmt: skip
    out = []
    for r in due:
        if await _claim(ctx, int(r["id"]), now):
            out.append(await _deliver(ctx, int(r["id"]), now))
    return out


async def _claim(ctx: PluginContext, report_id: int, now: dt.datetime) -> bool:
    async with ctx.db.write() as tx:
        got = await tx.fetchrow(
            "UPDATE analytics_saved SET claimed_until = ? WHERE id = ? AND schedule <> ''"
            " AND next_run_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)"
            " RETURNING id",
            now + LEASE, report_id, now, now,
        )  # fmt: skip
    return got is not None


async def _deliver(ctx: PluginContext, report_id: int, now: dt.datetime) -> Delivered:
    store = saved_reports(ctx)
    brand_id = await _brand_of(ctx, report_id)
    brand = await ctx.brand_by_id(brand_id)
    saved = await store.get(SYSTEM_PRINCIPAL, brand, report_id)
    people = [u for u in dict.fromkeys((*_owner(saved), *saved.recipients))
              if await store.sees(u, saved)]  # fmt: skip
    if not people:
        return await _finish(ctx, saved, now, (), None, False,
                             "no recipient may see this report any more")  # fmt: skip
    job = await jobs(ctx).run_now(brand, saved.spec, saved.format, saved.lang, saved.owner_id)
    if job.status != "done":
        return await _finish(ctx, saved, now, (), job.id, False, f"export failed: {job.error}")
    path = jobs(ctx).path_of(job)
    size = path.stat().st_size
    files = [Attachment(_file_name(saved, now, ctx), MEDIA_TYPES[job.format],
                        path.read_bytes())] if size <= ATTACH_MAX else []  # fmt: skip
    title, body = _message(saved, job, size, attached=bool(files))
    async with ctx.db.write() as tx:
        await ctx.notify(people, ANALYTICS_REPORT, title, body,
                         {"report_id": saved.id, "export_id": job.id}, tx=tx,
                         attachments=files)  # fmt: skip
        await _advance(tx, saved, now, ctx, job.id, "")
    return Delivered(saved.id, tuple(people), job.id, bool(files), "")


def _owner(saved: Saved) -> tuple[int, ...]:
    return () if saved.owner_id is None else (saved.owner_id,)


async def _brand_of(ctx: PluginContext, report_id: int) -> int:
    async with ctx.db.read() as tx:
        r = await tx.fetchrow("SELECT brand_id FROM analytics_saved WHERE id = ?", report_id)
    if r is None:
        raise NotFound(f"no saved report {report_id}")
    return int(r["brand_id"])


async def _finish(ctx: PluginContext, saved: Saved, now: dt.datetime, people: tuple[int, ...],
                  export_id: int | None, attached: bool, error: str) -> Delivered:  # fmt: skip
    async with ctx.db.write() as tx:
        await _advance(tx, saved, now, ctx, export_id, error)
    return Delivered(saved.id, people, export_id, attached, error)


async def _advance(tx: Tx, saved: Saved, now: dt.datetime, ctx: PluginContext,
                   export_id: int | None, error: str) -> None:  # fmt: skip
    """The next due time (none if the schedule was removed meanwhile) and the outcome."""
    due = next_run(saved.schedule, now, tz(ctx)) if saved.schedule else None
    await tx.execute(
        "UPDATE analytics_saved SET next_run_at = ?, claimed_until = NULL, last_run_at = ?,"
        " last_export_id = ?, last_error = ? WHERE id = ?",
        due, now, export_id, error[:500], saved.id,
    )  # fmt: skip


def _file_name(saved: Saved, now: dt.datetime, ctx: PluginContext) -> str:
    stem = _UNSAFE.sub("_", saved.name).strip(" ._") or "report"
    day = now.astimezone(ZoneInfo(tz(ctx))).date().isoformat()
    return f"{stem[:80]}-{day}.{saved.format}"


def _message(saved: Saved, job: Job, size: int, *, attached: bool) -> tuple[str, str]:
    link = f"/console/analytics/reports/exports/{job.id}"
    title = f"定期报表：{saved.name} / Scheduled report: {saved.name}"
    rows = f"{job.rows_done:,}"
    if attached:
        zh = (f"报表《{saved.name}》（{saved.spec.period}，{rows} 行）见附件。"
              f"也可在 {KEEP_DAYS} 天内下载：{link}")  # fmt: skip
        en = (f'The report "{saved.name}" ({saved.spec.period}, {rows} rows) is attached.'
              f" It can also be downloaded for {KEEP_DAYS} days: {link}")  # fmt: skip
    else:
        mb = f"{size / (1024 * 1024):.1f} MB"
        zh = (f"报表《{saved.name}》（{rows} 行，{mb}）过大，无法作为附件发送，"
              f"请在 {KEEP_DAYS} 天内下载：{link}")  # fmt: skip
        en = (f'The report "{saved.name}" ({rows} rows, {mb}) is too large to attach;'
              f" download it within {KEEP_DAYS} days: {link}")  # fmt: skip
    return title, f"{zh}\n\n{en}"
