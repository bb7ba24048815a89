"""Payments: offline bank transfers and online providers, one append-only ledger.

Contracts (every write holds the order's advisory lock, see :mod:`.payment_store`):

- :meth:`PaymentService.start` (payer, ``orders.place`` on its own org) opens an online
  payment with a provider and returns the ``code_url`` to show as a QR;
  :meth:`PaymentService.start_transfer` records an offline transfer with its receipt.
- :meth:`PaymentService.settle` records what a provider says (from a notification,
  from the payer's return to the page, or from the poller) and converges: a payment is
  ``captured`` at most once (``dedupe = captured:<payment>``); an amount or currency
  other than the payment's is a ``capture_failed`` event and never marks it paid.
- :meth:`PaymentService.confirm_transfer` (finance, ``payments.confirm``) captures a
  transfer with the bank reference: a second confirmation is ``payment_closed``; so is
  confirming a rejected one.
- :meth:`PaymentService.refund` is idempotent by ``out_refund_no`` per order and never
  lets requested refunds exceed what was paid (:mod:`.payment_ledger`); offline
  payments refund as a credit note, online ones through the provider.
- after each event that changes the summary, every registered
  :class:`~veriseal_commerce.payable.PaymentListener` is called in the same transaction,
  and ``commerce.payment`` is published on the event stream as the last statement.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from veriseal import Principal
from veriseal.extend import PluginContext, Tx
from veriseal_commerce import payment_store as store
from veriseal_commerce.keyed_lock import KeyedLock
from veriseal_commerce.payable import Payable, PaymentListener, PaymentSummary
from veriseal_commerce.payment_errors import (
    NotDue,
    NotTransfer,
    PaymentClosed,
    PaymentNotFound,
    ProviderUnknown,
    ReceiptInvalid,
    RefundInvalid,
    RefundTooLarge,
)
from veriseal_commerce.payment_ledger import summary_of, totals
from veriseal_commerce.payment_store import Event, Payment
from veriseal_commerce.permissions import ORDERS_PLACE, PAYMENTS_CONFIRM
from veriseal_commerce.providers.base import (
    Answer,
    Notice,
    NotifyRefused,
    PaymentRequest,
    Provider,
    ProviderError,
    RefundRequest,
)
from veriseal_commerce.providers.wechatpay import rfc3339

log = logging.getLogger("veriseal.commerce.payments")

OFFLINE = "offline"
RECEIPT_TYPES = frozenset({"image/png", "image/jpeg", "application/pdf"})
MAX_RECEIPT = 5 * 1024 * 1024


@dataclass(frozen=True)
class Started:
    payment: Payment
    code_url: str  # the QR's content (online); "" for a transfer

    def to_dict(self) -> dict[str, Any]:
        return {"payment": self.payment.to_dict(), "code_url": self.code_url}


@dataclass(frozen=True)
class Receipt:
    content_type: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class RefundAsk:
    out_refund_no: str  # the caller's request number: the same number is one refund
    amount: int
    reason: str = ""


def _actor(principal: Principal | None) -> str:
    if principal is None:
        return "provider"
    return f"user:{principal.user_id}" if principal.user_id is not None else principal.client


@dataclass
class PaymentService:
    ctx: PluginContext
    providers: dict[str, Provider] = field(default_factory=dict)
    listeners: list[PaymentListener] = field(default_factory=list)
    #: called with an order id before a write transaction that may call the listeners,
    #: so they find what they look up ready (no lookup inside the transaction)
    warm: Callable[[int], Awaitable[None]] | None = None
    #: one payment write per order at a time in this process, queued before it takes a
    #: pooled connection (:mod:`.keyed_lock`)
    orders: KeyedLock = field(default_factory=KeyedLock)

    @asynccontextmanager
    async def _write(self, order_id: int) -> AsyncIterator[Tx]:
        """A write transaction holding the order's payment lock (in this process first,
        then the database's advisory lock)."""
        async with self.orders.hold(order_id), self.ctx.db.write() as tx:
            await store.lock_order(tx, order_id)
            yield tx

    def register(self, listener: PaymentListener) -> None:
        """Call ``listener`` in every transaction that changes an order's summary."""
        self.listeners.append(listener)

    def add_provider(self, provider: Provider) -> None:
        self.providers[provider.name] = provider

    def provider(self, name: str) -> Provider:
        found = self.providers.get(name)
        if found is None:
            raise ProviderUnknown(f"{name!r} is not a configured payment provider")
        return found

    # -- starting -------------------------------------------------------------------------
    async def _open(self, principal: Principal, payable: Payable, provider: str) -> Payment:
        org = await self.ctx.org(payable.org_id)
        self.ctx.require(principal, ORDERS_PLACE, brand_id=payable.brand_id, org=org)
        if payable.currency != "CNY" and provider != OFFLINE:
            raise ProviderUnknown("online providers take CNY only")
        async with self._write(payable.order_id) as tx:
            entries = await store.events_of_order(tx, payable.order_id)
            if summary_of(payable.amount, payable.currency, entries).outstanding <= 0:
                raise NotDue(f"order {payable.order_no} owes nothing")
            p = await store.insert_payment(tx, {
                "brand_id": payable.brand_id, "org_id": payable.org_id,
                "order_id": payable.order_id, "order_no": payable.order_no,
                "provider": provider, "out_trade_no": secrets.token_hex(16),
                "amount": payable.amount, "currency": payable.currency,
                "expires_at": payable.expires_at, "created_at": dt.datetime.now(dt.UTC),
                "actor": _actor(principal),
            })  # fmt: skip
            await store.append(tx, p, "started", p.amount, "", f"started:{p.id}", {}, p.actor)
        return p

    async def start(self, principal: Principal, payable: Payable, provider: str) -> Started:
        """Open an online payment of ``payable`` and ask the provider for its QR."""
        client = self.provider(provider)
        p = await self._open(principal, payable, provider)
        request = PaymentRequest(
            p.out_trade_no, p.amount, p.currency, payable.description, rfc3339(p.expires_at)
        )
        code_url = await client.create(request)  # outside any transaction: a network call
        async with self.ctx.db.write() as tx:
            await store.append(tx, p, "code_issued", 0, code_url, f"code:{p.id}",
                               {"code_url": code_url}, p.actor)  # fmt: skip
        return Started(p, code_url)

    async def start_transfer(
        self, principal: Principal, payable: Payable, receipt: Receipt
    ) -> Started:
        """Record an offline transfer with its receipt, for finance to confirm."""
        if receipt.content_type not in RECEIPT_TYPES or not 0 < len(receipt.data) <= MAX_RECEIPT:
            raise ReceiptInvalid("a receipt is a PNG, JPEG or PDF of at most 5 MB")
        p = await self._open(principal, payable, OFFLINE)
        async with self.ctx.db.write() as tx:
            rid = await store.add_receipt(
                tx, p, receipt.content_type, receipt.filename[:200], receipt.data
            )
            await store.append(tx, p, "receipt", 0, str(rid), f"receipt:{rid}", {}, p.actor)
        return Started(p, "")

    # -- settling -------------------------------------------------------------------------
    async def settle(self, notice: Notice, via: str) -> str:
        """Record the provider's word on a payment: ``captured``, ``duplicate``,
        ``mismatch`` (recorded as ``capture_failed``) or ``pending`` (not paid yet).
        ``payment_not_found`` for an unknown ``out_trade_no`` (nothing stored)."""
        order_id = await self._warm_payment(trade_no=notice.out_trade_no)
        async with self.orders.hold(order_id), self.ctx.db.write() as tx:
            p = await store.payment_by_trade_no(tx, notice.out_trade_no)
            if p is None:
                raise PaymentNotFound(f"no payment {notice.out_trade_no!r}")
            await store.lock_order(tx, p.order_id)
            if await store.by_dedupe(tx, f"captured:{p.id}") is not None:
                return "duplicate"
            if not notice.paid:
                return "pending"
            if (notice.amount, notice.currency) != (p.amount, p.currency):
                key = f"mismatch:{p.id}:{notice.transaction_id}:{notice.amount}"
                if await store.by_dedupe(tx, key) is None:
                    details = {"expected": p.amount, "via": via}
                    await store.append(tx, p, "capture_failed", notice.amount,
                                       notice.transaction_id, key, details, "provider")  # fmt: skip
                log.warning("payment %s: provider says %s, order wants %s",
                            p.out_trade_no, notice.amount, p.amount)  # fmt: skip
                return "mismatch"
            e = await store.append(tx, p, "captured", p.amount, notice.transaction_id,
                                   f"captured:{p.id}", {"via": via}, "provider")  # fmt: skip
            await self._changed(tx, p, e)
        return "captured"

    async def notify(self, provider: str, headers: dict[str, str], body: bytes) -> Answer:
        """A provider's notification, answered in its format; never raises. A bad
        signature or an unknown payment is refused (the provider retries or gives up)."""
        client = self.providers.get(provider)
        if client is None:
            return Answer(404, "text/plain", b"fail")
        try:
            notice = client.parse_notify(headers, body)
            await self.settle(notice, "notify")
        except NotifyRefused as e:
            log.warning("refused a %s notification: %s", provider, e)
            return client.answer(False, e.code, "signature or format")
        except PaymentNotFound as e:
            log.warning("a %s notification for an unknown payment: %s", provider, e)
            return client.answer(False, e.code, "unknown out_trade_no")
        return client.answer(True)

    async def check(self, payment_id: int, principal: Principal | None = None) -> str:
        """Ask the provider about one online payment (the payer's return to the page,
        or the poller) and record the answer as :meth:`settle` does."""
        async with self.ctx.db.read() as tx:
            p = await store.payment(tx, payment_id)
        if p is None:
            raise PaymentNotFound(f"no payment {payment_id}")
        if principal is not None:
            org = await self.ctx.org(p.org_id)
            self.ctx.require(principal, ORDERS_PLACE, brand_id=p.brand_id, org=org)
        if p.provider == OFFLINE:
            raise NotTransfer("an offline transfer is confirmed by finance")
        notice = await self.provider(p.provider).query(p.out_trade_no)
        if notice is None:
            return "pending"
        return await self.settle(notice, "query")

    async def poll(self, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
        """Query the provider about every open online payment not yet expired (for
        payments whose notification never came). Counts of outcomes."""
        async with self.ctx.db.read() as tx:
            todo = await store.open_online(tx, now or dt.datetime.now(dt.UTC), limit)
        counts: dict[str, int] = {}
        for p in todo:
            try:
                outcome = await self.check(p.id)
            except ProviderError as e:
                log.warning("poll %s: %s", p.out_trade_no, e)
                outcome = "error"
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    # -- offline transfers ----------------------------------------------------------------
    async def _transfer(self, tx: Tx, principal: Principal, payment_id: int) -> Payment:
        p = await store.payment(tx, payment_id)
        if p is None:
            raise PaymentNotFound(f"no payment {payment_id}")
        self.ctx.require(principal, PAYMENTS_CONFIRM, brand_id=p.brand_id)
        if p.provider != OFFLINE:
            raise NotTransfer("only offline transfers are confirmed by hand")
        await store.lock_order(tx, p.order_id)
        for key in (f"captured:{p.id}", f"rejected:{p.id}"):
            if await store.by_dedupe(tx, key) is not None:
                raise PaymentClosed(f"payment {p.id} is settled already")
        return p

    async def confirm_transfer(
        self, principal: Principal, payment_id: int, bank_reference: str
    ) -> PaymentSummary:
        """Finance saw the money on the bank statement under ``bank_reference``."""
        ref = bank_reference.strip()
        if not 0 < len(ref) <= 100:
            raise RefundInvalid("a bank reference is 1 to 100 characters")
        order_id = await self._warm_payment(payment_id=payment_id)
        async with self.orders.hold(order_id), self.ctx.db.write() as tx:
            p = await self._transfer(tx, principal, payment_id)
            e = await store.append(tx, p, "captured", p.amount, ref, f"captured:{p.id}",
                                   {"via": "bank"}, _actor(principal))  # fmt: skip
            return await self._changed(tx, p, e)

    async def reject_transfer(self, principal: Principal, payment_id: int, reason: str) -> None:
        """Finance found no such money: the transfer is closed with ``reason``."""
        why = reason.strip()
        if not 0 < len(why) <= 500:
            raise RefundInvalid("a reason is 1 to 500 characters")
        order_id = await self._warm_payment(payment_id=payment_id)
        async with self.orders.hold(order_id), self.ctx.db.write() as tx:
            p = await self._transfer(tx, principal, payment_id)
            await store.append(tx, p, "rejected", 0, "", f"rejected:{p.id}",
                               {"reason": why}, _actor(principal))  # fmt: skip

    # -- refunds --------------------------------------------------------------------------
    async def refund(self, principal: Principal, order_id: int, ask: RefundAsk) -> Event:
        """Refund ``ask.amount`` of an order's payments (see the module docstring).
        The same ``out_refund_no`` again returns the first refund's outcome."""
        _check_ask(ask)
        if self.warm is not None:
            await self.warm(order_id)
        p, request, done = await self._reserve(principal, order_id, ask)
        if done is not None:
            return done
        try:
            outcome = await self.provider(p.provider).refund(request)
        except ProviderError:
            async with self._write(order_id) as tx:
                key = f"refund_failed:{order_id}:{ask.out_refund_no}"
                if await store.by_dedupe(tx, key) is None:
                    await store.append(tx, p, "refund_failed", request.refund,
                                       ask.out_refund_no, key, {}, "provider")  # fmt: skip
            raise
        if not outcome.done:  # the provider is still processing: asked, kept reserved;
            # the same refund number asked again re-asks the provider (idempotent there)
            async with self.ctx.db.read() as tx:
                asked = await store.by_dedupe(tx, f"refund:{order_id}:{ask.out_refund_no}")
            assert asked is not None
            return asked
        return await self._record_refund(p, request, outcome.refund_id, _actor(principal))

    async def _reserve(
        self, principal: Principal, order_id: int, ask: RefundAsk
    ) -> tuple[Payment, RefundRequest, Event | None]:
        async with self._write(order_id) as tx:
            entries = await store.events_of_order(tx, order_id)
            payments = {p.id: p for p in await store.payments_of_order(tx, order_id)}
            if not payments:
                raise PaymentNotFound(f"order {order_id} has no payments")
            first = next(iter(payments.values()))
            self.ctx.require(principal, PAYMENTS_CONFIRM, brand_id=first.brand_id)
            asked = await store.by_dedupe(tx, f"refund:{order_id}:{ask.out_refund_no}")
            if asked is not None:
                p = payments[asked.payment_id]
                done = await store.by_dedupe(tx, f"refunded:{order_id}:{ask.out_refund_no}")
                return p, _request(p, asked.amount, ask), done or _failed(entries, asked)
            p = _payment_for(payments, entries, ask.amount)
            await store.append(tx, p, "refund_requested", ask.amount, ask.out_refund_no,
                               f"refund:{order_id}:{ask.out_refund_no}",
                               {"reason": ask.reason}, _actor(principal))  # fmt: skip
            if p.provider != OFFLINE:
                return p, _request(p, ask.amount, ask), None
            e = await store.append(tx, p, "refunded", ask.amount, ask.out_refund_no,
                                   f"refunded:{order_id}:{ask.out_refund_no}",
                                   {"credit_note": True}, _actor(principal))  # fmt: skip
            await self._changed(tx, p, e)
            return p, _request(p, ask.amount, ask), e

    async def _record_refund(
        self, p: Payment, request: RefundRequest, refund_id: str, actor: str
    ) -> Event:
        async with self._write(p.order_id) as tx:
            key = f"refunded:{p.order_id}:{request.out_refund_no}"
            found = await store.by_dedupe(tx, key)
            if found is not None:
                return found
            e = await store.append(tx, p, "refunded", request.refund, request.out_refund_no,
                                   key, {"refund_id": refund_id}, actor)  # fmt: skip
            await self._changed(tx, p, e)
            return e

    async def _warm_payment(self, *, payment_id: int | None = None,
                            trade_no: str | None = None) -> int | None:  # fmt: skip
        """:attr:`warm` the order of a payment (by id or trade number), if known; the
        order's id (None for an unknown payment: the write then refuses it)."""
        async with self.ctx.db.read() as tx:
            p = (await store.payment(tx, payment_id) if payment_id is not None
                 else await store.payment_by_trade_no(tx, trade_no or ""))  # fmt: skip
        if p is None:
            return None
        if self.warm is not None:
            await self.warm(p.order_id)
        return p.order_id

    # -- reading --------------------------------------------------------------------------
    async def summary(self, order_id: int, due: int, currency: str) -> PaymentSummary:
        async with self.ctx.db.read() as tx:
            return summary_of(due, currency, await store.events_of_order(tx, order_id))

    async def history(self, principal: Principal, order_id: int) -> list[Event]:
        """An order's payment ledger, for its payer's org and finance."""
        async with self.ctx.db.read() as tx:
            payments = await store.payments_of_order(tx, order_id)
            if not payments:
                return []
            await self._may_see(principal, payments[0])
            return await store.events_of_order(tx, order_id)

    async def get(self, principal: Principal, payment_id: int) -> tuple[Payment, list[Event]]:
        async with self.ctx.db.read() as tx:
            p = await store.payment(tx, payment_id)
            if p is None:
                raise PaymentNotFound(f"no payment {payment_id}")
            await self._may_see(principal, p)
            return p, await store.events_of_payment(tx, p.id)

    async def payments(
        self, principal: Principal, brand_id: int, after: int | None = None, limit: int = 50
    ) -> list[Payment]:
        """A brand's payments: all of them for finance, the caller's subtree's for a dealer."""
        org_ids: list[int] | None = None
        if not self.ctx.allowed(principal, PAYMENTS_CONFIRM):
            self.ctx.require(principal, ORDERS_PLACE, brand_id=brand_id)
            root = principal.org.id if principal.org is not None else None
            org_ids = [o.id for o in await self.ctx.org_tree(principal, root)]
        else:
            self.ctx.require(principal, PAYMENTS_CONFIRM, brand_id=brand_id)
        async with self.ctx.db.read() as tx:
            return await store.list_payments(tx, brand_id, org_ids, after, limit)

    async def transfers(self, principal: Principal, brand_id: int) -> list[Payment]:
        """Offline transfers waiting for finance (neither confirmed nor rejected)."""
        self.ctx.require(principal, PAYMENTS_CONFIRM, brand_id=brand_id)
        async with self.ctx.db.read() as tx:
            out = []
            for p in await store.list_payments(tx, brand_id, None, None, 1000):
                kinds = {e.kind for e in await store.events_of_payment(tx, p.id)}
                if p.provider == OFFLINE and not kinds & {"captured", "rejected"}:
                    out.append(p)
            return out

    async def receipt(self, principal: Principal, receipt_id: int) -> Receipt:
        """A transfer receipt, for its payer's org and finance (each view logged)."""
        async with self.ctx.db.read() as tx:
            found = await store.receipt(tx, receipt_id)
            p = None if found is None else await store.payment(tx, found[0])
        if found is None or p is None:
            raise PaymentNotFound(f"no receipt {receipt_id}")
        await self._may_see(principal, p)
        log.info("receipt %s of payment %s viewed by %s", receipt_id, p.id, _actor(principal))
        return Receipt(found[1], found[2], found[3])

    async def _may_see(self, principal: Principal, p: Payment) -> None:
        if self.ctx.allowed(principal, PAYMENTS_CONFIRM):
            self.ctx.require(principal, PAYMENTS_CONFIRM, brand_id=p.brand_id)
        else:
            org = await self.ctx.org(p.org_id)
            self.ctx.require(principal, ORDERS_PLACE, brand_id=p.brand_id, org=org)

    async def _changed(self, tx: Tx, p: Payment, e: Event) -> PaymentSummary:
        """The order's new summary, told to every listener, then published (last)."""
        payments = await store.payments_of_order(tx, p.order_id)
        due = payments[-1].amount
        summary = summary_of(due, p.currency, await store.events_of_order(tx, p.order_id))
        for listener in self.listeners:
            await listener(tx, p.order_id, summary)
        payload = {"order_id": p.order_id, "kind": e.kind, "amount": e.amount,
                   "status": str(summary.status)}  # fmt: skip
        await self.ctx.publish(tx, "commerce.payment", p.brand_id, e.id, payload)
        return summary


def _check_ask(ask: RefundAsk) -> None:
    no = ask.out_refund_no
    if not (0 < len(no) <= 64 and no.isascii() and no.replace("-", "").replace("_", "").isalnum()):
        raise RefundInvalid("a refund number is 1 to 64 letters, digits, - or _")
    if isinstance(ask.amount, bool) or not isinstance(ask.amount, int) or ask.amount <= 0:
        raise RefundInvalid("a refund is a positive number of minor units")


def _request(p: Payment, amount: int, ask: RefundAsk) -> RefundRequest:
    return RefundRequest(p.out_trade_no, ask.out_refund_no, amount, p.amount, p.currency,
                         ask.reason)  # fmt: skip


def _failed(entries: list[Event], asked: Event) -> Event | None:
    """The failure of an earlier request with the same number (asked again: answered
    with that failure, not tried twice)."""
    for e in entries:
        if e.kind == "refund_failed" and e.reference == asked.reference:
            return e
    return None


def _payment_for(payments: dict[int, Payment], entries: list[Event], amount: int) -> Payment:
    """The first captured payment that can take a refund of ``amount``."""
    if totals(entries).refundable < amount:
        raise RefundTooLarge(f"at most {totals(entries).refundable} may be refunded")
    for pid, p in payments.items():
        if totals(e for e in entries if e.payment_id == pid).refundable >= amount:
            return p
    raise RefundTooLarge("no single payment covers this refund: refund in parts")
