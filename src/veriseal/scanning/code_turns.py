"""One judgment at a time per code: concurrent scans of one code are judged in order.

A scan's verdict rests on the code's earlier verifications (the clone rules: count,
travel, regions, devices), which the committer's memory and the ledger give as
*committed*. Two scans of one code in flight together were each judged against the
history committed before either (a burst of copies of one label within a commit's few
milliseconds was counted a few scans late; issue 20). :class:`CodeTurns` makes a scan
of a code wait, after its verdict and before its history is read, until every scan of
that code that came before it has been committed or has failed; so each one is judged
with every earlier one, in the order they arrived here.

Scans of different codes never wait for each other, and a code scanned by one request
at a time (nearly every code) pays one dictionary lookup and no suspension. The order
holds within one process: scans of one code served by two processes at the same moment
are each judged against what the ledger had committed (PostgreSQL's ``--workers``). A
scan whose request is cancelled while it is being committed hands the turn on at once
(its caller is gone): the scan may still be stored, after the next one was judged
without it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Hashable


class CodeTurns:
    """Per-key turns, first come first served. :meth:`take` waits for the key's turn;
    the holder hands it on with :meth:`give`, exactly once, whatever happened meanwhile
    (``try``/``finally``). A waiter cancelled before its turn came leaves the line; one
    cancelled after it was handed the turn, before it could run, hands it on itself. A
    key nobody holds is forgotten (the table holds only codes in flight). Not
    thread-safe: the scans of one event loop share it."""

    def __init__(self) -> None:
        #: key -> the waiters after its holder, in arrival order (present: held)
        self._lines: dict[Hashable, deque[asyncio.Future[None]]] = {}

    def __len__(self) -> int:
        """Keys held now."""
        return len(self._lines)

    async def take(self, key: Hashable) -> None:
        """Return once ``key``'s turn is the caller's (at once when nobody holds it)."""
        line = self._lines.get(key)
        if line is None:
            self._lines[key] = deque()
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        line.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.give(key)  # handed the turn, but cancelled before it ran: pass it on
            raise

    def give(self, key: Hashable) -> None:
        """Hand ``key``'s turn to the first waiter still waiting, or free the key."""
        line = self._lines[key]
        while line:
            turn = line.popleft()
            if not turn.done():  # a waiter cancelled meanwhile left its future cancelled
                turn.set_result(None)
                return
        del self._lines[key]
