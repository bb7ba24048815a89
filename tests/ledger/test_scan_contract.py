"""The scan ledger's contract on every backend: append-only, idempotent, derived figures."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from typing import Any

import pytest

from veriseal.errors import NotFound
from veriseal.ledger import Ledger
from veriseal.ledger.migrate import migrations
from veriseal.ledger.scan_store import _COUNT, BRIEF_IDS
from veriseal.models import Location, LocationSource, NewScan, Region, ScanChannel, ScanQuery
from veriseal.scanning.service import GroupCommitter

T0 = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
SHANGHAI = Location(31.2304, 121.4737, 15.0, LocationSource.GPS)


def scan(minutes: int, code: str = "C00AAA", outcome: str = "genuine", **kw: object) -> NewScan:
    base: dict[str, object] = {
        "at": T0 + dt.timedelta(minutes=minutes),
        "code": code,
        "outcome": outcome,
        "reason": outcome,
        "channel": ScanChannel.WEB,
        "actor": "device:abc",
        "brand_id": None,
    }
    base.update(kw)
    return NewScan(**base)  # type: ignore[arg-type]


async def brand_id(ledger: Ledger) -> int:
    return (await ledger.create_brand("acme", "Acme", "id.acme.example")).id


async def test_append_and_read_back(ledger: Ledger) -> None:
    b = await brand_id(ledger)
    s1 = scan(0, brand_id=b, location=SHANGHAI, gtin="09506000134352", index=7)
    ids = await ledger.append_scans([s1, scan(5, brand_id=b), scan(9, outcome="invalid")])
    assert len(set(ids)) == 3 and ids == sorted(ids)
    back = await ledger.get_scan(ids[0])
    assert back.scan == s1 and back.id == ids[0]
    assert [s.id for s in await ledger.list_scans(b)] == ids[:2]
    assert [s.id for s in await ledger.list_scans(None)] == ids[2:]  # unattributed fakes
    hour = ScanQuery(since=T0 + dt.timedelta(minutes=1), until=T0 + dt.timedelta(hours=1))
    window = await ledger.list_scans(b, hour)
    assert [s.id for s in window] == [ids[1]]
    with pytest.raises(NotFound):
        await ledger.get_scan(999_999)


async def test_summary_is_derived_from_genuine_scans(ledger: Ledger) -> None:
    b = await brand_id(ledger)
    assert (await ledger.scan_summary(b, "C00AAA")).count == 0
    await ledger.append_scans(
        [
            scan(10, brand_id=b, location=SHANGHAI),
            scan(20, brand_id=b, outcome="invalid"),  # an invalid scan is not a verification
            scan(30, brand_id=b),
            scan(40, code="C00BBB", brand_id=b),
        ]
    )
    s = await ledger.scan_summary(b, "C00AAA")
    assert s.count == 2
    assert s.first_at == T0 + dt.timedelta(minutes=10)
    assert s.last_at == T0 + dt.timedelta(minutes=30)
    assert s.first_location == SHANGHAI


async def test_client_ids_make_uploads_idempotent(ledger: Ledger) -> None:
    b = await brand_id(ledger)
    upload = [
        scan(
            i, brand_id=b, channel=ScanChannel.HANDHELD, actor="user:7", client_scan_id=f"dev1-{i}"
        )
        for i in range(5)
    ]
    first = await ledger.append_scans(upload)
    again = await ledger.append_scans(
        [*upload[2:], scan(9, brand_id=b, actor="user:7", client_scan_id="dev1-9")]
    )
    assert again[:3] == first[2:]
    assert len(await ledger.list_scans(b)) == 6
    # the same client id from another actor is another scan
    other = await ledger.append_scans(
        [scan(0, brand_id=b, actor="user:8", client_scan_id="dev1-0")]
    )
    assert other[0] not in first


async def test_concurrent_appends_lose_nothing(ledger: Ledger) -> None:
    b = await brand_id(ledger)
    groups = [[scan(i * 10 + j, brand_id=b, code=f"C{i}") for j in range(10)] for i in range(20)]
    results = await asyncio.gather(*(ledger.append_scans(g) for g in groups))
    all_ids = [i for r in results for i in r]
    assert len(set(all_ids)) == 200
    assert len(await ledger.list_scans(b, ScanQuery(limit=10_000))) == 200


async def test_a_client_id_repeated_within_one_group_is_stored_once(ledger: Ledger) -> None:
    b = await brand_id(ledger)
    same = scan(1, brand_id=b, actor="user:7", client_scan_id="dev-1")
    ids = await ledger.append_scans([scan(0, brand_id=b), same, scan(2, brand_id=b), same])
    assert ids[1] == ids[3] and len(set(ids)) == 3
    assert len(await ledger.list_scans(b)) == 3
    assert (await ledger.get_scan(ids[3])).scan == same


async def test_group_committer_stop_drains_everything(ledger: Ledger) -> None:
    b = await brand_id(ledger)
    committer = GroupCommitter(ledger, max_group=7)
    committer.start()
    pending = [asyncio.ensure_future(committer.append(scan(i, brand_id=b))) for i in range(50)]
    await asyncio.sleep(0)  # let them queue
    await committer.stop()
    ids = [p.result() for p in pending]  # every caller got its id: nothing was cut off
    assert len(set(ids)) == 50 and committer.groups >= 50 // 7
    assert len(await ledger.list_scans(b)) == 50


async def _recount(ledger: Ledger, b: int, code: str) -> tuple[int, int | None, int | None]:
    ids = [
        s.id
        for s in await ledger.list_scans(b, ScanQuery(code=code, limit=100_000))
        if s.scan.outcome in ("genuine", "suspected_clone")
    ]
    return len(ids), (ids[0] if ids else None), (ids[-1] if ids else None)


async def test_aggregate_equals_a_recount_of_the_rows(ledger: Ledger) -> None:
    """Random groups of scans (codes repeating within and across groups, duplicates by
    client id, outcomes that do and do not count): the per-code aggregate always agrees
    with counting the stored rows, and rebuilding it (migration 0009's backfill) gives the
    same figures."""
    rng = random.Random(20261125)
    b = await brand_id(ledger)
    codes = [f"C00{i:03d}" for i in range(6)]
    minute = 0
    for _ in range(25):
        group = []
        for _ in range(rng.randint(1, 12)):
            minute += 1
            kw: dict[str, object] = {"brand_id": b}
            if rng.random() < 0.3:
                kw["client_scan_id"] = f"c{rng.randint(0, 15)}"
            outcome = rng.choice(["genuine", "genuine", "suspected_clone", "invalid", "pin_wrong"])
            group.append(scan(minute, code=rng.choice(codes), outcome=outcome, **kw))
        await ledger.append_scans(group)
    for code in codes:
        summary = await ledger.scan_summary(b, code)
        assert (summary.count, summary.first_id, summary.last_id) == await _recount(
            ledger, b, code
        ), code
    migration = next(m for m in migrations(ledger.dialect.name) if m.name == "0009_scan_codes")
    before = {c: await ledger.scan_summary(b, c) for c in codes}
    async with ledger.write() as tx:
        await tx.execute("DELETE FROM scan_codes")
        await tx.execute(migration.statements[-1])  # the backfill INSERT ... SELECT
    assert {c: await ledger.scan_summary(b, c) for c in codes} == before


async def test_device_timed_scans_round_trip_and_page_by_id(ledger: Ledger) -> None:
    """``received_at`` is stored as given (NULL for server-timed scans), and a scan whose
    ``at`` is earlier than scans recorded before it is still reached by paging with
    ``after_id`` within a time window."""
    b = await brand_id(ledger)
    late = scan(-90, brand_id=b, received_at=T0 + dt.timedelta(seconds=1.5))  # uploaded late
    ids = await ledger.append_scans([scan(0, brand_id=b), scan(10, brand_id=b), late])
    back = await ledger.get_scan(ids[2])
    assert back.scan == late and back.scan.received_at == late.received_at
    assert (await ledger.get_scan(ids[0])).scan.received_at is None
    seen, last = [], 0
    while page := await ledger.list_scans(
        b, ScanQuery(since=T0 - dt.timedelta(hours=2), after_id=last, limit=1)
    ):
        seen += [s.id for s in page]
        last = page[-1].id
    assert seen == ids


async def test_first_and_last_ids_hold_when_commits_come_out_of_id_order(
    ledger: Ledger,
) -> None:
    """On PostgreSQL a scan with a smaller id may commit after one with a larger: the
    aggregate still names the smallest and largest (the clone rules bound their reads of
    a code's scans by first_id)."""
    b = await brand_id(ledger)
    async with ledger.write() as tx:
        await tx.executemany(_COUNT, [(b, "C1", 20, 20), (b, "C1", 10, 10), (b, "C1", 15, 15)])
        row = await tx.fetchrow("SELECT n, first_id, last_id FROM scan_codes WHERE code = 'C1'")
    assert row is not None and (row["n"], row["first_id"], row["last_id"]) == (3, 10, 20)


async def test_briefs_are_the_scans_columns_a_count_needs(ledger: Ledger) -> None:
    """``scan_briefs`` by ids (over several statements: more ids than one names) and by
    pages agrees with the full scans ``list_scans`` reads, field by field; other brands'
    scans and ids that do not exist are left out."""
    b, other = await brand_id(ledger), (await ledger.create_brand("b2", "B2", "b2.example")).id
    rng = random.Random(20)
    gd = Region("CN", "CN-GD", "Guangzhou", "440000")
    mine: list[NewScan] = []
    for i in range(BRIEF_IDS + 40):
        mine.append(scan(
            i, code=f"C{i:05d}", brand_id=b, outcome=rng.choice(["genuine", "suspected_clone"]),
            channel=rng.choice([ScanChannel.WEB, ScanChannel.HANDHELD]),
            gtin=rng.choice([None, "09506000134352"]),
            index=rng.choice([None, i]), location=rng.choice([None, SHANGHAI]),
            region=rng.choice([None, gd]),
        ))  # fmt: skip
    ids = await ledger.append_scans(mine)
    theirs = await ledger.append_scans([scan(1, brand_id=other), scan(2, brand_id=other)])
    full = {s.id: s.scan for s in await ledger.list_scans(b, ScanQuery(limit=1000))}

    def expected(scan_id: int) -> tuple[object, ...]:
        s = full[scan_id]
        loc = s.location
        return (scan_id, b, s.at, s.outcome, str(s.channel), s.gtin, s.batch_id, s.index,
                s.region.province if s.region else None,
                loc.lat if loc else None, loc.lon if loc else None)  # fmt: skip

    def got(briefs: list[Any]) -> list[tuple[object, ...]]:
        return [(x.id, x.brand_id, x.at, x.outcome, x.channel, x.gtin, x.batch_id, x.index,
                 x.province, x.lat, x.lon) for x in briefs]  # fmt: skip

    asked = rng.sample(ids, BRIEF_IDS + 7) + theirs + [max(ids) + 1000]
    briefs = await ledger.scan_briefs(b, ids=asked)
    assert got(briefs) == [expected(i) for i in sorted(set(asked) & set(ids))]
    assert await ledger.scan_briefs(b, ids=[]) == []
    paged, after = [], 0
    while page := await ledger.scan_briefs(b, after_id=after, limit=100):
        paged += page
        after = page[-1].id
    assert got(paged) == [expected(i) for i in ids]
