"""The embedded ledger's write lock: one holder at a time, the scan path first but for
a bounded streak, first come first served within each kind, cancellation-safe."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal.ledger.write_lock import WriteLock


async def _run(lock: WriteLock, arrivals: list[tuple[bool, int]]) -> list[int]:
    """Start the waiters in ``arrivals`` order (hot?, hold for n loop turns) while a
    first holder holds the lock; return the order in which they got it."""
    order: list[int] = []
    holding = 0

    async def worker(number: int, hot: bool, turns: int) -> None:
        nonlocal holding
        async with lock.hold(hot):
            holding += 1
            assert holding == 1  # never two holders
            order.append(number)
            for _ in range(turns):
                await asyncio.sleep(0)
            holding -= 1

    async with lock.hold():
        tasks = [asyncio.create_task(worker(i, hot, n)) for i, (hot, n) in enumerate(arrivals)]
        await asyncio.sleep(0)  # every waiter queues while the lock is held
    await asyncio.gather(*tasks)
    return order


@settings(max_examples=200, deadline=None)
@given(
    arrivals=st.lists(st.tuples(st.booleans(), st.integers(0, 2)), min_size=1, max_size=12),
    streak=st.integers(1, 4),
)
def test_hot_first_but_never_more_than_streak_in_a_row(
    arrivals: list[tuple[bool, int]], streak: int
) -> None:
    order = asyncio.run(_run(WriteLock(streak), arrivals))
    assert sorted(order) == list(range(len(arrivals)))  # everyone got it once
    hot = [i for i in order if arrivals[i][0]]
    plain = [i for i in order if not arrivals[i][0]]
    assert hot == sorted(hot) and plain == sorted(plain)  # FIFO within each kind
    # all waited from the start: hot ones go first, at most ``streak`` while plain wait
    expected: list[int] = []
    hq = [i for i, (h, _) in enumerate(arrivals) if h]
    pq = [i for i, (h, _) in enumerate(arrivals) if not h]
    run = 0
    while hq or pq:
        if hq and (not pq or run < streak):
            expected.append(hq.pop(0))
            run = run + 1 if pq else 0
        else:
            expected.append(pq.pop(0))
            run = 0
    assert order == expected


async def test_a_cancelled_waiter_neither_holds_nor_blocks() -> None:
    lock = WriteLock()
    got: list[str] = []

    async def take(name: str, hot: bool) -> None:
        async with lock.hold(hot):
            got.append(name)

    async with lock.hold():
        doomed = asyncio.create_task(take("doomed", True))
        after = asyncio.create_task(take("after", False))
        await asyncio.sleep(0)
        doomed.cancel()
        await asyncio.sleep(0)
    await after
    with pytest.raises(asyncio.CancelledError):
        await doomed
    assert got == ["after"] and not lock.locked


def test_streak_must_be_positive() -> None:
    with pytest.raises(ValueError):
        WriteLock(0)
