"""History over the ledger: the samples of ``logistics_samples`` loaded into the rules'
in-memory :class:`~veriseal_logistics.history.MemoryHistory` (the ETA and the rules
are pure and synchronous; loading is the only I/O).

Per carrier the newest :data:`PER_CARRIER` samples are loaded (enough for stable p95s
of every (status, lane) in use, bounded however long the brand has shipped) and kept
for :data:`TTL` seconds: history moves slowly, and a push per checkpoint must not
re-read it. :meth:`HistoryCache.forget` drops it (tests, and a simulation's clock)."""

from __future__ import annotations

import time
from collections.abc import Iterable

from veriseal.extend import PluginContext
from veriseal_logistics.history import DWELL, REMAINING, Measure, MemoryHistory, Sample
from veriseal_logistics.models import Rules
from veriseal_logistics.statuses import Status

PER_CARRIER = 20000
TTL = 600.0


class HistoryCache:
    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        self._by_carrier: dict[str, tuple[float, list[Sample]]] = {}

    async def get(self, rules: Rules, carriers: Iterable[str]) -> MemoryHistory:
        """The history of ``carriers`` with the brand's minimum sample count (read in a
        transaction of its own: call it before a write transaction opens)."""
        samples: list[Sample] = []
        for carrier in sorted(set(carriers)):
            samples += await self._samples(carrier)
        return MemoryHistory(samples, min_samples=rules.min_samples)

    async def _samples(self, carrier: str) -> list[Sample]:
        now = time.monotonic()
        cached = self._by_carrier.get(carrier)
        if cached is not None and now - cached[0] < TTL:
            return cached[1]
        async with self.ctx.db.read() as tx:
            rows = await tx.fetch(
                "SELECT carrier, lane, status, measure, hours, seq FROM logistics_samples"
                " WHERE carrier = ? ORDER BY id DESC LIMIT ?",
                carrier, PER_CARRIER,
            )  # fmt: skip
        found = [Sample(str(r["carrier"]), str(r["lane"]), Status(r["status"]), _measure(r["measure"]),
                        float(r["hours"]), int(r["seq"])) for r in rows]  # fmt: skip
        self._by_carrier[carrier] = (now, found)
        return found

    def forget(self) -> None:
        self._by_carrier.clear()


def _measure(value: str) -> Measure:
    return DWELL if value == DWELL else REMAINING
