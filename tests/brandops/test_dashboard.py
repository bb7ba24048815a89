"""The dashboard's rollup equals a raw GROUP BY of the scans, whichever way it was
built (the stream consumer, the migration, ``veriseal dashboard rebuild``), and the
figures read from it are the scans' own."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter

import pytest

from veriseal.accounts.errors import Forbidden
from veriseal.accounts.models import SYSTEM
from veriseal.brandops.dashboard import CONSUMER, day_date, day_number
from veriseal.engine import Engine
from veriseal.extend.stream import worker_for
from veriseal.ledger import stream_store
from veriseal.models import AlertKind, NewAlert, ScanChannel

from .conftest import World, drain, record, scan

NOW = dt.datetime(2025, 3, 10, 17, 30, tzinfo=dt.UTC)  # 2025-03-11 01:30 in UTC+8
MIDNIGHT = dt.datetime(2025, 3, 10, 16, 0, tzinfo=dt.UTC)  # 2025-03-11 00:00 in UTC+8
OUTCOMES = ["genuine", "genuine", "genuine", "suspected_clone", "invalid", "expired"]
PROVINCES = ["CN-GD", "CN-ZJ", "CN-BJ", "HK", "US:California", None]


async def raw_counts(engine: Engine) -> Counter[tuple[int, int, str, str]]:
    """The rollup recomputed from the scan rows, in SQL (the dialects' own date maths)."""
    async with engine.ledger.read() as tx:
        epoch = tx.dialect.epoch_seconds("at")
        found = await tx.fetch(
            f"SELECT brand_id, ({epoch} + 28800) / 86400 AS day, outcome,"
            " COALESCE(province, '') AS province, COUNT(*) AS n FROM scans"
            " WHERE brand_id IS NOT NULL GROUP BY brand_id, day, outcome, COALESCE(province, '')"
        )
    return Counter({(r["brand_id"], r["day"], r["outcome"], r["province"]): r["n"] for r in found})


async def rollup(engine: Engine) -> Counter[tuple[int, int, str, str]]:
    async with engine.ledger.read() as tx:
        found = await tx.fetch("SELECT brand_id, day, outcome, province, n FROM scan_daily")
    return Counter({(r["brand_id"], r["day"], r["outcome"], r["province"]): r["n"] for r in found})


async def random_scans(w: World, n: int, seed: int) -> list[tuple[dt.datetime, int | None]]:
    """``n`` scans of both brands and of none over the last 40 days, in groups."""
    rng = random.Random(seed)
    made = []
    group = []
    for i in range(n):
        brand = rng.choice([w.brand, w.brand, w.other, None])
        at = NOW - dt.timedelta(
            seconds=rng.randrange(40 * 86400), microseconds=rng.randrange(10**6)
        )
        if i % 10 == 0:  # within a second before a day ends (UTC+8): it stays in that day
            before = dt.timedelta(days=rng.randrange(40), microseconds=rng.randrange(1, 10**6))
            at = MIDNIGHT - before
        group.append(scan(brand, at, rng.choice(OUTCOMES), rng.choice(PROVINCES), code=f"C{i}"))
        made.append((at, None if brand is None else brand.id))
        if len(group) == 17 or i == n - 1:
            await record(w.engine, group)
            group = []
    return made


async def test_the_consumer_keeps_the_rollup_equal_to_the_scans(world: World) -> None:
    made = await random_scans(world, 300, seed=1)
    assert await drain(world.engine) >= 300
    raw = await raw_counts(world.engine)
    assert await rollup(world.engine) == raw
    # the SQL day is the Python day: UTC+8
    python = Counter(day_number(at) for at, brand_id in made if brand_id is not None)
    by_day: Counter[int] = Counter()
    for (_, day, _, _), n in raw.items():
        by_day[day] += n
    assert by_day == python
    # delivered again (nothing new): nothing counted twice
    assert await drain(world.engine) == 0
    assert await rollup(world.engine) == raw


async def test_events_without_a_brief_are_counted_from_their_rows(world: World) -> None:
    """The consumer takes its facts from the briefs the scan events carry; events
    appended before they carried one (here: every other one, its brief removed) are
    read from their scans' rows, and the rollup still equals the scans."""
    await random_scans(world, 200, seed=4)
    async with world.engine.ledger.write() as tx:
        found = await tx.fetch(
            "SELECT position, payload FROM stream_events WHERE kind = 'scan' ORDER BY position"
        )
        for row in found[::2]:
            payload = json.loads(row["payload"])
            payload.pop("brief", None)
            await tx.execute(
                "UPDATE stream_events SET payload = ? WHERE position = ?",
                json.dumps(payload),
                row["position"],
            )
    assert await drain(world.engine) >= 200
    assert await rollup(world.engine) == await raw_counts(world.engine)


async def test_rebuild_agrees_with_the_cursor(world: World) -> None:
    """A rebuild counts exactly the scans the consumer has passed: those after its
    cursor are still counted once, by the consumer, afterwards."""
    engine = world.engine
    await random_scans(world, 120, seed=2)
    await drain(engine)
    later = await random_scans(world, 60, seed=3)  # not delivered yet
    with pytest.raises(Forbidden):
        await engine.ops.dashboard.rebuild(world.who["B"])
    counted, pending = await engine.ops.dashboard.rebuild(SYSTEM)
    not_yet = sum(1 for _, brand_id in later if brand_id is not None)
    assert counted == sum((await raw_counts(engine)).values()) - not_yet
    assert pending == 60  # scans of no brand are announced too (the consumer skips them)
    await drain(engine)
    assert await rollup(engine) == await raw_counts(engine)
    # and a rebuild of a caught-up rollup changes nothing
    before = await rollup(engine)
    await engine.ops.dashboard.rebuild(SYSTEM)
    assert await rollup(engine) == before


async def test_figures(world: World) -> None:
    engine, brand = world.engine, world.brand
    today = NOW.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    assert today == dt.date(2025, 3, 11)
    base = dt.datetime(2025, 3, 11, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    scans = [
        scan(brand, base, "genuine", "CN-GD"),  # today (UTC+8), 16:30 UTC yesterday
        scan(brand, base, "suspected_clone", "CN-GD"),
        scan(brand, base - dt.timedelta(hours=1), "genuine", "CN-ZJ"),  # yesterday
        scan(brand, base - dt.timedelta(days=13), "invalid", None),  # in the 14-day trend
        scan(brand, base - dt.timedelta(days=20), "genuine", "HK"),  # in the 30 days
        scan(brand, base - dt.timedelta(days=31), "genuine", "CN-GD"),  # before them
        scan(world.other, base, "genuine", "CN-GD"),  # another brand
        scan(None, base, "invalid", None),  # no brand
    ]
    await record(engine, scans)
    await drain(engine)
    await engine.ledger.append_alert(_alert(brand.id))
    second = await engine.ledger.append_alert(_alert(brand.id))
    third = await engine.ledger.append_alert(_alert(brand.id))
    ops = engine.ops
    await ops.alerts.transition(world.who["B"], second, "investigating")
    await ops.alerts.transition(world.who["B"], third, "dismissed", "a test print")
    f = await ops.dashboard.figures(world.who["I"], brand, now=NOW)
    assert f.today == today
    assert f.scans_today == 2
    assert f.scans_window == 5
    assert dict(f.verdicts) == {"genuine": 3, "suspected_clone": 1, "invalid": 1}
    provinces = {p.province: (p.code, p.name_zh, p.n) for p in f.provinces}
    assert provinces == {
        "CN-GD": ("440000", "广东省", 2),
        "CN-ZJ": ("330000", "浙江省", 1),
        "HK": ("810000", "香港特别行政区", 1),
        "": (None, "未知", 1),
    }
    assert [d for d, _, _ in f.trend] == [today - dt.timedelta(days=13 - i) for i in range(14)]
    assert [(n, g) for _, n, g in f.trend][-2:] == [(1, 1), (2, 1)]
    assert f.trend[0][1:] == (1, 0)
    assert sum(n for _, n, _ in f.trend) == 4
    assert (f.open_alerts, f.investigating, f.pending_scans) == (2, 1, 0)
    as_json = f.to_dict()
    assert as_json["scans_30d"] == 5 and as_json["day_timezone"] == "UTC+08:00"
    # who may see it
    for letter in ("F", "D", "R", "C"):
        with pytest.raises(Forbidden):
            await ops.dashboard.figures(world.who[letter], brand, now=NOW)
    with pytest.raises(Forbidden):
        await ops.dashboard.figures(world.who["other"], brand, now=NOW)
    assert (await ops.dashboard.figures(world.who["P"], brand, now=NOW)).scans_window == 5


async def test_pending_scans_show_the_lag(world: World) -> None:
    engine = world.engine
    await record(engine, [scan(world.brand, NOW, channel=ScanChannel.API)] * 3)
    f = await engine.ops.dashboard.figures(world.who["B"], world.brand, now=NOW)
    assert f.scans_today == 0 and f.pending_scans == 3
    await worker_for(engine).drain([CONSUMER])
    f = await engine.ops.dashboard.figures(world.who["B"], world.brand, now=NOW)
    assert f.scans_today == 3 and f.pending_scans == 0


async def test_a_fresh_ledger_starts_the_consumer_at_the_head(world: World) -> None:
    """Migration 0017 counted the scans stored before it and put the cursor at the
    stream's head: the consumer's cursor exists from the start."""
    async with world.engine.ledger.read() as tx:
        assert CONSUMER in await stream_store.cursors(tx)
    assert day_date(day_number(NOW)) == dt.date(2025, 3, 11)


def _alert(brand_id: int) -> NewAlert:
    return NewAlert(NOW, brand_id, AlertKind.CLONE_COUNT, "X", (), "{}")
