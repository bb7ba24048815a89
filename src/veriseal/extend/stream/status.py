"""Watching the stream: each consumer's lag, its parked events, retrying one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from veriseal.errors import NotFound
from veriseal.extend.stream.consumer import Batch
from veriseal.extend.stream.worker import StreamWorker
from veriseal.i18n import register
from veriseal.ledger import stream_store
from veriseal.ledger.base import Ledger
from veriseal.ledger.stream_store import Parked


class ParkedNotFound(NotFound):
    """No unresolved parked event at that position for that consumer."""

    code = "parked_not_found"


register({"error.parked_not_found": ("Parked event not found", "未找到该搁置事件")})


@dataclass(frozen=True)
class ConsumerLag:
    """A consumer's committed ``position``, the stream's ``head`` and the positions in
    between (``lag``: events of every kind, those it does not want included);
    ``declared``: an enabled plugin or the core declares it (False: a cursor left by a
    consumer no longer enabled)."""

    consumer: str
    position: int
    head: int
    parked: int
    declared: bool

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)

    def to_dict(self) -> dict[str, object]:
        return {
            "consumer": self.consumer,
            "position": self.position,
            "head": self.head,
            "lag": self.lag,
            "parked": self.parked,
            "declared": self.declared,
        }


async def lag(ledger: Ledger, declared: Sequence[str]) -> list[ConsumerLag]:
    """Every declared consumer's lag, and that of cursors left by others, by name."""
    async with ledger.read() as tx:
        top = await stream_store.head(tx)
        known = await stream_store.cursors(tx)
        parked = await stream_store.parked(tx)
    waiting: dict[str, int] = {}
    for p in parked:
        waiting[p.consumer] = waiting.get(p.consumer, 0) + 1
    names = sorted({*declared, *known})
    return [ConsumerLag(n, known.get(n, 0), top, waiting.get(n, 0), n in declared) for n in names]


async def list_parked(
    ledger: Ledger, consumer: str | None = None, resolved: bool = False
) -> list[Parked]:
    async with ledger.read() as tx:
        return await stream_store.parked(tx, consumer, resolved)


async def retry_parked(worker: StreamWorker, consumer: str, position: int) -> None:
    """Hand one parked event to its consumer again, in one transaction with marking it
    resolved. A failure is recorded on the parked row (one more try, the new error) and
    raised; the consumer's cursor does not move either way."""
    target = worker.selected([consumer])[0]
    async with worker.ledger.read() as tx:
        waiting = [p for p in await stream_store.parked(tx, consumer) if p.position == position]
        event = await stream_store.read_at(tx, position)
    if not waiting or event is None:
        raise ParkedNotFound(f"consumer {consumer} has no parked event at position {position}")
    try:
        ctx = worker.context(target)
        prepared = await target.prepare(ctx, [event]) if target.prepare else None
        async with worker.ledger.write() as tx:
            await target.handle(ctx, Batch((event,), prepared), tx)
            await stream_store.resolve(tx, consumer, position)
    except Exception as exc:
        async with worker.ledger.write() as tx:
            await stream_store.park(tx, consumer, event, f"{type(exc).__name__}: {exc}", 1)
        raise
