"""The order in which overlapping group transactions take their steps.

A group of scans is appended in one transaction (:meth:`ScanStore.append_group`). On a
ledger that several connections write at once (PostgreSQL), the next group's
transaction may start while the one before is still committing: the server then works
on one group's statements while the other waits for its commit's fsync, instead of the
two waiting on each other (measured by ``benchmarks/bench_http.py``; the figures are in
``docs/scanning.md``). Everything that reads the scans relies on one rule, which the
overlap must keep: **ids grow in commit order** (the committer's code memory, the event
stream's consumers, ``after_id`` pages). So each transaction holds a :class:`Turn`, and
takes each step that hands out or locks something only after the transaction before it
took the same step:

1. ``RESERVED``: its scan ids, reserved after the previous group's (so they are higher);
2. ``COUNTED``: the per-code counts (``scan_codes``): a code both groups scanned is
   locked by the earlier one first, and the later one waits for it in the database,
   never the other way round;
3. ``ENDED``: the event stream's append, the alerts and the COMMIT, once the transaction
   before has ended (committed and told the code memory, or rolled back). On
   PostgreSQL the stream's own advisory lock (migration 0011) orders the commits of
   transactions that append events as well; this step also orders the code memory's
   news, and the transactions that append none.

Inserting the scan rows needs no turn (their ids are fresh). A group carrying client
scan ids waits for the one before to end before it looks them up: a client id the
earlier group stores must be found, not inserted a second time.

No transaction ever waits for a later one, in Python or in the database, so the chain
cannot deadlock. A transaction that fails ends its turn early, before the ones it
followed may have: the one after it then waits, step by step, for the nearest
transaction before it that did not fail.
"""

from __future__ import annotations

import asyncio
from enum import IntEnum


class Step(IntEnum):
    """The steps of a group transaction, in the order it takes them."""

    RESERVED = 0
    COUNTED = 1
    ENDED = 2


class Turn:
    """One group transaction's place after the transaction ``before`` (None: first).

    Contract: call :meth:`wait` before each step, :meth:`took` after it, and
    :meth:`end` exactly once when the transaction is over, whatever its outcome.
    Loop-bound: use on one event loop."""

    __slots__ = ("_before", "_failed", "_taken")

    def __init__(self, before: Turn | None = None) -> None:
        self._before = before
        self._failed = False
        self._taken = [asyncio.Event() for _ in Step]

    async def wait(self, step: Step) -> None:
        """Return once the transaction before has taken ``step`` (at once if none). A
        transaction before that failed is passed over for the one before it."""
        before = self._before
        while before is not None:
            await before._taken[step].wait()
            if not before._failed:
                return
            before = before._before

    async def taken(self, step: Step) -> None:
        """Return once this transaction has taken ``step`` (or ended)."""
        await self._taken[step].wait()

    def took(self, step: Step) -> None:
        """This transaction has taken ``step``: the one after may take it now."""
        self._taken[step].set()

    def end(self, committed: bool) -> None:
        """The transaction is over: ``committed``, or rolled back (failed). A committed
        transaction has waited for every one before it to end, so the chain behind it
        is no longer needed; a failed one keeps it for the one after (see :meth:`wait`)."""
        self._failed = not committed
        if committed:
            self._before = None  # only turns still in flight are kept alive
        for event in self._taken:
            event.set()
