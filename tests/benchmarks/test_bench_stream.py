"""benchmarks/bench_stream.py keeps running (it once broke unnoticed when a table it
reset was dropped): a tiny run on SQLite prints every consumer's figures, and the
diversion consumer raises its alert (timings are never asserted)."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_stream as bench


def test_a_tiny_stream_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    args = bench.argparse.Namespace(
        events=60, batch=20, rounds=1, backends="sqlite", pg="postgresql://unused"
    )
    asyncio.run(bench.main(args))
    out = capsys.readouterr().out
    assert "sqlite: 60 scans on the stream" in out
    for label in ("bare SELECT", "no-op consumer", "veriseal.dashboard consumer",
                  "territories.diversion consumer",
                  "analytics.scans consumer", "3 scan consumers, one worker (shared read)",
                  "3 scan consumers, a worker each"):  # fmt: skip
        assert re.search(re.escape(label) + r".*events/s\s+ratio to bare", out), label
    # six units of one consignment seen in Hangzhou by six buyers: one alert
    assert "diversion alerts raised per territories round: 1" in out
    assert re.search(r"one worker against a worker each .*: median \d+\.\d\dx", out)


async def test_consumers_in_turns_get_every_scan_either_way(
    ledger_url: str, tmp_path: Path
) -> None:
    """The shared-read measurement compares like with like: each of the three consumers
    gets every scan once, whether one worker delivers them or a worker each."""
    key = tmp_path / "k.key"
    bench.create_key_file(key)
    cfg = bench.Config(
        None, ledger_url, bench.KeySource(key_file=key), plugins=("territories", "analytics")
    )
    engine = await bench.Engine.open(cfg)
    try:
        codes = await bench._world(engine, 30)
        await bench._scan_all(engine, codes)
        for shared in (True, False):
            _, n = await bench._in_turns(engine, 7, shared)
            assert n == 3 * 30
    finally:
        await engine.close()
