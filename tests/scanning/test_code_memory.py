"""The committer's memory of codes' histories (scanning.memory) and the batched head reads
(scanning.heads): what a scan is told of its code's earlier verifications must be what a
recount of the stored scans says, whatever the memory held, on each backend.

Ground truth here is never the memory or the ledger's ``scan_codes`` aggregate: the
property test recounts a plain list of the scans it committed, and the engine tests
recount the stored scan rows with :meth:`Ledger.list_scans`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.catalog.test_lifecycle import first_codes, make_batch
from veriseal.catalog.keys import KeySource
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.errors import ConfigError
from veriseal.ledger import archive as archiving
from veriseal.ledger import open_ledger
from veriseal.models import (
    Brand,
    Location,
    LocationSource,
    NewScan,
    ScanChannel,
    ScanQuery,
    ScanSummary,
)
from veriseal.scanning.archives import ArchiveWatch
from veriseal.scanning.identities import ConsumerScan, bound
from veriseal.scanning.memory import CodeMemory
from veriseal.scanning.service import ScanContext

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
VERIFIED = ("genuine", "suspected_clone")


def _scan(code: str, outcome: str, channel: ScanChannel, minute: int) -> NewScan:
    return NewScan(
        at=T0 + dt.timedelta(minutes=minute),
        code=code,
        outcome=outcome,
        reason=outcome,
        channel=channel,
        actor=f"device:{minute}",
        brand_id=1,
        location=Location(31.0 + minute / 100, 121.0, 10.0, LocationSource.GPS),
    )


def _recount(stored: list[tuple[int, NewScan]], code: str) -> ScanSummary:
    """The summary of ``code`` by counting ``stored`` (the test's own ground truth)."""
    mine = [(i, s) for i, s in stored if s.code == code and s.outcome in VERIFIED]
    if not mine:
        return ScanSummary(count=0)
    (fi, first), (li, last) = mine[0], mine[-1]
    return ScanSummary(len(mine), first.at, first.location, last.at, fi, li, last.location)


def _span(stored: list[tuple[int, NewScan]], code: str) -> list[ConsumerScan]:
    consumer = (ScanChannel.WEB, ScanChannel.API, ScanChannel.CONSOLE)
    return [
        ConsumerScan(i, s.at, s.actor, s.client, None)
        for i, s in reversed(stored)
        if s.code == code and s.outcome in VERIFIED and s.channel in consumer
    ]


scan_steps = st.lists(
    st.tuples(
        st.sampled_from(["A", "B"]),
        st.sampled_from(["genuine", "suspected_clone", "invalid", "pin_wrong"]),
        st.sampled_from([ScanChannel.WEB, ScanChannel.HANDHELD, ScanChannel.API]),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(
    groups=st.lists(scan_steps, min_size=1, max_size=6),
    fills=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 3), st.integers(0, 4), st.booleans()),
        max_size=6,
    ),
)
def test_memory_counts_each_committed_scan_once(
    groups: list[list[tuple[str, str, ScanChannel]]],
    fills: list[tuple[int, int, int, bool]],
) -> None:
    """Groups commit one after another; the memory is filled at random points from a
    "ledger read" that began ``lag`` groups earlier (PostgreSQL's reads wait while groups
    commit) and saw a prefix of what committed since, possibly the group being committed
    too (SQLite's reads see a commit before the committer hears of it). Afterwards it
    agrees with a recount."""
    memory = CodeMemory()
    stored: list[tuple[int, NewScan]] = []
    states = [stored]  # what was stored after each group
    generations = [memory.generation]  # the memory's generation after each group
    next_id = 1
    for number, group in enumerate(groups):
        scans = [_scan(code, outcome, channel, next_id + k) for k, (code, outcome, channel) in
                 enumerate(group)]  # fmt: skip
        ids = list(range(next_id, next_id + len(scans)))
        next_id += len(scans)
        committing = stored + list(zip(ids, scans, strict=True))
        for at_group, lag, saw, span in fills:
            if at_group != number:
                continue
            began = max(0, number - lag)  # the read began after group ``began`` - 1
            upto = min(began + saw, number + 1)  # and saw the groups before ``upto``
            seen = committing if upto == number + 1 else states[upto]
            for code in ("A", "B"):
                memory.remember((1, code), _recount(seen, code), generations[began])
                if span:
                    memory.remember_span((1, code), _span(seen, code), generations[began])
        stored = committing
        memory.committed(ids, scans)
        states.append(stored)
        generations.append(memory.generation)
    for code in ("A", "B"):
        held = memory.summary((1, code))
        if held is not None:
            assert held == _recount(stored, code)
        held_span = memory.span((1, code))
        if held_span is not None:
            scans, most = held_span
            assert [(s.id, s.actor) for s in scans] == [
                (s.id, s.actor) for s in _span(stored, code)
            ]
            assert most == bound(scans)  # kept scan by scan, as a pass would find it


def test_a_span_read_overtaken_by_commits_is_kept_with_them() -> None:
    """A read of a much-scanned code's span that groups overtook is still kept (on
    PostgreSQL under load every read is overtaken), with the groups it missed applied;
    a read older than the log is not kept."""
    memory = CodeMemory()
    began = memory.generation
    first = _scan("A", "genuine", ScanChannel.WEB, 1)
    memory.committed([1], [first])  # the read saw this one ...
    stale = memory.generation  # (a read beginning now misses the next group)
    memory.committed([2], [_scan("A", "genuine", ScanChannel.API, 2)])  # ... not this one
    memory.remember_span((1, "A"), [ConsumerScan(1, first.at, first.actor, None, None)], began)
    held = memory.span((1, "A"))
    assert held is not None and [s.id for s in held[0]] == [2, 1]
    filler = [_scan("B", "genuine", ScanChannel.WEB, 3)] * 4096
    memory.committed(list(range(3, 3 + len(filler))), filler)  # the log keeps this one
    memory.committed([5000], [_scan("B", "genuine", ScanChannel.WEB, 4)])  # ... and this
    memory.remember_span((1, "C"), [], stale)
    assert memory.span((1, "C")) is None


def test_a_client_id_reused_for_another_code_counts_nothing() -> None:
    """A retried upload is answered with the scan already stored: its id comes back with
    the new request's scan. When the client reused the id for a different code, that
    old id must not count as a verification of the new code (nor twice within a group)."""
    memory = CodeMemory()
    for code in ("A", "B"):
        memory.remember((1, code), ScanSummary(count=0), memory.generation)
    memory.committed([7], [_scan("A", "genuine", ScanChannel.WEB, 1)])
    # the next group: scan 7's client id again, now on code B, then a new scan of B,
    # then the new scan's client id repeated within the group
    second_b = _scan("B", "genuine", ScanChannel.WEB, 3)
    memory.committed([7, 9, 9], [_scan("B", "genuine", ScanChannel.WEB, 2), second_b, second_b])
    b = memory.summary((1, "B"))
    assert b is not None and (b.count, b.first_id, b.last_id) == (1, 9, 9)
    a = memory.summary((1, "A"))
    assert a is not None and (a.count, a.last_id) == (1, 7)


def test_a_read_spanning_a_commit_is_not_kept() -> None:
    memory = CodeMemory()
    generation = memory.generation
    memory.committed([1], [_scan("A", "genuine", ScanChannel.WEB, 1)])  # while reading
    memory.remember((1, "A"), ScanSummary(count=0), generation)
    assert memory.summary((1, "A")) is None


def test_unchecked_entries_expire_after_ttl_checked_ones_do_not() -> None:
    """An unchecked memory (SQLite) forgets after ``ttl``; a checked one (PostgreSQL) is
    confirmed at each use instead and keeps its entries (an expiry re-read every code
    the benchmark scans at once: a burst of span reads)."""
    now = [0.0]
    for checked in (False, True):
        memory = CodeMemory(ttl=30.0, checked=checked, clock=lambda: now[0])
        now[0] = 0.0
        memory.remember((1, "A"), ScanSummary(count=0), memory.generation)
        memory.remember_span((1, "A"), [], memory.generation)
        now[0] = 29.9
        assert memory.summary((1, "A")) == ScanSummary(count=0)
        now[0] = 30.0
        assert (memory.summary((1, "A")) is None) == (not checked)
        assert (memory.span((1, "A")) is None) == (not checked)


@settings(max_examples=200, deadline=None)
@given(
    live=st.lists(st.booleans(), min_size=40, max_size=40),
    summaries=st.lists(
        st.tuples(st.integers(0, 39), st.integers(0, 39), st.booleans(), st.booleans()),
        max_size=6,
    ),
    spans=st.lists(st.sets(st.integers(0, 39), min_size=1, max_size=8), max_size=6),
)
def test_forget_outside_forgets_exactly_what_shows_an_archived_scan(
    live: list[bool],
    summaries: list[tuple[int, int, bool, bool]],
    spans: list[set[int]],
) -> None:
    """Given the id ranges the ledger still holds, the memory forgets a code when its
    summary shows the time or place of a scan outside them (an id with its time unknown,
    as a ledger read after an archive gives it, does not count) or its span holds one;
    it keeps every other code. The truth here is a plain list of which ids are held."""
    ranges, start = [], None
    for i, held in enumerate([*live, False]):  # the runs of held ids, as [lo, hi)
        if held and start is None:
            start = i
        elif not held and start is not None:
            ranges.append((start, i))
            start = None
    memory = CodeMemory(checked=True)
    doomed = set()
    for n, (a, b, first_shown, last_shown) in enumerate(summaries):
        first, last = min(a, b), max(a, b)
        memory.remember(
            (1, f"S{n}"),
            ScanSummary(
                count=2,
                first_at=T0 if first_shown else None,
                last_at=T0 if last_shown else None,
                first_id=first,
                last_id=last,
            ),
            memory.generation,
        )
        if (first_shown and not live[first]) or (last_shown and not live[last]):
            doomed.add((1, f"S{n}"))
    for n, ids in enumerate(spans):
        scans = [ConsumerScan(i, T0, f"device:{i}", None) for i in sorted(ids, reverse=True)]
        memory.remember_span((1, f"P{n}"), scans, memory.generation)
        if not all(live[i] for i in ids):
            doomed.add((1, f"P{n}"))
    assert memory.forget_outside(ranges) == len(doomed)
    for n in range(len(summaries)):
        assert (memory.summary((1, f"S{n}")) is None) == ((1, f"S{n}") in doomed)
    for n in range(len(spans)):
        assert (memory.span((1, f"P{n}")) is None) == ((1, f"P{n}") in doomed)


async def _verified_counts(engine: Engine, code: str, times: int) -> list[int]:
    ctx = ScanContext(ScanChannel.API, actor="device:test")
    counts = []
    for _ in range(times):
        result = await engine.scans.scan(code, ctx)
        counts.append(result.previous.count)
    return counts


async def _recounted(engine: Engine, brand: Brand, serial: str) -> int:
    found = await engine.ledger.list_scans(brand.id, ScanQuery(code=serial, limit=10_000))
    return sum(s.scan.outcome in VERIFIED for s in found)


async def test_each_scan_is_told_the_verifications_before_it(engine: Engine, brand: Brand) -> None:
    """Sequential scans of one code see 0, 1, 2, ... earlier verifications, on each
    backend (trusted memory on SQLite, checked memory on PostgreSQL), and the memory's
    summary equals a recount of the rows."""
    batch = await make_batch(engine, brand)
    code, other = await first_codes(engine, brand, batch, 2)
    assert await _verified_counts(engine, code, 5) == [0, 1, 2, 3, 4]
    assert await _verified_counts(engine, other, 2) == [0, 1]
    memory = engine.committer.memory
    assert memory is not None and memory.checked == (not engine.ledger.dialect.one_writer)
    serial = (await engine.verifier.verify(code)).info.serial  # type: ignore[union-attr]
    held = memory.summary((brand.id, serial))
    assert held is not None and held.count == await _recounted(engine, brand, serial) == 5
    assert held == await engine.ledger.scan_summary(brand.id, serial)


async def test_another_writer_is_seen_at_once_when_checked(
    engine: Engine, brand: Brand, key_file: Path
) -> None:
    """A second engine on the same ledger (another worker) scans a code the first one
    remembers: on PostgreSQL (checked memory) the first engine's next scan counts it at
    once; on SQLite (trusted memory, one server process) within the memory's TTL."""
    batch = await make_batch(engine, brand)
    [code] = await first_codes(engine, brand, batch, 1)
    assert await _verified_counts(engine, code, 2) == [0, 1]
    cfg = Config(path=None, db_url=engine.ledger.url, key_source=KeySource(key_file=key_file))
    async with await Engine.open(cfg) as other:
        assert await _verified_counts(other, code, 1) == [2]
    memory = engine.committer.memory
    assert memory is not None
    if not memory.checked:
        memory.ttl = 0.0  # the TTL has passed
    assert await _verified_counts(engine, code, 1) == [3]


def _month_after(when: dt.datetime, months: int) -> dt.datetime:
    """The first instant of the calendar month ``months`` after ``when``'s (the test's own
    calendar arithmetic)."""
    index = when.year * 12 + when.month - 1 + months
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC)


@pytest.mark.postgres
@pytest.mark.parametrize("ledger_url", ["postgres"], indirect=True)  # only it is archived
async def test_an_archived_month_leaves_a_checked_memory(
    engine: Engine, brand: Brand, tmp_path: Path
) -> None:
    """PostgreSQL: ``veriseal ledger archive`` (another process) drops the month holding
    a remembered code's first scans. Once the memory's ttl has passed, the server shows
    what the ledger now holds (the count kept, the archived scans' time and place gone),
    though a checked memory's entries do not expire."""
    batch = await make_batch(engine, brand)
    [code] = await first_codes(engine, brand, batch, 1)
    now = dt.datetime.now(dt.UTC)
    assert await _verified_counts(engine, code, 2) == [0, 1]
    await engine.ledger.maintain(_month_after(now, 1) + dt.timedelta(minutes=1))
    assert await _verified_counts(engine, code, 1) == [2]  # in next month's partition
    serial = (await engine.verifier.verify(code)).info.serial  # type: ignore[union-attr]
    memory = engine.committer.memory
    assert memory is not None and memory.checked
    held = memory.summary((brand.id, serial))
    assert held is not None and held.count == 3 and held.first_at is not None
    archiver = await open_ledger(engine.ledger.url)  # as the CLI's own connection
    try:
        month = f"scans_p{now:%Y%m}"
        part = next(p for p in await archiver.partitions() if p.name == month)
        assert (await archiving.archive(archiver, part, tmp_path)).rows == 2
    finally:
        await archiver.close()
    memory.ttl = 0.0  # the ttl has passed: the next scan looks at the partitions
    watch = engine.scans._archives  # the look runs beside the scan, not before it
    assert watch is not None
    await _verified_counts(engine, code, 1)
    await watch.settled()
    expected = await engine.ledger.scan_summary(brand.id, serial)
    assert expected.count == 4 and expected.first_at is None  # the ledger's own word
    [result] = [await engine.scans.scan(code, ScanContext(ScanChannel.API, actor="device:t"))]
    assert result.previous == expected
    assert watch.forgotten >= 1


async def test_a_failed_look_at_the_partitions_fails_no_scan(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The watch's read failing (here: its ledger closed) is logged and tried again after
    the ttl; the memory keeps what it holds. A ledger without partitions stops it."""
    memory = CodeMemory(ttl=30.0, checked=True)
    memory.remember((1, "A"), ScanSummary(count=1, first_at=T0, first_id=5), 0)
    led = await open_ledger(pg_url)
    await led.migrate()
    await led.close()
    now = [0.0]
    watch = ArchiveWatch(led.partitions, memory, clock=lambda: now[0])
    with caplog.at_level("WARNING", logger="veriseal.scanning.archives"):
        watch.look()
        await watch.settled()

    def warned() -> int:
        return sum(r.name == "veriseal.scanning.archives" for r in caplog.records)

    assert warned() == 1 and "could not read the scan partitions" in caplog.text
    assert memory.summary((1, "A")) is not None and not watch.stopped
    now[0] = 29.0
    watch.look()  # not yet due
    await watch.settled()
    assert warned() == 1
    now[0] = 30.0
    watch.look()
    await watch.settled()
    assert warned() == 2


async def test_a_ledger_without_partitions_stops_the_watch(tmp_path: Path) -> None:
    led = await open_ledger(f"sqlite:///{tmp_path / 'l.sqlite3'}")
    await led.migrate()
    try:
        memory = CodeMemory(ttl=0.0, checked=True)
        memory.remember((1, "A"), ScanSummary(count=1, first_at=T0, first_id=5), 0)
        watch = ArchiveWatch(led.partitions, memory)
        watch.look()
        await watch.settled()
        assert watch.stopped and memory.summary((1, "A")) is not None
    finally:
        await led.close()


async def test_concurrent_scans_share_reads(engine: Engine, brand: Brand) -> None:
    """Requests in flight together read their codes' summaries, and later confirm them,
    with one query for many (checked memory); the memory then holds what is stored."""
    memory = engine.committer.memory
    assert memory is not None
    memory.checked = True  # on SQLite too: the reads are the same SQL
    batch = await make_batch(engine, brand, size=100)
    codes = await first_codes(engine, brand, batch, 40)
    ctx = ScanContext(ScanChannel.API, actor="device:test")
    summaries, heads = engine.scans._summaries, engine.scans._heads  # the batching tested
    await engine.scans.scan(codes.pop(), ctx)  # warms the metadata caches: no waits left
    start = summaries.queries
    first = await asyncio.gather(*(engine.scans.scan(c, ctx) for c in codes))  # misses
    assert [r.previous.count for r in first] == [0] * len(codes)
    assert summaries.queries - start == 1  # all asked in one loop round
    before = heads.queries
    results = await asyncio.gather(*(engine.scans.scan(c, ctx) for c in codes))
    assert [r.previous.count for r in results] == [1] * len(codes)
    assert heads.queries - before == 1
    for result in results:
        serial = result.verification.info.serial  # type: ignore[union-attr]
        held = memory.summary((brand.id, serial))
        assert held is not None and held.count == 2
        assert held == await engine.ledger.scan_summary(brand.id, serial)


async def test_memory_off_reads_the_ledger(brand: Brand, engine: Engine, key_file: Path) -> None:
    """``[server] code_memory = false``: no memory, the same answers."""
    cfg = Config(
        path=None,
        db_url=engine.ledger.url,
        key_source=KeySource(key_file=key_file),
        server={"code_memory": False},
    )
    batch = await make_batch(engine, brand)
    [code] = await first_codes(engine, brand, batch, 1)
    async with await Engine.open(cfg) as plain:
        assert plain.committer.memory is None
        assert await _verified_counts(plain, code, 3) == [0, 1, 2]
    assert await _verified_counts(engine, code, 1) == [3]
    bad = Config(path=None, db_url=engine.ledger.url, key_source=KeySource(key_file=key_file),
                 server={"code_memory": "yes"})  # fmt: skip
    with pytest.raises(ConfigError):
        await Engine.open(bad)
