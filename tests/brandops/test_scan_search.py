"""The scan list's filters, its newest-first keyset pages and its exports."""

from __future__ import annotations

import datetime as dt

import pytest

from veriseal.accounts.errors import Forbidden
from veriseal.brandops import scans as scan_search
from veriseal.brandops.scans import (
    ExportTooLarge,
    ScanFilter,
    cursor_of,
    cursor_text,
    parse_cursor,
)
from veriseal.errors import InvalidInput
from veriseal.models import Scan, ScanChannel

from .conftest import World, record, scan

T0 = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)


async def _seed(w: World) -> list[int]:
    rows = []
    for i in range(60):
        rows.append(
            scan(
                w.brand,
                T0 + dt.timedelta(hours=i // 2),  # pairs at one time: ties go by id
                ["genuine", "suspected_clone", "invalid"][i % 3],
                ["CN-GD", "CN-ZJ", None][i % 2 * (1 + i % 3 // 2)],
                [ScanChannel.WEB, ScanChannel.HANDHELD][i % 4 == 0],
                code=f"C{i}",
                batch=w.batch if i % 5 else None,
            )
        )
    rows.append(scan(w.other, T0, code="theirs"))
    return await record(w.engine, rows)


def _ids(found: list[Scan]) -> list[int]:
    return [s.id for s in found]


async def test_filters_match_the_rows(world: World) -> None:
    ids = await _seed(world)
    desk, inspector = world.engine.ops.scans, world.who["I"]
    everything = await desk.page(inspector, world.brand, ScanFilter(), limit=1000)
    by_id = {s.id: s.scan for s in everything}
    newest = sorted(by_id, key=lambda i: (by_id[i].at, i), reverse=True)
    assert _ids(everything) == newest and set(newest) == set(ids[:60])  # ours only

    async def check(flt: ScanFilter, keep: object) -> None:
        got = _ids(await desk.page(inspector, world.brand, flt, limit=1000))
        want = [i for i in newest if keep(by_id[i])]  # type: ignore[operator]
        assert got == want and got, flt

    await check(ScanFilter(outcome="suspected_clone"), lambda s: s.outcome == "suspected_clone")
    await check(ScanFilter(province="440000"), lambda s: s.region and s.region.province == "CN-GD")
    await check(ScanFilter(channel="handheld"), lambda s: s.channel is ScanChannel.HANDHELD)
    await check(ScanFilter(batch_id=world.batch.id), lambda s: s.batch_id == world.batch.id)
    await check(ScanFilter(gtin=world.batch.gtin[1:]), lambda s: s.gtin == world.batch.gtin)
    since, until = T0 + dt.timedelta(hours=10), T0 + dt.timedelta(hours=20)
    await check(ScanFilter(since=since, until=until), lambda s: since <= s.at < until)
    await check(
        ScanFilter(outcome="genuine", province="CN-ZJ", since=since),
        lambda s: s.outcome == "genuine" and s.region and s.region.province == "CN-ZJ"
        and s.at >= since,
    )  # fmt: skip
    # keyset pages: every row once, in order
    seen: list[int] = []
    before = None
    while True:
        page = await desk.page(inspector, world.brand, ScanFilter(), limit=7, before=before)
        seen += _ids(page)
        if len(page) < 7:
            break
        before = parse_cursor(cursor_text(cursor_of(page[-1])))
    assert seen == _ids(everything)


async def test_bad_filters_and_who_may_read(world: World) -> None:
    desk = world.engine.ops.scans
    for bad in (
        ScanFilter(outcome="nope"),
        ScanFilter(channel="fax"),
        ScanFilter(since=T0, until=T0),
        ScanFilter(since=T0.replace(tzinfo=None)),
        ScanFilter(gtin="123"),
    ):
        with pytest.raises(InvalidInput):
            await desk.page(world.who["B"], world.brand, bad)
    for letter in ("F", "D", "R", "C"):
        with pytest.raises(Forbidden):
            await desk.page(world.who[letter], world.brand, ScanFilter())
    with pytest.raises(Forbidden):
        await desk.page(world.who["other"], world.brand, ScanFilter())


async def test_exports_page_through_everything(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _seed(world)
    desk = world.engine.ops.scans
    monkeypatch.setattr(scan_search, "EXPORT_PAGE", 8)
    pages = [p async for p in desk.export(world.who["B"], world.brand, ScanFilter())]
    assert [len(p) for p in pages] == [8] * 7 + [4]
    flat = [s for p in pages for s in p]
    assert [s.id for s in flat] == [
        s.id for s in sorted(flat, key=lambda s: (s.scan.at, s.id), reverse=True)
    ]
    assert {s.id for s in flat} == set(ids[:60])
    capped = desk.export(world.who["B"], world.brand, ScanFilter(), max_rows=59)
    with pytest.raises(ExportTooLarge):
        async for _ in capped:
            pass
    exact = [p async for p in desk.export(world.who["B"], world.brand, ScanFilter(), max_rows=60)]
    assert sum(map(len, exact)) == 60
    with pytest.raises(Forbidden):
        async for _ in desk.export(world.who["R"], world.brand, ScanFilter()):
            pass
