"""Reading many codes' histories in one query: the requests in flight ask together.

The committer's memory (:mod:`veriseal.scanning.memory`) is filled by reading a code's
summary the first time it is scanned and, when *checked* (another process may write
scans: several PostgreSQL workers), confirmed against the code's ``scan_codes`` row
(count, newest id) before it is trusted. On PostgreSQL a query's fixed cost (a round
trip, the server's parse-bind-execute, a snapshot) is most of a primary-key probe's.
:class:`BatchedReads` gathers the codes asked for while the event loop runs one round and
reads them with one query of up to :data:`MAX_HEADS` codes
(:meth:`~veriseal.ledger.base.Ledger.scan_summaries`,
:meth:`~veriseal.ledger.base.Ledger.scan_heads`), so under load a query serves dozens of
scans instead of one.

Failure: a read that fails fails the requests that were waiting on it, each with the
ledger's error, as their own reads would have; the keys are a verified code's brand id
and serial, which no client chooses freely, so no client's input can fail the query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from veriseal.ledger.scan_store import MAX_HEADS

Key = tuple[int, str]  # (brand id, code)
V = TypeVar("V")


class BatchedReads(Generic[V]):
    """Batches :meth:`get` calls made in one loop round into ``read(keys)`` calls of up
    to ``MAX_HEADS`` keys each; a key ``read`` leaves out gets None."""

    def __init__(self, read: Callable[[Sequence[Key]], Awaitable[dict[Key, V]]]) -> None:
        self._read_many = read
        self._waiting: dict[Key, list[asyncio.Future[V | None]]] = {}
        self._reads: set[asyncio.Task[None]] = set()  # the loop keeps only weak references
        self.queries = 0  # for tests and benchmarks

    async def get(self, key: Key) -> V | None:
        """What ``read`` says of ``key``, read together with the other keys asked for
        in this loop round."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V | None] = loop.create_future()
        if not self._waiting:
            # after the callbacks already due: the other requests of this round ask first
            loop.call_soon(self._flush)
        self._waiting.setdefault(key, []).append(future)
        return await future

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, {}
        keys = list(waiting)
        for start in range(0, len(keys), MAX_HEADS):
            part = {k: waiting[k] for k in keys[start : start + MAX_HEADS]}
            task = asyncio.get_running_loop().create_task(self._read(part))
            self._reads.add(task)
            task.add_done_callback(self._reads.discard)

    async def _read(self, part: dict[Key, list[asyncio.Future[V | None]]]) -> None:
        self.queries += 1
        try:
            found = await self._read_many(list(part))
        except BaseException as exc:  # each waiter gets what its own read would have raised
            for futures in part.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise  # cancelled (the server stops): the waiters were told above
            return
        for key, futures in part.items():
            for future in futures:
                if not future.done():  # a cancelled request is not answered
                    future.set_result(found.get(key))
