"""benchmarks/sim_channel.py keeps running: its decoders, its alert-to-unit mapping and a
tiny simulation through a real ``veriseal serve`` (the map data comes from npm into
.bench-cache/ on first use)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import itertools

import sim_channel as sim


def encode_ring(points: list[tuple[int, int]], offset: tuple[int, int]) -> str:
    """The inverse of echarts 4's decodePolygon (zig-zag deltas + 64)."""
    out, (px, py) = [], offset
    for x, y in points:
        for d in (x - px, y - py):
            out.append(chr(((d << 1) ^ (d >> 31)) + 64))
        px, py = x, y
    return "".join(out)


@given(st.lists(st.tuples(st.integers(0, 200_000), st.integers(0, 60_000)), min_size=1,
                max_size=30).filter(lambda ps: all(abs(a[0] - b[0]) < 20_000 and abs(
                    a[1] - b[1]) < 20_000 for a, b in itertools.pairwise(ps))))  # fmt: skip
def test_decode_ring_inverts_the_echarts_encoding(points: list[tuple[int, int]]) -> None:
    offset = points[0]
    decoded = sim.decode_ring(encode_ring(points, offset), list(offset), 1024.0)
    assert decoded == [(x / 1024.0, y / 1024.0) for x, y in points]


def test_alert_units_reads_ranges_units_and_the_code() -> None:
    index_of = {"AAA": 5, "BBB": 9}
    receipt = {"evidence": {"ranges": {"1": ["12-15", "40"]}}}
    assert sim.alert_units(receipt, index_of) == {12, 13, 14, 15, 40}
    grouped = {"evidence": {"units": ["https://id.x/01/1/21/AAA", {"code": "BBB"}]}}
    assert sim.alert_units(grouped, index_of) == {5, 9}
    assert sim.alert_units({"code": "https://id.x/01/1/21/BBB", "evidence": {}}, index_of) == {9}
    assert sim.alert_units({"index": 3, "evidence": {}}, index_of) == {3}


@pytest.mark.slow
def test_a_tiny_channel_runs_end_to_end(tmp_path: Path) -> None:
    args = sim.parser().parse_args(
        [
            "--seeds",
            "1",
            "--dealers",
            "20",
            "--expire-after",
            "5",
            "--json",
            str(tmp_path / "out.json"),
        ]
    )
    (result,) = asyncio.run(sim.main(args))
    assert set(result["http"]["phase1"]) == {"200"}  # every scan was answered
    assert result["labels"]["honest"] > 50 and result["incidents"] >= 2
    div = result["diversion_any"]
    assert div["shipments"]["tp"] >= 1  # the detector sees some diversion
    assert result["clone"]["codes"]["recall"] > 0.5
    assert (tmp_path / "out.json").stat().st_size > 1000
