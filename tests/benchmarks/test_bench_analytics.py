"""benchmarks/bench_analytics.py keeps running: a tiny run books the generated orders and
scans, finds the rollups' dashboard figures equal to the raw GROUP BY's and prints its
figures (timings never asserted); a rollup that disagrees with the raw tables fails it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from veriseal.models import Brand
from veriseal_analytics.periods import Period

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_analytics as bench

TINY = ["--orders", "300", "--scans", "600", "--dealers", "30", "--products", "8",
        "--days", "120", "--rounds", "2"]  # fmt: skip


def test_a_tiny_analytics_benchmark_finds_equal_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(bench.parser().parse_args(TINY)) == 0
    out = capsys.readouterr().out
    assert "sqlite: 300 order lines in" in out
    assert "600 scans, 30 dealers, 8 products, 120 days" in out
    assert re.search(r"orders bare insert +[\d,]+ events/s \| rollup booking +[\d,]+ events/s", out)
    assert re.search(r"scans +bare insert +[\d,]+ events/s", out)
    assert re.search(r"stock +bare insert +[\d,]+ events/s \| rollup booking +[\d,]+ events/s", out)
    for query in ("summary", "ranking by product", "ranking by dealer", "ranking by province",
                  "trend (day)"):  # fmt: skip
        for days in bench.PERIODS:
            assert re.search(rf"{re.escape(query)} +{days}d( +[\d.]+){{5}}", out), (query, days)
    assert "figures EQUAL" in out
    assert re.search(r"commerce_order_lines +300\n", out)
    assert re.search(r"scans +600\n", out)


def test_a_rollup_that_disagrees_with_the_raw_tables_fails_the_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = bench.Raw.summary

    async def off_by_one(self: bench.Raw, brand: Brand, p: Period) -> object:
        out = await real(self, brand, p)
        out["now"]["units"] += 1  # the raw side disagrees: the run must say so
        return out

    monkeypatch.setattr(bench.Raw, "summary", off_by_one)
    assert bench.main(bench.parser().parse_args(TINY)) == 1
    out = capsys.readouterr().out
    assert "FAILED: the rollups and the raw GROUP BY differ: summary 7d" in out
    assert "figures EQUAL" not in out
