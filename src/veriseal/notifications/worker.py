"""The delivery worker: claims due outbox rows under a lease, sends, records.

Guarantee (see docs/notifications.md): every accepted delivery is sent AT LEAST ONCE
until it is delivered or has failed ``max_attempts`` times; a send is repeated only when
a worker stops (crash, kill, lost connection) between the provider accepting it and
the ledger recording it, or when a send outlives its lease. Every copy carries the same
idempotency key, so a receiver that remembers keys sees each message exactly once.

How:

1. **Claim** (one transaction): due ``pending`` rows of channels this worker can send,
   whose lease is free or expired, get ``lease_owner``/``lease_until`` and
   ``attempts + 1``. Counting the attempt at claim time means a message that crashes
   its worker every time still runs out of attempts instead of looping for ever.
   PostgreSQL claims with ``FOR UPDATE SKIP LOCKED``, so several workers share the
   outbox; SQLite has one writer at a time anyway.
2. **Send** outside any transaction, with a timeout well under the lease.
3. **Record** (one transaction per claimed batch): for each delivery append a
   ``notify_attempts`` row and change the row's status in the same transaction:
   ``delivered``; ``failed`` (permanent error or last attempt); or back to ``pending``
   with ``not_before`` = now + backoff. A worker whose lease was taken over only
   appends its attempt row (and still marks a success).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from veriseal.ledger.base import Ledger, Tx
from veriseal.notifications import attachment_store, delivery_store
from veriseal.notifications.errors import NotifyInputInvalid, SendFailed
from veriseal.notifications.models import AttemptOutcome, Channel, Delivery, DeliveryStatus

log = logging.getLogger(__name__)

#: What a raw-address message's text becomes once it is no longer needed.
REDACTED = "[erased after delivery]"


class Sender(Protocol):
    """One channel's transport. ``send`` returns when the provider has accepted the
    message and raises :class:`SendFailed` when it has not (any other exception counts
    as a transient failure). It MUST pass ``delivery.idempotency_key`` to the provider."""

    async def send(self, delivery: Delivery) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class WorkerOptions:
    max_attempts: int = 8
    backoff_base: float = 30.0  # seconds before the 2nd attempt; doubles each time
    backoff_max: float = 6 * 3600.0
    jitter: float = 0.2  # up to +20 %, so retries of many rows spread out
    lease_seconds: float = 120.0
    send_timeout: float = 30.0
    batch_size: int = 50
    concurrency: int = 8

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.batch_size < 1 or self.concurrency < 1:
            raise NotifyInputInvalid("max_attempts, batch_size and concurrency must be >= 1")
        if self.send_timeout >= self.lease_seconds:
            raise NotifyInputInvalid("send_timeout must be shorter than the lease")

    def backoff(self, attempt_no: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt ``attempt_no`` (1-based)."""
        base = min(self.backoff_max, self.backoff_base * 2 ** (attempt_no - 1))
        spread = rng.random() if rng is not None else random.random()
        return float(base * (1 + self.jitter * spread))


@dataclass
class Report:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: Report) -> None:
        self.claimed += other.claimed
        self.delivered += other.delivered
        self.retried += other.retried
        self.failed += other.failed
        self.errors.extend(other.errors)


@dataclass(frozen=True)
class _Result:
    delivery: Delivery
    started: dt.datetime
    outcome: AttemptOutcome
    error: str
    retry_at: dt.datetime | None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DeliveryWorker:
    def __init__(
        self,
        ledger: Ledger,
        senders: Mapping[Channel, Sender],
        options: WorkerOptions | None = None,
        *,
        worker_id: str | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.ledger = ledger
        self.senders = dict(senders)
        self.options = options or WorkerOptions()
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.clock = clock

    # -- one pass ----------------------------------------------------------------------
    async def run_once(self) -> Report:
        """Claim one batch of due deliveries, send them concurrently, then record every
        outcome in ONE transaction (one commit per batch, not per message; a crash
        before it commits means the whole batch is sent again, with the same keys)."""
        report = Report()
        if not self.senders:
            return report
        claimed = await self._claim()
        report.claimed = len(claimed)
        if not claimed:
            return report
        gate = asyncio.Semaphore(self.options.concurrency)

        async def one(d: Delivery) -> _Result:
            async with gate:
                return await self._send(d)

        results = await asyncio.gather(*(one(d) for d in claimed))
        async with self.ledger.write() as tx:
            for r in results:
                await self._record(
                    tx,
                    r.delivery.id,
                    r.delivery.attempts,
                    r.started,
                    r.outcome,
                    r.error,
                    r.retry_at,
                )
        for r in results:
            if r.outcome is AttemptOutcome.DELIVERED:
                report.delivered += 1
                continue
            report.errors.append(f"{r.delivery.id}: {r.error}")
            if r.outcome is AttemptOutcome.RETRY:
                report.retried += 1
            else:
                report.failed += 1
        return report

    async def run(
        self,
        stop: asyncio.Event,
        *,
        poll_seconds: float = 1.0,
        on_report: Callable[[Report], None] | None = None,
    ) -> Report:
        """Pass after pass until ``stop`` is set; a full batch is followed at once by
        the next pass, an idle one waits ``poll_seconds``."""
        total = Report()
        while not stop.is_set():
            report = await self.run_once()
            total.add(report)
            if on_report is not None and report.claimed:
                on_report(report)
            if report.claimed < self.options.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll_seconds)
        return total

    # -- steps -------------------------------------------------------------------------
    async def _claim(self) -> list[Delivery]:
        now = self.clock()
        lease_until = now + dt.timedelta(seconds=self.options.lease_seconds)
        channels = [str(c) for c in self.senders]
        # A read first: an idle poll must not take the ledger's write lock (on SQLite the
        # scans' group commits wait behind it; measured as the verify endpoint's p99).
        # It also sees the exhausted rows _abandon_exhausted fails.
        async with self.ledger.read() as tx:
            due = await delivery_store.any_due(tx, now, channels)
        if not due:  # nothing to send, nothing abandoned (see _abandon_exhausted)
            return []
        async with self.ledger.write() as tx:
            await self._abandon_exhausted(tx, now, channels)
            return await delivery_store.claim(
                tx,
                delivery_store.Claim(
                    worker=self.worker_id,
                    channels=channels,
                    now=now,
                    lease_until=lease_until,
                    max_attempts=self.options.max_attempts,
                    batch_size=self.options.batch_size,
                ),
            )

    async def _abandon_exhausted(self, tx: Tx, now: dt.datetime, channels: list[str]) -> None:
        """Rows whose LAST attempt's worker stopped before recording it: fail them."""
        stale = await delivery_store.exhausted(tx, now, channels, self.options.max_attempts)
        for r in stale:
            error = f"worker {r.lease_owner} stopped before recording the last attempt"
            await self._record(tx, r.outbox_id, r.attempts, now, AttemptOutcome.FAILED, error, None)

    async def _send(self, d: Delivery) -> _Result:
        sender = self.senders[d.channel]
        started = self.clock()
        outcome, error, retry_at = AttemptOutcome.DELIVERED, "", None
        try:
            if d.channel is Channel.EMAIL:  # files travel by e-mail only (see .attachments)
                async with self.ledger.read() as tx:
                    d = replace(d, attachments=await attachment_store.load(tx, d.message_id))
            await asyncio.wait_for(sender.send(d), self.options.send_timeout)
        except SendFailed as exc:
            error = exc.reason
            outcome = AttemptOutcome.FAILED if exc.permanent else AttemptOutcome.RETRY
        except TimeoutError:
            error = f"no answer within {self.options.send_timeout:g} s"
            outcome = AttemptOutcome.RETRY
        except Exception as exc:  # a sender bug or an unexpected library error: retry
            log.exception("sender %s failed on delivery %s", d.channel, d.id)
            error, outcome = f"{type(exc).__name__}: {exc}", AttemptOutcome.RETRY
        if outcome is AttemptOutcome.RETRY and d.attempts >= self.options.max_attempts:
            outcome = AttemptOutcome.FAILED
            error = f"{error} (gave up after {d.attempts} attempts)"
        if outcome is AttemptOutcome.RETRY:
            retry_at = self.clock() + dt.timedelta(seconds=self.options.backoff(d.attempts))
        return _Result(d, started, outcome, error, retry_at)

    async def _record(
        self,
        tx: Tx,
        outbox_id: int,
        attempt_no: int,
        started: dt.datetime,
        outcome: AttemptOutcome,
        error: str,
        retry_at: dt.datetime | None,
    ) -> None:
        """Append the attempt and change the row's state in the caller's transaction."""
        now = self.clock()
        await delivery_store.append_attempt(
            tx,
            delivery_store.NewAttempt(
                outbox_id, attempt_no, self.worker_id, started, now, outcome, error
            ),
        )
        if outcome is AttemptOutcome.DELIVERED:
            # the provider has it, whoever holds the lease now: never send it again
            await delivery_store.finish(tx, outbox_id, DeliveryStatus.DELIVERED, None, now)
        elif outcome is AttemptOutcome.FAILED:
            await delivery_store.finish(tx, outbox_id, DeliveryStatus.FAILED, error, now)
        else:
            # only the lease holder reschedules: a worker that lost its lease must not
            # move the row another worker is sending right now
            await delivery_store.reschedule(tx, outbox_id, self.worker_id, retry_at, error)
        if outcome is not AttemptOutcome.RETRY:
            await self._erase_raw_text(tx, outbox_id)
            await attachment_store.drop_sent(tx, outbox_id)

    async def _erase_raw_text(self, tx: Tx, outbox_id: int) -> None:
        """A raw-address message (a one-time code) is erased once no delivery of it is
        pending: it is in nobody's history and its code must not outlive its use."""
        await delivery_store.redact_raw_message(tx, outbox_id, REDACTED)
