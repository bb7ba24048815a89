"""benchmarks/bench_orders.py keeps running: a tiny order-submission benchmark prints
its figures and the same-run ratio against the quote alone (timings never asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_orders as bench


def test_a_tiny_order_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    args = bench.parser().parse_args(["--orders", "2", "--lines", "2", "--rounds", "2"])
    assert bench.main(args) == 0
    out = capsys.readouterr().out
    assert "sqlite: 2 orders x 2 lines per round" in out
    assert "orders/s (median of 2 rounds)" in out
    assert "ratio orders/quotes:" in out
