"""bench_http.py's ``--commit-depth 1,2``: one verify server per depth, each on a ledger
of its own, and each depth's requests/s against the first's in the same rounds."""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from bench_http import Figures, depth_list, report, verifiers  # noqa: E402


def test_depths_parse_and_bad_lists_are_refused() -> None:
    assert depth_list("2") == [2]
    assert depth_list("1,2,3") == [1, 2, 3]
    for bad in ("", "1,", "a", "1,1", "1;2"):
        with pytest.raises(argparse.ArgumentTypeError):
            depth_list(bad)


def test_each_depth_gets_its_own_ledger_and_name() -> None:
    assert verifiers(["a"], None) == [("verify", "a", None)]
    assert verifiers(["a", "b"], [1, 2]) == [("verify@1", "a", 1), ("verify@2", "b", 2)]
    with pytest.raises(ValueError):  # a depth without a ledger is a bug, not a default
        verifiers(["a"], [1, 2])


def figures(rps: float, cpu: float) -> Figures:
    return rps, 1.0, 10.0, cpu, 0.0, 0.0, 0.0


@given(
    st.lists(
        st.tuples(st.floats(100, 5000), st.floats(100, 5000), st.floats(50, 900)),
        min_size=1,
        max_size=7,
    )
)
def test_the_depths_ratio_is_taken_round_by_round(
    rounds: list[tuple[float, float, float]],
) -> None:
    """The printed ratio is the median of the same round's ratios, not the ratio of the
    medians: a slow round slows both depths and must not count against either."""
    data = {
        "hello": [figures(20_000, 40) for _ in rounds],
        "verify@1": [figures(one, cpu) for one, _, cpu in rounds],
        "verify@2": [figures(two, cpu / 2) for _, two, cpu in rounds],
    }
    args = argparse.Namespace(rounds=len(rounds), seconds=10, connections=32, located=False)
    args.consumers_apart = False
    lines = capture(lambda: report("postgres", 1, data, args))
    (line,) = [text for text in lines if "verify@2/verify@1" in text]
    by_round = [f"{two / one:.3f}" for one, two, _ in rounds]
    assert line.split("by round ", 1)[1].split(";")[0] == ", ".join(by_round)
    median = statistics.median(two / one for one, two, _ in rounds)
    assert f"median {median:.3f} " in line
    assert line.endswith("server CPU per request, median 0.500")
    # each depth's own targets are printed, named
    assert sum("TARGET" in text and "(verify@2)" in text for text in lines) == 3


def capture(run: Callable[[], None]) -> list[str]:
    """The lines ``run()`` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run()
    return out.getvalue().splitlines()
