"""Read side of the outbox: delivery status and attempt history, for operators."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from veriseal.ledger.base import Ledger
from veriseal.notifications import store
from veriseal.notifications.errors import NotifyInputInvalid, OutboxNotFound
from veriseal.notifications.models import Attempt, Delivery, DeliveryStatus


@dataclass(frozen=True)
class OutboxSummary:
    pending: int
    held: int  # pending and waiting for a do-not-disturb window to end
    delivered: int
    failed: int


class Outbox:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def summary(self) -> OutboxSummary:
        async with self._ledger.read() as tx:
            found = await store.status_counts(tx)
            held = await store.held_count(tx, dt.datetime.now(dt.UTC))
        counts = {"pending": 0, "delivered": 0, "failed": 0}
        counts.update(found)
        return OutboxSummary(held=held, **counts)

    async def deliveries(
        self,
        *,
        status: DeliveryStatus | None = None,
        message_id: int | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        """Deliveries, newest first."""
        if not 1 <= limit <= 10_000:
            raise NotifyInputInvalid("limit must be 1 to 10000")
        async with self._ledger.read() as tx:
            return await store.deliveries(tx, status, message_id, limit)

    async def get(self, outbox_id: int) -> Delivery:
        async with self._ledger.read() as tx:
            found = await store.deliveries_by_id(tx, [outbox_id])
        if not found:
            raise OutboxNotFound(f"no delivery {outbox_id}")
        return found[0]

    async def attempts(self, outbox_id: int) -> list[Attempt]:
        async with self._ledger.read() as tx:
            return await store.attempts(tx, outbox_id)
