"""The one-writer lock of an embedded ledger, with the scan path served first.

SQLite has one writer. The verify path's group commit and everything else that writes
(stream consumers booking their batches, the console, periodic tasks) share it. With a
plain FIFO lock a group of scans queued behind every transaction that asked before it:
under load, two or three consumers' batches, each holding the lock for their statements
and fsync, which was the verify endpoint's p99 (issue 20).

:class:`WriteLock` lets a *hot* waiter (the group commit) go before waiting ordinary
ones, but at most ``streak`` times in a row while an ordinary one waits: then the
longest-waiting ordinary transaction goes. A scan therefore waits for at most one other
transaction besides its group's predecessor, and no consumer is starved by a steady
stream of scans (it goes after at most ``streak`` groups). Within each kind, first come
first served. Not thread-safe: one event loop owns it, like ``asyncio.Lock``.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class WriteLock:
    """A mutex with two FIFO queues, hot and ordinary (see the module docstring)."""

    def __init__(self, streak: int = 4) -> None:
        if streak < 1:
            raise ValueError(f"streak must be at least 1, not {streak}")
        self.streak = streak
        self._held = False
        self._run = 0  # hot holders in a row while an ordinary waiter waited
        self._hot: collections.deque[asyncio.Future[None]] = collections.deque()
        self._plain: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def locked(self) -> bool:
        return self._held

    @asynccontextmanager
    async def hold(self, hot: bool = False) -> AsyncIterator[None]:
        """Hold the lock for the block; ``hot``: the scan path's group commit."""
        await self._acquire(hot)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, hot: bool) -> None:
        if not self._held and not self._hot and not self._plain:
            self._held = True
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._hot if hot else self._plain
        queue.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release()  # handed over just as it was cancelled: pass it on
            elif future in queue:  # else a wake-up already dropped it
                queue.remove(future)
            raise

    def _release(self) -> None:
        self._held = False
        self._wake()

    def _wake(self) -> None:
        """Hand the lock to the next waiter, if any (see the module docstring)."""
        while self._hot or self._plain:
            hot_turn = bool(self._hot) and (not self._plain or self._run < self.streak)
            queue = self._hot if hot_turn else self._plain
            future = queue.popleft()
            if future.done():  # cancelled while waiting
                continue
            self._run = self._run + 1 if hot_turn and self._plain else 0
            self._held = True
            future.set_result(None)
            return
