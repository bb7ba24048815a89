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
            found = await tx.fetch(
                "SELECT status, COUNT(*) AS n FROM notify_outbox GROUP BY status"
            )
            held = await tx.fetchrow(
                "SELECT COUNT(*) AS n FROM notify_outbox WHERE status = 'pending'"
                " AND held_by_dnd = ? AND not_before > ?",
                True,
                dt.datetime.now(dt.UTC),
            )
        counts = {"pending": 0, "delivered": 0, "failed": 0}
        for r in found:
            counts[r["status"]] = int(r["n"])
        return OutboxSummary(held=int(held["n"]) if held else 0, **counts)

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
        clauses: list[str] = ["1 = 1"]
        args: list[object] = []
        if status is not None:
            clauses.append("o.status = ?")
            args.append(str(status))
        if message_id is not None:
            clauses.append("o.message_id = ?")
            args.append(message_id)
        async with self._ledger.read() as tx:
            found = await tx.fetch(
                f"SELECT {store.DELIVERY_COLS} FROM notify_outbox o"
                " JOIN notify_messages m ON m.id = o.message_id"
                f" WHERE {' AND '.join(clauses)} ORDER BY o.id DESC LIMIT ?",
                *args,
                limit,
            )
        return [store.delivery(r) for r in found]

    async def get(self, outbox_id: int) -> Delivery:
        async with self._ledger.read() as tx:
            row = await tx.fetchrow(
                f"SELECT {store.DELIVERY_COLS} FROM notify_outbox o"
                " JOIN notify_messages m ON m.id = o.message_id WHERE o.id = ?",
                outbox_id,
            )
        if row is None:
            raise OutboxNotFound(f"no delivery {outbox_id}")
        return store.delivery(row)

    async def attempts(self, outbox_id: int) -> list[Attempt]:
        async with self._ledger.read() as tx:
            found = await tx.fetch(
                "SELECT * FROM notify_attempts WHERE outbox_id = ? ORDER BY id", outbox_id
            )
        return [store.attempt(r) for r in found]
