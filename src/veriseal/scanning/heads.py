"""Reading many codes' heads (verification count, newest id) in one query.

When the committer's memory (:mod:`veriseal.scanning.memory`) is *checked* (another
process may write scans: several PostgreSQL workers), each scan confirms its code's
remembered summary against the ledger's ``scan_codes`` row before trusting it. Requests
in flight together ask together: :class:`HeadReader` gathers the codes asked for while
the event loop runs one round and reads them with one query
(:meth:`veriseal.ledger.base.Ledger.scan_heads`), so under load a round trip serves
dozens of scans instead of one.

Failure: a read that fails fails the requests that were waiting on it, each with the
ledger's error, as their own reads would have; the keys are a verified code's brand id
and serial, which no client chooses freely, so no client's input can fail the query.
"""

from __future__ import annotations

import asyncio

from veriseal.ledger.base import Ledger
from veriseal.ledger.scan_store import MAX_HEADS

Key = tuple[int, str]
Head = tuple[int, int]  # (verifications, id of the newest)


class HeadReader:
    """Batches :meth:`get` calls made in one loop round into queries of up to
    ``MAX_HEADS`` codes."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._waiting: dict[Key, list[asyncio.Future[Head | None]]] = {}
        self._reads: set[asyncio.Task[None]] = set()  # the loop keeps only weak references
        self.queries = 0  # for tests and benchmarks

    async def get(self, key: Key) -> Head | None:
        """The code's (count, newest id), or None when it was never verified."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Head | None] = loop.create_future()
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

    async def _read(self, part: dict[Key, list[asyncio.Future[Head | None]]]) -> None:
        self.queries += 1
        try:
            heads = await self._ledger.scan_heads(list(part))
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
                    future.set_result(heads.get(key))
