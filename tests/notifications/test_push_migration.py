"""Migration 0014 on a ledger that already has an outbox with history: every delivery
and attempt is kept with its id, the new channels are accepted, and the attempts'
foreign key still holds (SQLite rebuilds both tables). Both backends."""

from __future__ import annotations

import datetime as dt

import pytest

from veriseal.errors import IntegrityViolation
from veriseal.ledger import Ledger, open_ledger
from veriseal.ledger.migrate import migrations
from veriseal.notifications import delivery_store, store
from veriseal.notifications.models import AttemptOutcome, Channel, MessageType, PlannedDelivery

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


async def _migrate_before_0014(led: Ledger) -> None:
    """Apply the core migrations older than 0014, as the ledger's migrate() would."""
    async with led.write() as tx:
        await tx.execute(tx.dialect.schema_migrations_ddl)
        for name, statements in migrations(tx.dialect.name):
            if name >= "0014":
                break
            for statement in statements:
                await tx.execute(statement)
            await tx.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", name, NOW
            )


async def test_0014_keeps_the_outbox_and_its_attempts(ledger_url: str) -> None:
    led = await open_ledger(ledger_url)
    try:
        await _migrate_before_0014(led)
        async with led.write() as tx:
            mid = await store.insert_message(
                tx, user_id=7, mtype=MessageType.SYSTEM_NOTICE, title="旧消息", body="b",
                data={"k": 1}, in_inbox=True, now=NOW,
            )  # fmt: skip
            planned = PlannedDelivery(Channel.EMAIL, "a@example.com", NOW, False)
            oid = await store.insert_delivery(tx, mid, planned, "vs_old", NOW)
            await delivery_store.append_attempt(
                tx,
                delivery_store.NewAttempt(oid, 1, "w1", NOW, NOW, AttemptOutcome.RETRY, "451"),
            )
        applied = await led.migrate()
        assert "0014_push_subscriptions" in applied
        async with led.write() as tx:
            [kept] = await store.deliveries_by_id(tx, [oid])
            [attempt] = await store.attempts(tx, oid)
            push = PlannedDelivery(Channel.PUSH, "1", NOW, False)
            wechat = PlannedDelivery(Channel.WECHAT, "oOpenId", NOW, True)
            new_ids = [
                await store.insert_delivery(tx, mid, push, "vs_push", NOW),
                await store.insert_delivery(tx, mid, wechat, "vs_wechat", NOW),
            ]
        assert (kept.id, kept.channel, kept.address, kept.title) == (
            oid, Channel.EMAIL, "a@example.com", "旧消息")  # fmt: skip
        assert (attempt.outbox_id, attempt.error, attempt.outcome) == (oid, "451", "retry")
        assert min(new_ids) > oid
        with pytest.raises(IntegrityViolation):  # the rebuilt child still checks its parent
            async with led.write() as tx:
                await delivery_store.append_attempt(
                    tx,
                    delivery_store.NewAttempt(
                        max(new_ids) + 1, 1, "w1", NOW, NOW, AttemptOutcome.RETRY, ""
                    ),
                )
        with pytest.raises(IntegrityViolation):  # and the widened CHECK still checks
            async with led.write() as tx:
                bad = PlannedDelivery("fax", "x", NOW, False)  # type: ignore[arg-type]
                await store.insert_delivery(tx, mid, bad, "vs_fax", NOW)
    finally:
        await led.close()
