"""KeyedLock: one holder per key at a time, in arrival order, other keys not held up,
and nothing kept once no one holds or waits (so a long-running server's map of locks
does not grow with every order it ever saw)."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal_commerce.keyed_lock import KeyedLock


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=30))
def test_one_holder_per_key_and_nothing_left(keys: list[int]) -> None:
    async def run() -> None:
        locks = KeyedLock()
        inside: dict[int, int] = {}
        order: dict[int, list[int]] = {}

        async def worker(n: int, key: int) -> None:
            async with locks.hold(key):
                inside[key] = inside.get(key, 0) + 1
                assert inside[key] == 1  # never two holders of one key
                order.setdefault(key, []).append(n)
                await asyncio.sleep(0)
                inside[key] -= 1

        await asyncio.gather(*(worker(n, k) for n, k in enumerate(keys)))
        for key, seen in order.items():  # first come, first served
            assert seen == [n for n, k in enumerate(keys) if k == key]
        assert len(locks) == 0

    asyncio.run(run())


async def test_other_keys_are_not_held_up() -> None:
    locks = KeyedLock()
    release = asyncio.Event()

    async def long_holder() -> None:
        async with locks.hold("a"):
            await release.wait()

    task = asyncio.create_task(long_holder())
    await asyncio.sleep(0)
    async with asyncio.timeout(1), locks.hold("b"):
        pass
    release.set()
    await task
    assert len(locks) == 0


async def test_a_cancelled_waiter_leaves_nothing_behind() -> None:
    locks = KeyedLock()
    async with locks.hold(1):
        waiter = asyncio.create_task(locks.hold(1).__aenter__())
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
    assert len(locks) == 0
