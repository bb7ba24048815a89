"""benchmarks/bench_console.py keeps running: a tiny ledger, every page and its API call
over real HTTP against a server in its own process, figures and ratios printed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_console as bench


@pytest.mark.slow
async def test_a_tiny_console_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    args = bench.parser().parse_args(["--scans", "1500", "--alerts", "30", "--requests", "2"])
    assert await bench.main(args) == 0
    out = capsys.readouterr().out
    for name, _page, _api in bench._pairs(bench.Seeded("acme", "", "", 1, {})):
        assert f"\n{name} " in out, name
    assert "median page/API ratio over the pages:" in out
    assert "dashboard rebuild:" in out and "CSV export" in out
