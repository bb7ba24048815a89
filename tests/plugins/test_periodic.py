"""Plugins' periodic work: each task runs at once and then every ``every`` seconds, a
failing task never stops another, ``stop`` ends the loop."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest

from veriseal.extend import PeriodicTask
from veriseal.extend.periodic import run_periodic


async def test_tasks_run_on_their_interval_and_survive_failures() -> None:
    stop = asyncio.Event()
    runs: dict[str, list[float]] = {"tick": [], "broken": []}

    async def tick(_ctx: Any) -> None:
        runs["tick"].append(time.monotonic())

    async def broken(_ctx: Any) -> None:
        runs["broken"].append(time.monotonic())
        raise RuntimeError("a plugin's bug")

    tasks = [(None, PeriodicTask("tick", 1, tick)), (None, PeriodicTask("broken", 1, broken))]
    asyncio.get_running_loop().call_later(2.5, stop.set)
    await asyncio.wait_for(run_periodic(tasks, stop), timeout=30)  # type: ignore[arg-type]
    for name, times in runs.items():
        assert len(times) >= 2, name  # at the start, and again: a failure ends nothing
        # never again before its interval has passed (later is allowed on a busy machine)
        assert all(b - a >= 0.99 for a, b in itertools.pairwise(times)), name


async def test_stop_ends_the_wait() -> None:
    stop = asyncio.Event()

    async def slow(_ctx: Any) -> None:
        return None

    loop = asyncio.create_task(run_periodic([(None, PeriodicTask("t", 3600, slow))], stop))  # type: ignore[list-item]
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(loop, timeout=2)  # not an hour


def test_an_interval_under_a_second_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1 second"):
        PeriodicTask("busy", 0.01, lambda _ctx: asyncio.sleep(0))
