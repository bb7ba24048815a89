"""A small time-bounded cache for ledger metadata read on every scan.

Brands, products, keys, batches and policies change rarely but are read by every
verification. Each entry lives ``ttl`` seconds, so a change made by *another* process (a
recall from the CLI while the server runs) is seen within ``ttl``. A change made through
this process's ledger object clears the cache at once: ``version`` is that ledger's
``metadata_version``, and the cache starts afresh whenever it moves.
"""

from __future__ import annotations

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
        value = await load()
        if len(self._data) >= self._max:
            self._data.clear()  # crude but bounded; metadata sets are small in practice
        self._data[key] = (now, value)  # loaded at: a changed ttl applies at once
        return value

    def clear(self) -> None:
        self._data.clear()
