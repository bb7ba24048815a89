"""benchmarks/bench_inventory.py keeps running: its --quick smoke run on each backend
loads a small history, checks and repairs the caches, and prints every figure with its
same-run baseline (timings are never asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_inventory as bench


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_a_quick_inventory_benchmark_runs(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = bench.parser().parse_args(["--quick", "--backend", backend])
    assert await bench.main(args) == 0
    out = capsys.readouterr().out
    assert f"{backend}: 20,000 movements in " in out
    assert "posts over 50 products x 10 warehouses" in out
    for figure in ("movements/s   bare INSERT of the row", "PK SELECT of 1 level row",
                   "rebuild  full, from 20,000 movements", "rebuild --check",
                   "20 differences found"):  # fmt: skip
        assert figure in out, figure
    assert out.count("ratio ") == 4
