"""Concurrent scans of one code are judged in order (scanning.code_turns).

A scan's verdict rests on the code's earlier verifications. Scans of one code in flight
together must each be judged with every one that came before it, not only with the
ones already committed when it arrived; a scan that fails or is abandoned must not hold
the code's later scans back. Both backends; the turns themselves property-tested.
"""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.catalog.test_lifecycle import first_codes, make_batch
from veriseal.engine import Engine
from veriseal.errors import VerisealError
from veriseal.models import Brand, ScanChannel
from veriseal.scanning.code_turns import CodeTurns
from veriseal.scanning.service import ScanContext, ScanResult
from veriseal.scanning.verification import parse_input

# -- the turns ---------------------------------------------------------------------------

#: one waiter: (key, yields it holds the turn for, cancelled after this many yields of
#: its own, or never)
_WAITER = st.tuples(st.integers(0, 2), st.integers(0, 3), st.none() | st.integers(0, 4))


@settings(max_examples=200, deadline=None)
@given(st.lists(_WAITER, min_size=1, max_size=12))
def test_turns_are_exclusive_first_come_and_forgotten(
    waiters: list[tuple[int, int, int | None]],
) -> None:
    """Whatever waiters are cancelled, and when: one holder per key at a time, the ones
    not cancelled hold it in the order they asked, and no key is left held."""

    async def run() -> None:
        turns = CodeTurns()
        holding: dict[int, int] = {}  # key -> the waiter holding it
        held: dict[int, list[int]] = {}  # key -> waiters in the order they held it

        async def waiter(me: int, key: int, hold: int) -> None:
            await turns.take(key)
            try:
                assert key not in holding, f"{me} and {holding.get(key)} both hold {key}"
                holding[key] = me
                held.setdefault(key, []).append(me)
                for _ in range(hold):
                    await asyncio.sleep(0)
            finally:
                holding.pop(key, None)
                turns.give(key)

        tasks = []
        for me, (key, hold, _cancel) in enumerate(waiters):
            tasks.append(asyncio.create_task(waiter(me, key, hold)))
            if me % 2:
                await asyncio.sleep(0)  # some arrive a round apart
        for me, (_key, _hold, cancel) in enumerate(waiters):
            if cancel is not None:
                tasks[me].get_loop().call_later(0, _cancel_after, tasks[me], cancel)
        outcomes = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)
        assert len(turns) == 0  # every key freed
        for key, order in held.items():
            assert order == sorted(order), f"key {key} held out of order: {order}"
            # nobody who finished without being cancelled was skipped
            finished = [me for me, (k, _, _) in enumerate(waiters) if k == key
                        and not isinstance(outcomes[me], BaseException)]  # fmt: skip
            assert set(finished) <= set(order)

    asyncio.run(run())


def _cancel_after(task: asyncio.Task[None], rounds: int) -> None:
    if rounds == 0:
        task.cancel()
    else:
        task.get_loop().call_soon(_cancel_after, task, rounds - 1)


async def test_a_waiter_handed_the_turn_and_cancelled_before_it_ran_hands_it_on() -> None:
    turns = CodeTurns()
    await turns.take("k")
    second = asyncio.create_task(turns.take("k"))
    third = asyncio.create_task(turns.take("k"))
    await asyncio.sleep(0)  # both wait
    turns.give("k")  # the second's turn: its future is done, the task not resumed yet
    second.cancel()
    await asyncio.wait_for(third, 1)  # handed on, not lost with the second
    assert second.cancelled()
    turns.give("k")
    assert len(turns) == 0


# -- scans of one code in flight together --------------------------------------------------


async def test_concurrent_scans_of_a_code_are_each_judged_with_every_earlier_one(
    engine: Engine, brand: Brand
) -> None:
    batch = await make_batch(engine, brand)
    codes = await first_codes(engine, brand, batch, 4)
    ctx = ScanContext(ScanChannel.API, actor="device:burst")
    rounds = 10
    scans: list[asyncio.Task[ScanResult]] = []
    for _ in range(rounds):  # all at once, then a round 1 ms apart: both shapes of a burst
        scans += [asyncio.create_task(engine.scans.scan(code, ctx)) for code in codes]
        await asyncio.sleep(0.001 if len(scans) > len(codes) * rounds // 2 else 0)
    results = await asyncio.gather(*scans)
    by_serial: dict[str, list[ScanResult]] = {}
    for result in results:
        info = result.verification.info
        assert info is not None
        by_serial.setdefault(info.serial, []).append(result)
    for serial, mine in by_serial.items():
        mine.sort(key=lambda r: r.previous.count)
        # the n-th judged saw exactly the n - 1 before it, the newest of them last
        assert [r.previous.count for r in mine] == list(range(rounds)), serial
        for before, after in itertools.pairwise(mine):
            assert after.previous.last_id == before.scan_id
            assert after.scan_id > before.scan_id  # committed in the order judged
    assert len(engine.scans.turns) == 0


async def test_a_scan_that_fails_to_store_does_not_hold_the_code_back(
    engine: Engine, brand: Brand
) -> None:
    batch = await make_batch(engine, brand)
    (code,) = await first_codes(engine, brand, batch, 1)
    good = ScanContext(ScanChannel.API, actor="device:good")
    bad = ScanContext(ScanChannel.API, actor="device:\x00bad")  # text no ledger stores
    first = asyncio.create_task(engine.scans.scan(code, good))
    refused = asyncio.create_task(engine.scans.scan(code, bad))
    after = asyncio.create_task(engine.scans.scan(code, good))
    done = await asyncio.wait_for(asyncio.gather(first, refused, after, return_exceptions=True), 10)
    assert isinstance(done[1], VerisealError)
    assert isinstance(done[0], ScanResult) and isinstance(done[2], ScanResult)
    assert sorted([done[0].previous.count, done[2].previous.count]) == [0, 1]  # not counted
    assert len(engine.scans.turns) == 0


async def test_abandoned_scans_do_not_hold_the_code_back(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand)
    warm, code = await first_codes(engine, brand, batch, 2)
    ctx = ScanContext(ScanChannel.API, actor="device:x")
    await engine.scans.scan(warm, ctx)  # the batch's metadata cached: no read below
    holder = asyncio.create_task(engine.scans.scan(code, ctx))
    waiting = [asyncio.create_task(engine.scans.scan(code, ctx)) for _ in range(3)]
    for _ in range(20):  # until the holder waits for its commit, the others in line
        await asyncio.sleep(0)
    assert len(engine.scans.turns) == 1
    holder.cancel()  # its client gone while its scan was being committed
    waiting[0].cancel()  # and one gone while its scan waited for the code's turn
    await asyncio.wait_for(asyncio.gather(*waiting[1:]), 10)
    assert len(engine.scans.turns) == 0
    # whatever of the abandoned ones was stored, the next scan is judged with it all
    stored = await engine.ledger.scan_summary(brand.id, _serial(code))
    again = await engine.scans.scan(code, ctx)
    assert again.previous.count == stored.count >= 2


def _serial(code: str) -> str:
    return parse_input(code).serial
