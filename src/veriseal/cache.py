"""In-process caches, each with a bound on its entries.

:class:`LruDict` is the bounded mapping every in-process cache uses: past
``max_entries`` it forgets the least recently used entry, so memory stays bounded
whatever the key space (brands, batches, clients, users) grows to.

:class:`SingleFlight` shares one read among the callers that want it at the same time.

:class:`TtlCache` is a small time-bounded cache for ledger metadata read on every scan.

Brands, products, keys, batches and policies change rarely but are read by every
verification. Each entry lives ``ttl`` seconds, so a change made by *another* process (a
recall from the CLI while the server runs) is seen within ``ttl``. A change made through
this process's ledger object clears the cache at once: ``version`` is that ledger's
``metadata_version``, and the cache starts afresh whenever it moves.

Loads are single-flight (:class:`SingleFlight`): when an entry expires under load, the
first caller reads the ledger and every other caller for that key awaits the same read.
Without this, all the requests in flight at the moment of expiry (dozens) each made the
same reads, a stall measured as the verify endpoint's p99.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruDict(Generic[K, V]):
    """A mapping of at most ``max_entries`` entries: storing a new key when full forgets
    the least recently used one (read with :meth:`get` or written). Not thread-safe;
    each event loop or object owns its own."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, not {max_entries}")
        self.max_entries = max_entries
        self._data: OrderedDict[K, V] = OrderedDict()

    @overload
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: T) -> V | T: ...
    def get(self, key: K, default: object = None) -> object:
        """The value of ``key`` (now the most recently used), or ``default``."""
        try:
            self._data.move_to_end(key)
        except KeyError:
            return default
        return self._data[key]

    def __setitem__(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    def pop(self, key: K, default: V | None = None) -> V | None:
        return self._data.pop(key, default)

    def clear(self) -> None:
        self._data.clear()

    def items(self) -> list[tuple[K, V]]:
        """Every entry, least recently used first (a copy: the order is not touched)."""
        return list(self._data.items())

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)


class SingleFlight(Generic[K, V]):
    """At most one read per key under way: a caller arriving while ``key``'s read runs
    awaits that read instead of starting its own, and gets its value or its exception
    (exceptions are not kept: the next caller reads again). A caller that gives up
    (cancelled) does not cancel the read the others await. :meth:`forget` makes later
    callers start a fresh read (a write made meanwhile must be seen by them); callers
    already waiting keep the read they joined. One event loop per instance."""

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        task = self._running.get(key)
        if task is None:  # the first caller starts the read; later ones share it
            task = asyncio.ensure_future(read())
            self._running[key] = task
            task.add_done_callback(lambda done: self._done(key, done))
        # shield: a caller that gives up does not cancel the read the others await
        return await asyncio.shield(task)

    def forget(self, key: K | None = None) -> None:
        """Later calls for ``key`` (every key: ``None``) start a read of their own."""
        if key is None:
            self._running.clear()
        else:
            self._running.pop(key, None)

    def _done(self, key: K, task: asyncio.Future[V]) -> None:
        if self._running.get(key) is task:  # not a newer read started after forget()
            del self._running[key]
        if not task.cancelled():
            task.exception()  # retrieved here too: no warning when every caller gave up


class TtlCache:
    """Values loaded once per ``ttl`` seconds per key, at most ``max_entries`` of them
    (least recently used forgotten first); see the module docstring."""

    def __init__(
        self,
        ttl: float = 2.0,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
        version: Callable[[], int] = lambda: 0,
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._version = version
        self._seen_version = version()
        self._data: LruDict[Hashable, tuple[float, Any]] = LruDict(max_entries)
        self._flights: SingleFlight[Hashable, Any] = SingleFlight()
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
        found = self._data.get(key)
        if found is not None and now - found[0] < self.ttl:
            self.hits += 1
            return found[1]  # type: ignore[no-any-return]
        self.misses += 1
        return await self._flights.run(  # type: ignore[no-any-return]
            key, lambda: self._load(key, load, now, version)
        )

    async def _load(
        self, key: Hashable, load: Callable[[], Awaitable[T]], now: float, version: int
    ) -> T:
        value = await load()
        if self._version() == version:  # not read across a change made meanwhile
            self._data[key] = (now, value)  # loaded at: a changed ttl applies at once
        return value

    def clear(self) -> None:
        self._data.clear()

    @property
    def size(self) -> int:
        """Entries held now (expired ones included until replaced or evicted). Not
        ``__len__``: an empty cache must not be falsy where ``cache or TtlCache()`` is
        written."""
        return len(self._data)
