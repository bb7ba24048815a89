"""Monthly partitions of scans and stream_events (PostgreSQL, migration 0020), retention
and archives (veriseal.ledger.partition_store, veriseal.ledger.archive).

The expected months, names and ranges are computed here from the calendar (datetime and
plain arithmetic), never from the module under test; where a row should be is asked of
PostgreSQL itself (``tableoid``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.ledger.test_scan_contract import scan
from veriseal.errors import NotFound
from veriseal.ledger import Ledger, open_ledger
from veriseal.ledger import archive as archiving
from veriseal.ledger import partition_store as ps
from veriseal.ledger.migrate import migrations
from veriseal.models import ScanQuery

pytestmark = pytest.mark.postgres


def _month_after(when: dt.datetime, months: int) -> dt.datetime:
    """The first instant of the calendar month ``months`` after ``when``'s (plain
    calendar arithmetic, the test's own)."""
    index = when.year * 12 + when.month - 1 + months
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC)


@given(
    st.datetimes(
        min_value=dt.datetime(1971, 1, 1),
        max_value=dt.datetime(9999, 11, 30),
        timezones=st.just(dt.UTC),
    )
)
def test_months_own_contiguous_id_ranges_named_by_the_calendar(when: dt.datetime) -> None:
    period = ps.period_of(when)
    lo, hi = ps.bounds(period)
    assert ps.partition_name("scans", period) == "scans_p" + when.strftime("%Y%m")
    assert ps.period_start(period) == dt.datetime(when.year, when.month, 1, tzinfo=dt.UTC)
    assert ps.bounds(period + 1)[0] == hi and hi - lo == 2**36
    assert lo >= ps.LEGACY_END and hi <= 2**53  # exact as a JSON number
    assert ps.period_of_id(lo) == ps.period_of_id(hi - 1) == period
    # ids grow with time: a later month's ids are all greater
    assert ps.bounds(ps.period_of(_month_after(when, 1)))[0] >= hi


@pytest.fixture
async def pg(pg_url: str) -> Ledger:
    led = await open_ledger(pg_url)
    await led.migrate()
    yield led  # type: ignore[misc]
    await led.close()


async def _where(ledger: Ledger, table: str, key: str, value: int) -> str:
    async with ledger.read() as tx:
        row = await tx.fetchrow(
            f"SELECT CAST(tableoid::regclass AS TEXT) AS part FROM {table} WHERE {key} = ?",
            value,
        )
    assert row is not None
    return str(row["part"])


async def _brand(ledger: Ledger) -> int:
    return (await ledger.create_brand("acme", "Acme", "id.acme.example")).id


async def test_new_scans_land_in_this_months_partition(pg: Ledger) -> None:
    now = dt.datetime.now(dt.UTC)
    b = await _brand(pg)
    ids = await pg.append_scans([scan(0, brand_id=b), scan(1, brand_id=b, code="C2")])
    month = now.strftime("%Y%m")
    assert [await _where(pg, "scans", "id", i) for i in ids] == [f"scans_p{month}"] * 2
    async with pg.read() as tx:
        head = await tx.fetchrow("SELECT MAX(position) AS p FROM stream_events")
    assert head is not None
    assert await _where(pg, "stream_events", "position", int(head["p"])) == (
        f"stream_events_p{month}"
    )
    names = {p.name for p in await pg.partitions()}
    for ahead in range(3):  # this month and the next two exist
        assert f"scans_p{_month_after(now, ahead):%Y%m}" in names
        assert f"stream_events_p{_month_after(now, ahead):%Y%m}" in names


async def test_crossing_a_month_moves_ids_on_and_closes_the_old_month(pg: Ledger) -> None:
    b = await _brand(pg)
    (old,) = await pg.append_scans([scan(0, brand_id=b)])
    later = _month_after(dt.datetime.now(dt.UTC), 1) + dt.timedelta(hours=3)
    created = await pg.maintain(later)
    assert created == [
        f"scans_p{_month_after(later, 2):%Y%m}",
        f"stream_events_p{_month_after(later, 2):%Y%m}",
    ]
    assert await pg.maintain(later) == []  # idempotent
    (new,) = await pg.append_scans([scan(1, brand_id=b)])
    assert new > old
    assert await _where(pg, "scans", "id", new) == f"scans_p{later:%Y%m}"
    parts = {p.name: p for p in await pg.partitions()}
    this = parts[f"scans_p{dt.datetime.now(dt.UTC):%Y%m}"]
    assert this.closed_at == later and parts[f"scans_p{later:%Y%m}"].closed_at is None
    # reads of scans recorded from `later` on may skip the old month, not the new
    assert old < pg.scan_ids_from(later) <= new
    assert pg.scan_ids_from(later - dt.timedelta(minutes=1)) <= old
    # the summary still joins the two scans across partitions
    summary = await pg.scan_summary(b, "C00AAA")
    assert (summary.count, summary.first_id, summary.last_id) == (2, old, new)


async def test_concurrent_maintenance_makes_each_partition_once(pg_url: str) -> None:
    ledgers = [await open_ledger(pg_url) for _ in range(3)]
    try:
        await ledgers[0].migrate()
        later = _month_after(dt.datetime.now(dt.UTC), 5)
        made = await asyncio.gather(*(led.maintain(later) for led in ledgers))
        flat = [name for names in made for name in names]
        assert len(flat) == len(set(flat)) == 6  # 3 months x 2 tables, each made once
    finally:
        for led in ledgers:
            await led.close()


async def test_migration_keeps_old_rows_and_their_client_ids(pg_url: str) -> None:
    """A ledger migrated to 0019 with scans, events and a fake report, then to the end:
    the rows stay (in the legacy partitions) with their ids, a retried upload is still
    recognised, the report still names its scan."""
    led = await open_ledger(pg_url)
    try:
        async with led.write() as tx:
            await tx.execute(tx.dialect.schema_migrations_ddl)
            for name, statements in migrations("postgres"):
                if name >= "0020":
                    break
                for statement in statements:
                    await tx.execute(statement)
                await tx.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, now())", name
                )
            await tx.execute(
                "INSERT INTO brands (slug, name, resolver, created_at)"
                " VALUES ('acme', 'Acme', 'id.acme.example', now())"
            )
            await tx.execute(
                "INSERT INTO scans (at, brand_id, code, outcome, reason, channel, actor,"
                " client_scan_id) VALUES (now(), 1, 'OLD1', 'genuine', 'genuine', 'handheld',"
                " 'user:7', 'cid-1')"
            )
            await tx.execute(
                "INSERT INTO stream_events (kind, brand_id, ref, payload, at)"
                " VALUES ('scan', 1, 1, '{}', now())"
            )
            await tx.execute(
                "INSERT INTO fake_reports (at, brand_id, code, scan_id, status)"
                " VALUES (now(), 1, 'OLD1', 1, 'open')"
            )
        # 0021 rebuilds scans_code over the legacy partition too
        assert await led.migrate() == ["0020_partitions", "0021_code_index"]
        assert await _where(led, "scans", "id", 1) == "scans_legacy"
        assert await _where(led, "stream_events", "position", 1) == "stream_events_legacy"
        assert (await led.get_scan(1)).scan.code == "OLD1"
        again = scan(5, code="OLD1", brand_id=1, actor="user:7", client_scan_id="cid-1")
        fresh = scan(6, code="NEW1", brand_id=1, actor="user:7", client_scan_id="cid-2")
        ids = await led.append_scans([again, fresh])
        assert ids[0] == 1 and ids[1] >= ps.LEGACY_END
        assert await led.append_scans([fresh]) == [ids[1]]  # its retry, once more
        async with led.read() as tx:
            row = await tx.fetchrow("SELECT scan_id FROM fake_reports")
        assert row is not None and row["scan_id"] == 1
    finally:
        await led.close()


def _archived_rows(path: Path) -> list[dict[str, object]]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


async def test_archive_writes_every_row_then_drops_the_month(pg: Ledger, tmp_path: Path) -> None:
    b = await _brand(pg)
    start = dt.datetime.now(dt.UTC)
    first = await pg.append_scans([scan(i, code=f"C{i % 3}", brand_id=b) for i in range(7)])
    async with pg.write() as tx:
        await tx.execute(
            "INSERT INTO fake_reports (at, brand_id, code, scan_id, status)"
            " VALUES (?, ?, 'C0', ?, 'open')",
            start,
            b,
            first[0],
        )
    next_month = _month_after(start, 1) + dt.timedelta(minutes=1)
    await pg.maintain(next_month)
    second = await pg.append_scans([scan(20, code="C0", brand_id=b)])
    parts = await pg.partitions()
    current = next(p for p in parts if p.name == f"scans_p{next_month:%Y%m}")
    with pytest.raises(archiving.ArchiveRefused):  # not closed: still current
        await archiving.archive(pg, current, tmp_path)
    months_later = _month_after(start, 3)
    due = archiving.due(await pg.partitions(), months_later, keep_months=1)
    assert {p.name for p in due} >= {f"scans_p{start:%Y%m}", "scans_legacy"}
    target = next(p for p in due if p.name == f"scans_p{start:%Y%m}")
    done = await archiving.archive(pg, target, tmp_path)
    rows = _archived_rows(done.path)
    assert [r["id"] for r in rows] == first and done.rows == 7
    assert done.path.stat().st_mode & 0o777 == 0o600  # scans name devices and places
    assert not list(tmp_path.glob("*.part"))
    assert [r["code"] for r in rows] == [f"C{i % 3}" for i in range(7)]
    manifest = json.loads((tmp_path / f"{target.name}.json").read_text())
    assert manifest["rows"] == 7
    assert manifest["sha256"] == hashlib.sha256(done.path.read_bytes()).hexdigest()
    assert target.name not in {p.name for p in await pg.partitions()}
    with pytest.raises(NotFound):
        await pg.get_scan(first[0])
    # what stays: the count; the archived first scan's time and place go with it
    summary = await pg.scan_summary(b, "C0")
    assert summary.count == 4 and summary.first_at is None and summary.last_id == second[0]
    assert [s.id for s in await pg.list_scans(b, ScanQuery())] == second
    async with pg.read() as tx:
        report = await tx.fetchrow("SELECT scan_id, code FROM fake_reports")
    assert report is not None and report["scan_id"] is None and report["code"] == "C0"


async def test_a_stream_month_waits_for_every_consumer(pg: Ledger, tmp_path: Path) -> None:
    b = await _brand(pg)
    await pg.append_scans([scan(0, brand_id=b), scan(1, brand_id=b)])
    start = dt.datetime.now(dt.UTC)
    async with pg.write() as tx:
        await tx.execute(
            "INSERT INTO stream_cursors (consumer, position, updated_at) VALUES ('slow', 0, ?)",
            start,
        )
    await pg.maintain(_month_after(start, 1))
    due = archiving.due(await pg.partitions(), _month_after(start, 3), keep_months=1)
    events = next(p for p in due if p.name == f"stream_events_p{start:%Y%m}")
    with pytest.raises(archiving.ArchiveRefused) as refused:
        await archiving.archive(pg, events, tmp_path)
    assert refused.value.details == {"waiting": 2}
    assert events.name in {p.name for p in await pg.partitions()}  # nothing dropped
    async with pg.write() as tx:
        await tx.execute(
            "UPDATE stream_cursors SET position = (SELECT MAX(position) FROM stream_events)"
        )
    done = await archiving.archive(pg, events, tmp_path)
    assert done.rows == 2 and [r["kind"] for r in _archived_rows(done.path)] == ["scan"] * 2


async def test_sqlite_has_no_partitions(tmp_path: Path) -> None:
    led = await open_ledger(f"sqlite:///{tmp_path / 'l.sqlite3'}")
    try:
        await led.migrate()
        assert await led.partitions() == [] and await led.maintain() == []
    finally:
        await led.close()


async def test_a_group_across_a_months_end_goes_into_both_months(pg: Ledger) -> None:
    """A group whose ids straddle two months' ranges is split between them."""
    b = await _brand(pg)
    now = dt.datetime.now(dt.UTC)
    end = ps.bounds(ps.period_of(now))[1]  # the calendar's own arithmetic is tested above
    async with pg.write() as tx:
        await tx.execute("SELECT setval('scans_id_seq', ?, false)", end - 2)
    ids = await pg.append_scans([scan(i, brand_id=b, code=f"E{i}") for i in range(4)])
    assert ids == [end - 2, end - 1, end, end + 1]
    where = [await _where(pg, "scans", "id", i) for i in ids]
    nxt = _month_after(now, 1)
    assert where == [f"scans_p{now:%Y%m}"] * 2 + [f"scans_p{nxt:%Y%m}"] * 2
    # reads of recent scans may start a month before: no scan of this month is below
    assert pg.scan_ids_from(now) <= min(ids) and pg.scan_ids_from(nxt) <= end
    assert [s.scan.code for s in await pg.list_scans(b, ScanQuery())] == ["E0", "E1", "E2", "E3"]
