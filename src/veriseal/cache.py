"""A small time-bounded cache for ledger metadata read on every scan.

Brands, products, keys, batches and policies change rarely but are read by every
verification. Each entry lives ``ttl`` seconds, so a change made by *another* process (a
recall from the CLI while the server runs) is seen within ``ttl``. A change made through
this process's ledger object clears the cache at once: ``version`` is that ledger's
``metadata_version``, and the cache starts afresh whenever it moves.

Loads are single-flight: when an entry expires under load, the first caller reads the
ledger and every other caller for that key awaits the same read. Without this, all the
requests in flight at the moment of expiry (dozens) each made the same reads, a stall
measured as the verify endpoint's p99.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
_MISSING = object()


class TtlCache:
    def __init__(
        self,
        ttl: float = 2.0,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
        version: Callable[[], int] = lambda: 0,
    ) -> None:
        self.ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._version = version
        self._seen_version = version()
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._loading: dict[Hashable, asyncio.Future[Any]] = {}  # reads under way
        self.hits = 0
        self.misses = 0

    async def get(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """The cached value of ``key``, or ``await load()`` stored for ``ttl`` seconds.
        Exceptions from ``load`` (``NotFound`` ...) are not cached."""
        now = self._clock()
        version = self._version()
        if version != self._seen_version:
            self._data.clear()
            self._seen_version = version
        found = self._data.get(key, _MISSING)
        if found is not _MISSING and now - found[0] < self.ttl:  # type: ignore[index]
            self.hits += 1
            return found[1]  # type: ignore[index,no-any-return]
        self.misses += 1
        task = self._loading.get(key)
        if task is None:  # the first caller starts the read; later ones share it
            task = asyncio.ensure_future(self._load(key, load, now, version))
            self._loading[key] = task
            task.add_done_callback(lambda done: self._loaded(key, done))
        # shield: a caller that gives up does not cancel the read the others await
        return await asyncio.shield(task)

    async def _load(
        self, key: Hashable, load: Callable[[], Awaitable[T]], now: float, version: int
    ) -> T:
        value = await load()
        if self._version() == version:  # not read across a change made meanwhile
            if len(self._data) >= self._max:
                self._data.clear()  # crude but bounded; metadata sets are small in practice
            self._data[key] = (now, value)  # loaded at: a changed ttl applies at once
        return value

    def _loaded(self, key: Hashable, task: asyncio.Future[Any]) -> None:
        self._loading.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here too: no warning when every caller gave up

    def clear(self) -> None:
        self._data.clear()
