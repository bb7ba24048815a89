"""benchmarks/bench_catalogue.py keeps running: a tiny catalogue on each backend, the
add, search and browse figures printed with their same-run ratios."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_catalogue as bench


@pytest.mark.slow
@pytest.mark.postgres
async def test_a_tiny_catalogue_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    args = bench.parser().parse_args(["--n", "60", "--queries", "10", "--repeat", "1"])
    assert await bench.main(args) == 0
    out = capsys.readouterr().out
    for backend in ("sqlite", "postgres"):
        assert f"{backend}: n=60 products" in out
    assert out.count("ratio ") == 6
