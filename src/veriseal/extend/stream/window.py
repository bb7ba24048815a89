"""The stream's newest events in memory, read once for every consumer of one worker.

Each consumer reads its own batches (:mod:`veriseal.extend.stream.worker`). Three of
them read every scan (the dashboard, the scan counts, the diversion check), so each
scan's event was fetched and decoded three times in the verify server's process (the
decoding alone 1.9% of its CPU samples on SQLite, 0.8% with the window; issue 20).

:class:`StreamWindow` keeps the events of the stream's newest stretch, every kind, in
position order. A consumer whose cursor lies inside the stretch gets its batch from
memory; one that saw a head past the stretch's end reads on from there, for all.

Why it is exact: every position at or below the head a reader saw is final (positions
follow commit order, :mod:`veriseal.ledger.stream_store`). A stretch read up to such a
head, or up to the last of a full read, therefore holds every event that will ever
have a position in it, and is never read again. A consumer behind the stretch (a new
one, one set back to replay, one slower than the window is long) reads the ledger
directly, as before, up to where the stretch begins, and joins it there.

The events are shared: a consumer must not modify an event's ``payload``.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Collection

from veriseal.ledger import stream_store
from veriseal.ledger.base import Tx
from veriseal.ledger.stream_store import StreamEvent

#: events kept: a few polls' worth of scans at a server's full rate, so consumers that
#: poll at different moments find each other's reads (a scan's event: about 860 bytes
#: with its payload decoded, so 7 MB in all)
KEEP = 8192
#: events one read from the ledger takes at most
READ = 2048


class StreamWindow:
    """Every event with ``lo < position <= hi``, in position order (none yet: ``hi``
    is -1). Not thread-safe: one event loop's consumers share it, concurrently."""

    def __init__(self, keep: int = KEEP, read: int = READ) -> None:
        if not 0 < read <= keep:  # a read must fit, or trimming would cut into it
            raise ValueError(f"0 < read <= keep, not read={read}, keep={keep}")
        self.keep = keep
        self.read_limit = read
        self.lo = -1
        self.hi = -1
        self._events: list[StreamEvent] = []
        self._positions: list[int] = []
        self._extending = asyncio.Lock()

    async def read(
        self, tx: Tx, after: int, top: int, kinds: Collection[str] | None, limit: int
    ) -> tuple[list[StreamEvent], int]:
        """``(events, upto)``: at most ``limit`` events of ``kinds`` (None: every kind)
        with ``after < position <= upto``, in position order, and every such event;
        ``after < upto <= top``. ``top`` must be a head read in ``tx`` (or a position
        below it), with ``top > after``. ``upto < top`` means more is waiting."""
        if after >= self.lo and top > self.hi:
            # The window ends before this reader's head: read on from its end (or from
            # ``after``, past it) for all. Serving only up to the end instead made the
            # reader come back at once for the few events after it: one more write
            # transaction per consumer and poll (see WorkerOptions' pacing).
            # One extends at a time: readers arriving together each read the same events
            # otherwise, and the later ones found the end moved and started the window
            # afresh. Whoever waited looks again: the end may have passed its head.
            async with self._extending:
                if after >= self.lo and top > self.hi:
                    await self._extend(tx, max(after, self.hi), top)
        if after < self.lo:
            # Behind the window: the ledger, as a consumer alone, but only up to where
            # the window starts. Reading on to the head put the consumer past the
            # window's end; its next read started a new window there, which left the
            # others behind it, and so on: each consumer read for itself.
            upto = min(top, self.lo)
            return await stream_store.read_after(tx, after, upto, kinds, limit), upto
        upto = min(top, self.hi)
        found: list[StreamEvent] = []
        events = self._events
        i = bisect.bisect_right(self._positions, after)
        while i < len(events) and len(found) < limit:
            event = events[i]
            if event.position > upto:
                break
            if kinds is None or event.kind in kinds:
                found.append(event)
            i += 1
        return found, upto

    async def _extend(self, tx: Tx, after: int, top: int) -> None:
        """Read the events after ``after`` (the window's end, or beyond it: the window
        then starts afresh there) up to ``top``, at most :attr:`read_limit` of them,
        into the window."""
        read = await stream_store.read_after(tx, after, top, None, self.read_limit)
        if after != self.hi:  # not where the window ends: start afresh at ``after``
            self._events, self._positions, self.lo = [], [], after
        self._events.extend(read)
        self._positions.extend(e.position for e in read)
        self.hi = read[-1].position if len(read) == self.read_limit else top
        drop = len(self._events) - self.keep
        if drop > 0:  # the oldest go; the window then starts at the last one dropped
            self.lo = self._positions[drop - 1]
            del self._events[:drop], self._positions[:drop]
