"""benchmarks/bench_sqlite_rows.py keeps running: a tiny read of the ledger's scans table
the three ways prints their figures and the same-run ratios (timings are never asserted;
the benchmark itself checks that the ledger's rows equal dict(sqlite3.Row)'s)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_sqlite_rows as bench


def test_a_tiny_row_benchmark_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["bench_sqlite_rows.py", "--rows", "40", "--rounds", "3"])
    bench.main()
    out = capsys.readouterr().out
    assert "40 rows of 23 columns, medians of 3 rounds" in out
    for label in ("bare tuples", "dict(sqlite3.Row) (before)", "the ledger's _dict_row (now)"):
        assert label in out
    assert "now/before" in out
