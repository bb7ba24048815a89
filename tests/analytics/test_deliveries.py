"""Scheduled delivery of saved reports, on both backends, through a real SMTP server
(aiosmtpd on loopback): a due report is exported, e-mailed to its owner and recipients
with the file attached (read back with openpyxl, equal to the report), and not again
until its next due time; one of two concurrent passes delivers; a lapsed claim is taken
over; recipients who lost access are skipped; a file above the limit goes as a link.
Plus the schedule's arithmetic, as properties."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.analytics.conftest import World
from tests.analytics.test_saved import SPEC, staff
from tests.commerce.conftest import TEA, WINE
from tests.notifications.conftest import SmtpBox, smtp_server  # noqa: F401 - a fixture
from veriseal import SYSTEM_PRINCIPAL, Principal
from veriseal.accounts.models import UserStatus
from veriseal.notifications import Channel, DeliveryWorker
from veriseal.notifications.channels.email import SmtpSender, SmtpSettings
from veriseal_analytics import deliveries
from veriseal_analytics.deliveries import deliver_due
from veriseal_analytics.exports import Format
from veriseal_analytics.saved import Saved, SavedInput, Schedule, saved_reports
from veriseal_analytics.schedules import CADENCES, HOUR, Cadence, next_run
from veriseal_analytics.service import period_in

TZ = "Asia/Shanghai"


async def make_due(world: World, report_id: int, at: dt.datetime) -> None:
    async with world.ctx.db.write() as tx:
        await tx.execute("UPDATE analytics_saved SET next_run_at = ? WHERE id = ?", at, report_id)


async def two_admins_share(
    world: World, name: str, schedule: Schedule, fmt: Format
) -> tuple[Principal, Principal, Saved]:
    """Admin li's scheduled report, shared with and delivered to admin wang too."""
    owner = await staff(world, "li", "li@acme.example")
    wang = await staff(world, "wang", "wang@acme.example")
    people = (wang.user_id or 0,)
    spec = SavedInput(name=name, spec=SPEC, schedule=schedule, format=fmt,
                      share_users=people, recipients=people)  # fmt: skip
    return owner, wang, await saved_reports(world.ctx).save(owner, world.shop.brand, spec)


def sheet_rows(data: bytes) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]


async def test_a_due_report_is_mailed_once_with_its_file(
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: tuple[SmtpBox, int],  # noqa: F811
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    box, port = smtp_server
    await world.paid("gd", "440300", [(TEA, 4)])
    await world.paid("zj", "330100", [(WINE, 3)])
    await world.shop.drain()
    owner, wang, saved = await two_admins_share(world, "华南/周报", "weekly", "xlsx")
    store, brand = saved_reports(world.ctx), world.shop.brand
    assert saved.next_run_at is not None
    local = saved.next_run_at.astimezone(ZoneInfo(TZ))
    assert (local.weekday(), local.hour, local.minute) == (0, HOUR, 0)
    now = dt.datetime.now(dt.UTC)
    assert (await deliver_due(world.ctx, now)) == []  # not due yet
    await make_due(world, saved.id, now - dt.timedelta(minutes=1))
    [done] = await deliver_due(world.ctx, now)
    assert done.error == "" and done.attached
    assert set(done.recipients) == {owner.user_id, wang.user_id}
    assert (await deliver_due(world.ctx, now)) == []  # delivered: not again
    after = await store.get(SYSTEM_PRINCIPAL, brand, saved.id)
    assert after.last_export_id == done.export_id and after.next_run_at is not None
    assert after.next_run_at > now and after.last_run_at is not None
    # the mail itself, sent by the real delivery worker over real SMTP
    worker = DeliveryWorker(
        world.shop.engine.ledger, {Channel.EMAIL: SmtpSender(SmtpSettings("127.0.0.1", port))}
    )
    assert (await worker.run_once()).delivered == 2
    assert sorted(m["To"] for m in box.messages) == ["li@acme.example", "wang@acme.example"]
    report = await world.an.reports.run(
        SYSTEM_PRINCIPAL, brand, saved.spec, period_in(world.ctx, saved.spec.period), "zh"
    )
    for msg in box.messages:
        [part] = list(msg.iter_attachments())
        name, data = str(part.get_filename()), part.get_payload(decode=True)
        assert name.startswith("华南_周报-") and name.endswith(".xlsx")
        assert isinstance(data, bytes)
        rows = sheet_rows(data)
        assert len(rows) == len(report) + 1  # the header, then one row per province
        assert {r[0] for r in rows[1:]} == {x["province"] for x in report} == {"CN-GD", "CN-ZJ"}
        body = msg.get_body(("plain",))
        assert body is not None and "/console/analytics/reports/exports/" in body.get_content()
    # the inbox has it too, without the file
    inbox = await world.shop.engine.notifier.inbox.history(owner.user_id or 0)
    assert any("华南/周报" in m.title for m in inbox)


async def test_one_of_two_passes_delivers_and_a_lapsed_claim_is_taken_over(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    owner = await staff(world, "li", "li@acme.example")
    store, brand = saved_reports(world.ctx), world.shop.brand
    saved = await store.save(
        owner, brand, SavedInput(name="daily", spec=SPEC, schedule="daily", format="csv")
    )
    now = dt.datetime.now(dt.UTC)
    await make_due(world, saved.id, now - dt.timedelta(hours=1))
    first, second = await asyncio.gather(deliver_due(world.ctx, now), deliver_due(world.ctx, now))
    assert len(first) + len(second) == 1
    # a server that claimed it and stopped: the lease lapses, the next pass delivers
    await make_due(world, saved.id, now - dt.timedelta(hours=1))
    async with world.ctx.db.write() as tx:
        await tx.execute(
            "UPDATE analytics_saved SET claimed_until = ? WHERE id = ?",
            now + dt.timedelta(minutes=5),
            saved.id,
        )
    assert await deliver_due(world.ctx, now) == []  # held by the other server
    later = now + dt.timedelta(minutes=6)
    [took] = await deliver_due(world.ctx, later)
    assert took.recipients == (owner.user_id,)


async def test_recipients_who_lost_access_are_skipped_and_big_files_go_as_links(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    owner, _wang, saved = await two_admins_share(world, "m", "monthly", "pdf")
    store, brand = saved_reports(world.ctx), world.shop.brand
    # unshared since: wang no longer sees it, so wang gets nothing
    async with world.ctx.db.write() as tx:
        await tx.execute("DELETE FROM analytics_saved_shares WHERE report_id = ?", saved.id)
    monkeypatch.setattr(deliveries, "ATTACH_MAX", 10)  # every file is "too large"
    now = dt.datetime.now(dt.UTC)
    await make_due(world, saved.id, now - dt.timedelta(minutes=1))
    [done] = await deliver_due(world.ctx, now)
    assert done.recipients == (owner.user_id,) and not done.attached
    async with world.ctx.db.read() as tx:
        row = await tx.fetchrow(
            "SELECT body FROM notify_messages WHERE user_id = ? ORDER BY id DESC LIMIT 1",
            owner.user_id,
        )
        files = await tx.fetchrow("SELECT COUNT(*) AS n FROM notify_attachments")
    assert row is not None and "too large to attach" in row["body"] and "过大" in row["body"]
    assert files is not None and files["n"] == 0
    # the owner disabled: nobody left, nothing sent, the reason kept
    await world.shop.engine.accounts.set_status(
        SYSTEM_PRINCIPAL, owner.user_id or 0, UserStatus.DISABLED
    )
    await make_due(world, saved.id, now - dt.timedelta(minutes=1))
    [none] = await deliver_due(world.ctx, now)
    assert none.recipients == () and "no recipient" in none.error
    assert (await store.get(SYSTEM_PRINCIPAL, brand, saved.id)).last_error == none.error


@given(
    st.sampled_from(CADENCES),
    st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2100, 1, 1),
        timezones=st.just(dt.UTC),
    ),
    st.sampled_from([TZ, "Europe/Berlin", "America/New_York", "UTC"]),
)
def test_next_run_is_the_first_due_instant_after(
    cadence: Cadence, after: dt.datetime, tz_name: str
) -> None:
    tz = ZoneInfo(tz_name)
    got = next_run(cadence, after, tz_name)
    local = got.astimezone(tz)
    assert got > after and got - after <= dt.timedelta(days=32)
    assert (local.hour, local.minute) == (HOUR, 0)
    assert cadence != "weekly" or local.weekday() == 0
    assert cadence != "monthly" or local.day == 1
    # no due instant was skipped: the previous qualifying day's time is not after ``after``
    day = local.date() - dt.timedelta(days=1)
    while not (
        cadence == "daily"
        or (cadence == "weekly" and day.weekday() == 0)
        or (cadence == "monthly" and day.day == 1)
    ):
        day -= dt.timedelta(days=1)
    assert dt.datetime.combine(day, dt.time(HOUR), tzinfo=tz) <= after
