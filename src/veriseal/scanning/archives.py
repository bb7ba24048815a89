"""Telling the committer's memory when scans were archived by another process.

``veriseal ledger archive`` (:mod:`veriseal.ledger.archive`) drops a closed month's scans
from PostgreSQL, usually from a cron job while the servers run. The code's count stays in
``scan_codes``, so the checked memory's confirmation (count and newest id,
:mod:`veriseal.scanning.heads`) cannot see it; what goes is the time and place of the
archived scans, which a memory filled earlier would go on showing.

:class:`ArchiveWatch` reads which scan id ranges the ledger still holds (its partitions,
one catalogue query) at most once every ``ttl`` seconds (the memory's), from the first
scan that looks after that time, and when a range it saw before is gone (or on its first look)
asks the memory to forget what lies outside them
(:meth:`~veriseal.scanning.memory.CodeMemory.forget_outside`). An archived scan's time
and place are therefore shown for at most ``ttl`` seconds, plus the look itself, after
its month was dropped: the bound the memory's expiry gave before, without re-reading
every code at once.

Contract: :meth:`look` never raises and never waits for the ledger; the read runs as
its own task, one at a time. A failed read is logged and tried again ``ttl`` seconds
later (the memory then keeps what it holds: a delay in forgetting, never a wrong count).
A ledger without partitions (SQLite, or PostgreSQL's plain-table layout) is never
archived, so the watch stops looking after the first read says so.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence

from veriseal.ledger.partition_store import Partition
from veriseal.scanning.memory import CodeMemory

log = logging.getLogger(__name__)

#: Below every id (the legacy partition's open lower bound).
_LOWEST = -(1 << 63)


class ArchiveWatch:
    """Looks at the ledger's scan partitions every ``memory.ttl`` seconds, from the
    scans' path, and tells ``memory`` when one it saw is gone (see the module
    docstring)."""

    def __init__(
        self,
        partitions: Callable[[], Awaitable[Sequence[Partition]]],
        memory: CodeMemory,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._partitions = partitions
        self._memory = memory
        self._clock = clock
        self._looked = -math.inf  # the first scan looks: the memory may predate an archive
        self._seen: frozenset[tuple[int, int]] | None = None
        self._task: asyncio.Task[None] | None = None
        self.stopped = False  # the ledger has no partitions: nothing is ever archived
        self.forgotten = 0  # codes forgotten so far (for tests and logs)

    def look(self) -> None:
        """Start a read of the partitions when one is due and none is running."""
        now = self._clock()
        if self.stopped or self._task is not None or now - self._looked < self._memory.ttl:
            return
        self._looked = now
        self._task = asyncio.get_running_loop().create_task(self._read())

    async def settled(self) -> None:
        """Wait for the read in progress, if any (tests; a server's shutdown)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _read(self) -> None:
        try:
            parts = [p for p in await self._partitions() if p.table == "scans"]
        except Exception as exc:  # a look must never fail a scan: tried again after ttl
            # the ledger logged the incident itself; its driver's words stay there
            log.warning("could not read the scan partitions (%s); will look again", exc)
            return
        finally:
            self._task = None
        if not parts:
            self.stopped = True
            return
        live = frozenset((_LOWEST if p.lo is None else p.lo, p.hi) for p in parts)
        if self._seen is None or not self._seen <= live:  # a range is gone: archived
            forgotten = self._memory.forget_outside(sorted(live))
            self.forgotten += forgotten
            if self._seen is not None:
                log.info("scans were archived; the memory forgot %d codes", forgotten)
        self._seen = live
