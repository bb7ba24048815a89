"""The turns of overlapping group transactions (veriseal.ledger.turns), as a state machine.

Transactions are simulated: each takes the four steps with random pauses between them
and may fail after any of them, as a transaction whose statement the database refused
does. The truth is the order the turns were handed out in, kept by the test alone.
Whatever the pauses and failures: the transactions that commit take every step in that
order, none takes a step before an earlier one that had not failed yet took it, and the
chain always finishes (no transaction waits for a later one).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from veriseal.ledger.turns import Step, Turn


@dataclass(frozen=True)
class Plan:
    """One simulated transaction: a pause (ms) before each step, and the step after
    which it fails (None: it commits)."""

    pauses: tuple[int, int, int, int]
    fails_after: Step | None
    starts_ms: int  # when it begins, after the previous one began


plans = st.builds(
    Plan,
    st.tuples(*(st.integers(0, 3) for _ in Step)),
    st.one_of(st.none(), st.sampled_from(list(Step)[:-1])),
    st.integers(0, 2),
)


async def _simulate(schedule: list[Plan]) -> list[tuple[int, Step, str]]:
    """Run the transactions, each turn after the previous one begun (as the group
    committer hands them out); the log of (transaction, step, "took" | "failed")."""
    log: list[tuple[int, Step, str]] = []
    tail: Turn | None = None

    async def run(n: int, plan: Plan, turn: Turn) -> None:
        for step in Step:
            await asyncio.sleep(plan.pauses[step] / 1000)
            await turn.wait(step)
            log.append((n, step, "took"))
            if step is Step.ENDED:
                turn.end(committed=True)
                return
            turn.took(step)
            if plan.fails_after is step:
                log.append((n, step, "failed"))
                turn.end(committed=False)
                return

    tasks = []
    for n, plan in enumerate(schedule):
        await asyncio.sleep(plan.starts_ms / 1000)
        tail = Turn(tail)
        tasks.append(asyncio.create_task(run(n, plan, tail)))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)  # never a deadlock
    return log


@given(st.lists(plans, min_size=1, max_size=8))
def test_steps_follow_the_turns_order_past_failures(schedule: list[Plan]) -> None:
    log = asyncio.run(_simulate(schedule))
    failed_at = {n: step for n, step, what in log if what == "failed"}
    committed = [n for n, p in enumerate(schedule) if p.fails_after is None]
    assert set(failed_at) == {n for n, p in enumerate(schedule) if p.fails_after is not None}
    for step in Step:
        took = [n for n, s, what in log if s is step and what == "took"]
        # each step is taken in turn order by whoever takes it ...
        assert took == sorted(took), (step, took)
        # ... and a committed transaction took every step
        assert set(committed) <= set(took)
    commits = [n for n, s, what in log if s is Step.ENDED]
    assert commits == committed
    for position, (n, step, what) in enumerate(log):
        if what != "took":
            continue
        # no earlier transaction that was still going to take this step took it later
        for m, s, w in log[position + 1 :]:
            assert not (m < n and s is step and w == "took"), (n, m, step)


def test_a_failed_turn_passes_the_wait_to_the_one_before_it() -> None:
    async def main() -> list[str]:
        first = Turn()
        second = Turn(first)
        third = Turn(second)
        order: list[str] = []

        async def commit_third() -> None:
            await third.wait(Step.ENDED)
            order.append("third")

        waiting = asyncio.create_task(commit_third())
        second.end(committed=False)  # failed while the first is still committing
        await asyncio.sleep(0.01)
        assert not waiting.done()  # it waits for the first, not for the failed second
        order.append("first")
        first.end(committed=True)
        await waiting
        return order

    assert asyncio.run(main()) == ["first", "third"]


def test_a_committed_turn_lets_go_of_the_chain_behind_it() -> None:
    async def main() -> None:
        first = Turn()
        second = Turn(first)
        first.end(committed=True)
        await second.wait(Step.ENDED)
        second.end(committed=True)
        assert second._before is None  # only turns in flight are kept alive
        await asyncio.wait_for(second.taken(Step.ENDED), timeout=1)  # every step taken

    asyncio.run(main())
