"""Per-key locks inside one process, for writes that also take a database advisory lock.

On PostgreSQL a transaction waiting for an advisory lock holds a pooled connection while
it waits. Ten concurrent writes for one key on a pool of ten then hold every connection,
and the one holding the lock cannot get the second connection a lookup inside it needs
(a notice's recipients' preferences): every request waits forever. Queuing the writes
for one key in the process first, before a connection is taken, leaves at most one
connection per key and process waiting on the database lock; the advisory lock still
serialises processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class KeyedLock:
    """``async with locks.hold(key):`` one holder per key at a time (FIFO); a key's lock
    lives only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
