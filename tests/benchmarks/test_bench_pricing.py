"""benchmarks/bench_pricing.py keeps running: a small quote benchmark with and without
promotions prints its figures and the same-run ratio (timings are never asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_pricing as bench


def test_a_tiny_pricing_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    args = bench.parser().parse_args(
        ["--lines", "5", "--rows", "60", "--promotions", "20", "--quotes", "3", "--rounds", "3"]
    )
    assert bench.main(args) == 0
    out = capsys.readouterr().out
    assert "basket: 5 lines; rules: 60 price rows, 20 active promotions" in out
    assert "quotes/s (median of 3 rounds)" in out
    assert "ratio with/without:" in out
