"""The order service: dealers' orders from draft to closed (see :mod:`.order_states`).

Contracts:

- every status change goes through :meth:`OrderService.move`, in ONE transaction: the
  row changes under its version, an event is appended to the order's timeline, the
  dealer's users and the brand's reviewers get an ``order_status`` message, usage of
  promotions is given back when the order ends unfulfilled, and a ``commerce.order``
  stream event is published as the transaction's last statement;
- access: dealers place, cancel, pay and talk on their OWN organisation's orders
  (``orders.place``); a distributor reads its subtree's orders, read-only; siblings
  never see each other's; brand staff review (``orders.review``);
- prices come from the one pricing engine (:mod:`.order_pricing`); lines keep them as
  plain values;
- a submission checks the dealer's real-name verification, its status, every line's
  territory and stock (:mod:`.order_checks`) and sets the payment deadline;
- payments report through :meth:`OrderService.on_payment` (a
  :class:`~veriseal_commerce.payable.PaymentListener`): the order caches the payment
  status; a submitted order whose payment becomes paid awaits review; a fulfilled
  and delivered order that becomes paid closes.
"""

from __future__ import annotations

import builtins
import datetime as dt
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from veriseal import SYSTEM_PRINCIPAL, Brand, InvalidInput, Principal, Role, register_messages
from veriseal.extend import PluginContext, Tx
from veriseal_commerce import order_checks
from veriseal_commerce import orders_store as store
from veriseal_commerce.order_pricing import NoPricer, Pricer
from veriseal_commerce.order_states import (
    RELEASES_USAGE,
    OrderAction,
    OrderStatus,
    entry_status,
    fulfilment_status,
    next_status,
)
from veriseal_commerce.orders_store import Change, Order, OrderEvent, OrderMessage
from veriseal_commerce.payable import Payable, PaymentStatus, PaymentSummary
from veriseal_commerce.permissions import (
    ORDER_STATUS,
    ORDERS_FULFIL,
    ORDERS_PLACE,
    ORDERS_REVIEW,
)

register_messages(
    {
        "error.order_invalid": ("Invalid order", "订单无效"),
        "error.order_not_payable": ("This order cannot be paid now", "此订单当前不能付款"),
    }
)

#: How long a submitted order waits for its payment before it expires (configurable:
#: ``[plugins.commerce] pay_within_hours``).
#: How long the recipients of an order's notices are remembered (a user added to a
#: dealer meanwhile gets its orders' notices at most this much later).
RECIPIENTS_TTL = 60.0
PAY_WITHIN = dt.timedelta(hours=72)
MAX_LINES = 200
MAX_QUANTITY = 1_000_000
PAYABLE = frozenset({"submitted", "awaiting_review", "approved", "partially_fulfilled",
                     "fulfilled"})  # fmt: skip
_BRAND_STAFF = frozenset({Role.PLATFORM_ADMIN, Role.BRAND_ADMIN})
_DEALERS = frozenset({Role.DISTRIBUTOR, Role.RETAILER})


class OrderInvalid(InvalidInput):
    code = "order_invalid"


class OrderNotPayable(InvalidInput):
    code = "order_not_payable"
    http_status = 409


@dataclass(frozen=True)
class OrderRequest:
    """What a dealer orders: (GTIN, quantity) lines, where it goes."""

    lines: Sequence[tuple[str, int]]
    region: str
    address: str


@dataclass(frozen=True)
class OrderQuery:
    """Which orders a listing shows: a status, one dealer org, a creation period
    (``since`` inclusive, ``until`` exclusive), and keyset paging (older than
    ``after_id``)."""

    status: str | None = None
    org_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    after_id: int | None = None
    limit: int = 100


@dataclass(frozen=True)
class OrderView:
    """An order with its timeline and message thread (what the detail page shows)."""

    order: Order
    events: list[OrderEvent]
    messages: list[OrderMessage]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.order.to_dict(),
            "events": [e.to_dict() for e in self.events],
            "messages": [m.to_dict() for m in self.messages],
        }


@dataclass(frozen=True)
class Move:
    """One status change: the action, who, a note, and extra row changes."""

    action: OrderAction | str  # a str: a change that is not a transition ("payment")
    actor: str
    note: str = ""
    change: Change = field(default_factory=Change)
    data: dict[str, Any] = field(default_factory=dict)


def actor_of(principal: Principal) -> str:
    """How the timeline names who acted."""
    return "system" if principal.user is None else f"user:{principal.user.id}"


def validate(request: OrderRequest) -> list[tuple[str, int]]:
    """The request's lines merged by GTIN; ``order_invalid`` for no lines, too many, a
    quantity that is not a positive whole number, an empty region or address."""
    if not request.lines or len(request.lines) > MAX_LINES:
        raise OrderInvalid(f"an order has 1 to {MAX_LINES} lines")
    merged: dict[str, int] = {}
    for gtin, qty in request.lines:
        if isinstance(qty, bool) or not isinstance(qty, int) or not 0 < qty <= MAX_QUANTITY:
            raise OrderInvalid(f"quantity of {gtin}: a whole number 1..{MAX_QUANTITY}")
        merged[gtin] = merged.get(gtin, 0) + qty
    if not request.region.strip() or not request.address.strip():
        raise OrderInvalid("a delivery region and address are required")
    if max(merged.values()) > MAX_QUANTITY:
        raise OrderInvalid(f"quantity: at most {MAX_QUANTITY} per product")
    return list(merged.items())


class OrderService:
    """Dealers' orders (see the module docstring)."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        self.pricer: Pricer = NoPricer()
        hours = ctx.config.get("pay_within_hours")
        self.pay_within = dt.timedelta(hours=float(hours)) if hours else PAY_WITHIN
        #: (org, brand) -> (looked up at, user ids): see :meth:`recipients_of`
        self._recipients: dict[tuple[int, int], tuple[float, list[int]]] = {}

    # -- access --------------------------------------------------------------------
    async def _readable(self, principal: Principal, order: Order) -> None:
        """Brand staff (reviewers, the factory's shippers) of the order's brand, or a
        dealer over the order's org subtree."""
        if principal.role not in _DEALERS:
            action = ORDERS_REVIEW if self.ctx.allowed(principal, ORDERS_REVIEW) else ORDERS_FULFIL
            self.ctx.require(principal, action, brand_id=order.brand_id)
            return
        self.ctx.require(principal, ORDERS_PLACE, org=await self.ctx.org(order.org_id))

    def _own(self, principal: Principal, order: Order) -> None:
        """The dealer acting for the order's own organisation (never a parent's)."""
        if principal.org is None or principal.org.id != order.org_id:
            from veriseal import Forbidden  # noqa: PLC0415

            raise Forbidden("only the ordering dealer's own users may do this")
        self.ctx.require(principal, ORDERS_PLACE, org=principal.org)

    async def load(self, principal: Principal, order_no: str) -> Order:
        """The order if ``principal`` may read it (``order_not_found`` / ``forbidden``)."""
        async with self.ctx.db.read() as tx:
            order = await store.get(tx, await store.id_of(tx, order_no))
        await self._readable(principal, order)
        return order

    async def view(self, principal: Principal, order_no: str) -> OrderView:
        order = await self.load(principal, order_no)
        async with self.ctx.db.read() as tx:
            return OrderView(order, await store.events(tx, order.id),
                             await store.messages(tx, order.id))  # fmt: skip

    # -- the dealer's side -----------------------------------------------------------
    async def create(self, principal: Principal, brand: Brand, request: OrderRequest) -> Order:
        """A priced draft for the principal's own organisation."""
        self.ctx.require(principal, ORDERS_PLACE)  # the role first: a 403, whatever the input
        org = principal.org
        if org is None or org.brand_id != brand.id:
            raise OrderInvalid("orders are placed by a dealer of the brand")
        lines = validate(request)
        for gtin, _ in lines:
            await self.ctx.product(brand, gtin)  # product_not_found for unknown GTINs
        now = dt.datetime.now(dt.UTC)
        first = entry_status(OrderAction.CREATE)
        ready = await self.pricer.prepare(brand, org.id)  # not inside the write transaction
        async with self.ctx.db.write() as tx:
            priced = await self.pricer.price(tx, brand, (org.id, request.region.strip()), lines,
                                             ready)  # fmt: skip
            new = store.NewOrder(brand.id, org.id, new_order_no(now), priced.currency,
                                 priced.total, request.region.strip(),
                                 request.address.strip(), actor_of(principal), now)  # fmt: skip
            order_id = await store.insert(tx, new)
            await store.replace_lines(tx, order_id, priced.lines)
            await store.append_event(
                tx, order_id, OrderEvent(1, str(OrderAction.CREATE), str(first), str(first),
                                         new.created_by, "",
                                         {"total": priced.total}, now),
            )  # fmt: skip
            await self.ctx.publish(tx, "commerce.order", brand.id, order_id,
                                   {"order_no": new.order_no, "status": "draft"})  # fmt: skip
        return await self.load(principal, new.order_no)

    async def submit(self, principal: Principal, order_no: str) -> Order:
        """Check, re-price, record promotion usage, set the payment deadline; the order
        becomes ``submitted``. Any refusal leaves the draft as it was."""
        order = await self.load(principal, order_no)
        self._own(principal, order)
        next_status(OrderStatus(order.status), OrderAction.SUBMIT)  # fail early
        await self.ctx.require_verified_dealer(await self.ctx.org(order.org_id))
        brand = await self.ctx.brand_by_id(order.brand_id)
        now = dt.datetime.now(dt.UTC)
        pay_by = now + self.pay_within
        sub = order_checks.Submission(
            order.brand_id, order.org_id, order.order_no, order.region,
            [(ln.gtin, ln.name, ln.quantity) for ln in order.lines if not ln.gift], pay_by,
        )  # fmt: skip
        outcome = await order_checks.check(self.ctx, sub)
        recipients = await self.recipients_of(order)
        ready = await self.pricer.prepare(brand, order.org_id)  # not inside the write
        async with self.ctx.db.write() as tx:
            current = await store.get(tx, order.id, lock=True)
            requested = [(g, q) for g, _, q in sub.lines]
            priced = await self.pricer.price(tx, brand, (order.org_id, order.region), requested,
                                             ready)  # fmt: skip
            await store.replace_lines(tx, order.id, priced.lines)
            await self.pricer.record(tx, order.brand_id, priced, order.id, order.org_id)
            change = Change(territory_check=outcome.territory, total=priced.total,
                            availability_check=outcome.availability, pay_by=pay_by,
                            currency=priced.currency)  # fmt: skip
            data = {"territory": outcome.territory, "availability": outcome.availability,
                    "total": priced.total}  # fmt: skip
            await self.move(tx, current, Move(OrderAction.SUBMIT, actor_of(principal),
                                              change=change, data=data), recipients)  # fmt: skip
        return await self.load(principal, order_no)

    async def cancel(self, principal: Principal, order_no: str, reason: str = "") -> Order:
        """The dealer withdraws its order before approval."""
        order = await self.load(principal, order_no)
        self._own(principal, order)
        return await self._act(order, Move(OrderAction.CANCEL, actor_of(principal), reason))

    # -- the brand's side ------------------------------------------------------------
    async def _reviewable(self, principal: Principal, order_no: str) -> Order:
        order = await self.load(principal, order_no)
        self.ctx.require(principal, ORDERS_REVIEW, brand_id=order.brand_id)
        return order

    async def approve(self, principal: Principal, order_no: str, note: str = "") -> Order:
        order = await self._reviewable(principal, order_no)
        return await self._act(order, Move(OrderAction.APPROVE, actor_of(principal), note))

    async def reject(self, principal: Principal, order_no: str, reason: str) -> Order:
        """Refuse the order; ``reason`` is required and told to the dealer."""
        if not reason.strip():
            raise OrderInvalid("a rejection states its reason")
        order = await self._reviewable(principal, order_no)
        return await self._act(order, Move(OrderAction.REJECT, actor_of(principal), reason))

    async def replace(self, principal: Principal, order_no: str, return_no: str,
                      lines: Sequence[tuple[str, int]]) -> Order:  # fmt: skip
        """A replacement order exchanging the returned goods ``lines`` (GTIN, quantity) of
        ``order_no`` under the return ``return_no``: for the same dealer and address, at
        the original's net unit prices with an equal exchange credit (nothing due, paid),
        approved, its stock reserved (``stock_insufficient``: nothing created), shipped
        by scanning like any order. Brand reviewers only (``orders.review``). Calling
        again with the same ``return_no`` returns the same order. See
        :mod:`.replacements`."""
        from veriseal_commerce.replacements import replace  # noqa: PLC0415 (builds on this)

        return await replace(self, principal, order_no, return_no, lines)

    # -- messages ------------------------------------------------------------------
    async def post(self, principal: Principal, order_no: str, body: str) -> OrderMessage:
        """A message on the order's thread: a reviewer asks, the dealer answers (or the
        other way round); the other side is notified."""
        text = body.strip()
        if not text or len(text) > 4000:
            raise OrderInvalid("a message has 1 to 4000 characters")
        order = await self.load(principal, order_no)
        if principal.role in _BRAND_STAFF:
            self.ctx.require(principal, ORDERS_REVIEW, brand_id=order.brand_id)
            side = "brand"
        else:
            self._own(principal, order)
            side = "dealer"
        message = OrderMessage(side, actor_of(principal), text, dt.datetime.now(dt.UTC))
        recipients = await self.recipients_of(order)
        async with self.ctx.db.write() as tx:
            await store.add_message(tx, order.id, message)
            await self.ctx.notify(
                recipients, ORDER_STATUS,
                f"订单 {order.order_no} 有新留言 / New message on order {order.order_no}",
                text, {"order_no": order.order_no, "side": side}, tx=tx,
            )  # fmt: skip
        return message

    # -- payments --------------------------------------------------------------------
    async def payable(self, principal: Principal, order_no: str) -> Payable:
        """What is to be paid for the order (the paying dealer, or brand staff);
        ``order_not_payable`` for drafts and orders that ended unfulfilled."""
        order = await self.load(principal, order_no)
        if order.status not in PAYABLE or order.pay_by is None:
            raise OrderNotPayable(f"order {order_no} is {order.status}")
        brand = await self.ctx.brand_by_id(order.brand_id)
        return Payable(order.id, order.order_no, order.brand_id, order.org_id, order.total,
                       order.currency, f"{brand.name} {order.order_no}", order.pay_by)  # fmt: skip

    async def on_payment(self, tx: Tx, order_id: int, summary: PaymentSummary) -> None:
        """The :class:`PaymentListener`: cache the payment status; a submitted order that
        is now paid awaits review; a delivered fulfilled order that is now paid closes.
        Runs inside payments' transaction (so the two never disagree after a commit)."""
        order = await store.get(tx, order_id, lock=True)
        change = Change(payment_status=str(summary.status), paid=summary.paid)
        paid = summary.status in (PaymentStatus.PAID, PaymentStatus.OVER_PAID)
        recipients = await self.recipients_of(order)
        if paid and order.status == OrderStatus.SUBMITTED:
            await self.move(tx, order, Move(OrderAction.PAY, "payments", change=change,
                                            data=summary.to_dict()), recipients)  # fmt: skip
        elif paid and _closable(order):
            await self.move(tx, order, Move(OrderAction.CLOSE, "payments", change=change,
                                            data=summary.to_dict()), recipients)  # fmt: skip
        elif str(summary.status) != order.payment_status or summary.paid != order.paid:
            await self.record(tx, order, Move("payment", "payments", change=change,
                                              data=summary.to_dict()), recipients)  # fmt: skip

    # -- expiry --------------------------------------------------------------------
    async def expire(self, now: dt.datetime | None = None) -> list[str]:
        """Every submitted order unpaid past its deadline becomes ``expired`` (one
        transaction each; its promotion usage is given back). The order numbers."""
        when = now or dt.datetime.now(dt.UTC)
        async with self.ctx.db.read() as tx:
            due = await store.due_to_expire(tx, when)
        done = []
        for order_id in due:
            async with self.ctx.db.read() as tx:
                order = await store.get(tx, order_id)
            recipients = await self.recipients_of(order)
            async with self.ctx.db.write() as tx:
                current = await store.get(tx, order_id, lock=True)
                if current.status != OrderStatus.SUBMITTED:
                    continue  # paid or cancelled meanwhile
                await self.move(tx, current, Move(OrderAction.EXPIRE, "system"), recipients)
            done.append(order.order_no)
        return done

    # -- the one way an order changes ------------------------------------------------
    async def _act(self, order: Order, move: Move) -> Order:
        next_status(OrderStatus(order.status), OrderAction(move.action))  # fail before writing
        recipients = await self.recipients_of(order)
        async with self.ctx.db.write() as tx:
            current = await store.get(tx, order.id, lock=True)
            await self.move(tx, current, move, recipients)
        async with self.ctx.db.read() as tx:
            return await store.get(tx, order.id)

    async def move(self, tx: Tx, order: Order, move: Move, recipients: Sequence[int]) -> None:
        """Apply one transition of the machine in ``tx`` (see the module docstring):
        ``order_transition`` when the table has no such move. Publishes last."""
        to = next_status(OrderStatus(order.status), OrderAction(move.action))
        change = Change(**{**vars(move.change), "status": str(to)})
        await self.record(tx, order, Move(move.action, move.actor, move.note, change,
                                          move.data), recipients)  # fmt: skip
        if to in RELEASES_USAGE:
            await self.pricer.release(tx, order.id)

    async def record(self, tx: Tx, order: Order, move: Move, recipients: Sequence[int]) -> None:
        """Write a change of the row, its timeline event, the messages and the stream
        event (``move.change.status`` None: the status stays)."""
        now = dt.datetime.now(dt.UTC)
        to = move.change.status or order.status
        await store.update(tx, order, move.change, now)
        event = OrderEvent(0, str(move.action), order.status, to, move.actor, move.note,
                           move.data, now)  # fmt: skip
        await store.append_event(tx, order.id, event)
        title = f"订单 {order.order_no}：{to} / Order {order.order_no}: {to}"
        await self.ctx.notify(recipients, ORDER_STATUS, title, move.note or title,
                              {"order_no": order.order_no, "status": to,
                               "action": str(move.action)}, tx=tx)  # fmt: skip
        await self.ctx.publish(tx, "commerce.order", order.brand_id, order.id,
                               {"order_no": order.order_no, "action": str(move.action),
                                "from": order.status, "to": to})  # fmt: skip

    async def recipients_of(self, order: Order) -> list[int]:
        """The order's notice recipients (see :meth:`recipients`)."""
        return await self.recipients(order.org_id, order.brand_id)

    async def recipients(self, org_id: int, brand_id: int) -> list[int]:
        """The dealer organisation's users and the brand's reviewers (admins), remembered
        for :data:`RECIPIENTS_TTL` seconds: the payment listener runs inside payments'
        write transaction, where a lookup would need a second pooled connection (ten
        concurrent refunds on a pool of ten would wait on each other), so payments
        :meth:`warm` it before their transaction opens. Returns share it."""
        key = (org_id, brand_id)
        now = time.monotonic()
        cached = self._recipients.get(key)
        if cached is not None and now - cached[0] < RECIPIENTS_TTL:
            return list(cached[1])
        users = await self.ctx.users(SYSTEM_PRINCIPAL, org_id)
        found = [u.id for u in users if u.org_id == org_id]
        found += await self.reviewers(brand_id)
        self._recipients[key] = (now, found)
        return list(found)

    async def reviewers(self, brand_id: int) -> list[int]:
        """The brand's admins (its root organisation's brand_admin users)."""
        root = await self.ctx.brand_org(await self.ctx.brand_by_id(brand_id))
        staff = await self.ctx.users(SYSTEM_PRINCIPAL, root.id)
        return [u.id for u in staff if u.org_id == root.id and u.role == Role.BRAND_ADMIN]

    async def warm(self, order_id: int) -> None:
        """Look up the order's recipients now, outside any write transaction (nothing
        for a payable that is not an order)."""
        async with self.ctx.db.read() as tx:
            try:
                order = await store.get(tx, order_id)
            except store.OrderNotFound:
                return
        await self.recipients_of(order)

    async def placed(self, brand_id: int, org_id: int) -> int:
        """How many orders the dealer placed with the brand (submitted and not
        withdrawn, rejected or expired): pricing's "first order" condition."""
        async with self.ctx.db.read() as tx:
            return await store.placed(tx, brand_id, org_id)

    # -- listings ------------------------------------------------------------------
    async def list(self, principal: Principal, brand: Brand, status: str | None = None,
                   limit: int = 100) -> list[Order]:  # fmt: skip
        """Brand staff: the brand's orders; a dealer: its subtree's (siblings never)."""
        return await self.search(principal, brand, OrderQuery(status, limit=limit))

    async def search(
        self, principal: Principal, brand: Brand, q: OrderQuery
    ) -> builtins.list[Order]:
        """:meth:`list` narrowed by ``q`` (newest first; ``q.after_id`` pages on: the
        orders older than that one). A dealer naming an org outside its subtree gets
        nothing, never another's orders."""
        org_ids: tuple[int, ...] | None = None
        if principal.role not in _DEALERS:
            action = ORDERS_REVIEW if self.ctx.allowed(principal, ORDERS_REVIEW) else ORDERS_FULFIL
            self.ctx.require(principal, action, brand_id=brand.id)
        else:
            if principal.org is None:
                raise OrderInvalid("no organisation")
            self.ctx.require(principal, ORDERS_PLACE, org=principal.org)
            tree = await self.ctx.org_tree(principal, principal.org.id)
            org_ids = tuple(o.id for o in tree)
        if q.org_id is not None:
            org_ids = tuple(i for i in (org_ids or (q.org_id,)) if i == q.org_id)
        f = store.Filter(brand.id, org_ids, q.status, q.after_id, q.limit, q.since, q.until)
        async with self.ctx.db.read() as tx:
            return await store.listing(tx, f)


def _closable(order: Order) -> bool:
    ordered = sum(ln.quantity for ln in order.lines)
    shipped = sum(ln.shipped for ln in order.lines)
    delivered = sum(ln.delivered for ln in order.lines)
    return (
        order.status == OrderStatus.FULFILLED
        and fulfilment_status(ordered, shipped, delivered) == "delivered"
    )


def new_order_no(now: dt.datetime) -> str:
    """``SO20261204-1A2B3C4D``: the day and 32 random bits (≤ 32 characters)."""
    return f"SO{now:%Y%m%d}-{secrets.token_hex(4).upper()}"
