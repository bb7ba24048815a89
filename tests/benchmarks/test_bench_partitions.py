"""benchmarks/bench_partitions.py: a size the disk cannot hold is not grown to (the
default run asks for 100 million scans, about 160 GB), the sizes measured before it are
still reported, the run's databases are gone at the end, and growth is measured against
twins held at the smallest size in the same rounds."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_partitions as bench
from tests.conftest import PG_ADMIN

pytestmark = pytest.mark.postgres


def test_room_keeps_a_tenth_spare() -> None:
    # 1,000 scans into each of 2 databases at 100 bytes: 200 kB, 220 kB with the spare
    assert not bench.room_for(1000, 2, 100.0, 200_000)
    assert not bench.room_for(1000, 2, 100.0, 219_999)
    assert bench.room_for(1000, 2, 100.0, 220_001)
    assert bench.room_for(0, 2, 780.0, 0)  # nothing to grow always fits


@given(
    scans=st.integers(0, 10**12),
    fewer=st.integers(0, 10**12),
    layouts=st.integers(1, 3),
    per_scan=st.floats(1, 5000),
    free=st.integers(0, 10**16),
    more=st.integers(0, 10**16),
)
def test_room_never_refuses_less_growth_or_more_space(
    scans: int, fewer: int, layouts: int, per_scan: float, free: int, more: int
) -> None:
    """Whatever the formula: growth that fits still fits with more free space, and
    less growth fits wherever more did."""
    if bench.room_for(scans, layouts, per_scan, free):
        assert bench.room_for(scans, layouts, per_scan, free + more)
        assert bench.room_for(max(0, scans - fewer), layouts, per_scan, free)
        assert bench.room_for(scans, max(1, layouts - 1), per_scan, free)


async def test_free_space_is_read_where_postgres_keeps_its_data() -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        directory = str(await conn.fetchval("SHOW data_directory"))
    finally:
        await conn.close()
    free = await bench.data_free(PG_ADMIN)
    assert free is not None
    # the same filesystem, read moments apart: within a gigabyte
    assert abs(free - shutil.disk_usage(directory).free) < 1e9
    # a server elsewhere: its disk is not this machine's to read
    assert await bench.data_free("postgresql://postgres@db.example.invalid/postgres") is None


async def _bench_databases() -> set[str]:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE 'veriseal_bench_partitioned_%'"
            " OR datname LIKE 'veriseal_bench_flat_%'"
        )
    finally:
        await conn.close()
    return {str(r["datname"]) for r in rows}


def test_a_size_that_does_not_fit_is_skipped_and_the_databases_dropped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = asyncio.run(_bench_databases())
    # a trillion scans (about 1.7 PB) fits no disk this test will meet
    args = argparse.Namespace(
        sizes=[1200, 10**12], months=2, codes_per=10, scans=64, rounds=1, pg=PG_ADMIN,
        keep=False,
    )  # fmt: skip
    asyncio.run(bench.main_async(args))
    out = capsys.readouterr().out
    assert "growing to 1,200 scans" in out
    assert "partitioned/flat: CPU" in out  # the size that fitted was measured
    assert "not growing to 1,000,000,000,000 scans" in out
    assert "磁盘空间不足" in out
    assert "growing to 1,000,000,000,000 scans over" not in out
    # each layout against its twin, which holds the same rows at the smallest size
    assert "partitioned against its twin at 1,200 scans, same rounds" in out
    assert "flat against its twin at 1,200 scans, same rounds" in out
    summary = out.split("medians of 1 rounds", 1)[1]
    rows = [line.split() for line in summary.splitlines() if line.strip().startswith("1,")]
    assert [r[:2] for r in rows] == [["1,200", "partitioned"], ["1,200", "flat"]]
    assert "1,000,000,000,000" not in summary
    assert asyncio.run(_bench_databases()) == before  # this run's two are gone


def _figures(cpu: float, pg: float, p99: float) -> bench.Figures:
    return bench.Figures(rate=1.0, p50_ms=1.0, p99_ms=p99, cpu_us=cpu, pg_us=pg)


figure = st.floats(1.0, 1000.0)


@given(st.lists(st.tuples(figure, figure, figure, figure, figure, figure), min_size=1, max_size=7))
def test_growth_is_the_median_of_each_rounds_ratio(
    rounds: list[tuple[float, float, float, float, float, float]],
) -> None:
    """The machine's speed changes between rounds and a round's grown ledger and twin
    share it: the growth is the median of the rounds' ratios, not a ratio of medians."""
    by_label: dict[str, list[bench.Figures]] = {}
    for layout in bench.LAYOUTS:
        by_label[layout] = [_figures(c, g, p) for c, g, p, _, _, _ in rounds]
        by_label[f"{layout} twin"] = [_figures(c, g, p) for _, _, _, c, g, p in rounds]
    growth = bench.against_twins(by_label)
    cpu = sorted((c + g) / (tc + tg) for c, g, _, tc, tg, _ in rounds)
    p99 = sorted(p / tp for _, _, p, _, _, tp in rounds)
    for layout in bench.LAYOUTS:
        assert growth[layout][0] == pytest.approx(statistics.median(cpu))
        assert growth[layout][1] == pytest.approx(statistics.median(p99))


def test_growth_cancels_a_machine_that_slows_down() -> None:
    """Each round twice as slow as the one before, the grown ledgers costing 1.2x and 1x
    their twins: the growth says 1.2 and 1.0, whatever the drift."""
    slow = [100.0 * 2**r for r in range(3)]
    by_label = {
        "partitioned": [_figures(t * 1.2, t * 1.2, 10 * t * 1.2) for t in slow],
        "partitioned twin": [_figures(t, t, 10 * t) for t in slow],
        "flat": [_figures(t, t, 10 * t) for t in slow],
        "flat twin": [_figures(t, t, 10 * t) for t in slow],
    }
    growth = bench.against_twins(by_label)
    assert growth["partitioned"] == pytest.approx((1.2, 1.2))
    assert growth["flat"] == pytest.approx((1.0, 1.0))


def test_a_run_stopped_by_sigterm_drops_its_databases() -> None:
    """``kill`` (or a CI job's timeout) in the middle of a run: the run unwinds and
    drops what it made, as it does at its end; a second ``kill`` while it drops them
    does not stop the drop half way."""
    before = asyncio.run(_bench_databases())
    root = Path(__file__).resolve().parents[2]
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(str(root / d) for d in ("src", "cli", "plugins"))
    }
    # a size that takes minutes to grow and fits a small disk (10 GB for the four):
    # the run is stopped while it grows, not while it skips a size
    run = subprocess.Popen(
        [sys.executable, str(root / "benchmarks" / "bench_partitions.py"), "--sizes",
         "3000000", "--months", "2", "--pg", PG_ADMIN],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while len(asyncio.run(_bench_databases()) - before) < 4:  # all four made
            assert run.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        time.sleep(1)
        run.send_signal(signal.SIGTERM)
        time.sleep(0.3)  # while it unwinds and drops
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 1
    assert "the databases were dropped" in err
    assert asyncio.run(_bench_databases()) == before
