"""How an inspected return ends: a refund, a credit note, a replacement order, or
nothing.

Contracts (brand reviewers, ``orders.review``; refunds also ``payments.confirm``, which
the payments service checks):

- only units that passed inspection (``restocked``) are paid for or replaced; rejected
  units are negotiated on the thread and scrapped or sent back (:mod:`.returns_goods`);
- :meth:`Resolution.refund`: the value of the restocked units (:func:`value_units`:
  what the dealer paid per unit, split so that every unit of the order, returned in any
  number of requests, adds up to exactly what was paid) refunded through the provider
  of the original payment, or as a credit note for an offline transfer, by
  :meth:`PaymentService.refund` with the return number as the refund request number:
  asked twice (two clicks, two processes) it is one refund, never more than was paid
  less what was refunded. A provider still processing leaves ``refund_pending``; asking
  again completes it;
- :meth:`exchange`: a replacement order for the restocked units at the original prices
  (no promotion re-evaluation), linked to the request, fulfilled like any order;
  idempotent by the return number;
- :meth:`settle`: nothing passed inspection: completed with no money and no goods.
"""

from __future__ import annotations

from dataclasses import dataclass

from veriseal import Principal
from veriseal.extend import PluginContext
from veriseal_commerce import returns_store as store
from veriseal_commerce.orders import actor_of
from veriseal_commerce.payments import PaymentService, RefundAsk
from veriseal_commerce.returns import ReturnService, Step, text
from veriseal_commerce.returns_errors import ReturnNotRefundable
from veriseal_commerce.returns_policy import Valuation, paid_by_product, value_units
from veriseal_commerce.returns_states import ReturnAction, ReturnStatus, UnitStatus, next_status
from veriseal_commerce.returns_store import ReturnRequest


@dataclass
class Resolution:
    """Refunds and exchanges of returns (see the module docstring)."""

    ctx: PluginContext
    returns: ReturnService
    payments: PaymentService

    async def valuation(self, request: ReturnRequest) -> Valuation:
        """What the request's restocked units are worth (see the module docstring)."""
        order = await self.returns.order_of(request)
        async with self.ctx.db.read() as tx:
            before = await store.restocked_of_order(tx, request.order_id, request.id)
        paid = paid_by_product((ln.gtin, ln.quantity, ln.amount) for ln in order.lines)
        return value_units(paid, before, request.count(UnitStatus.RESTOCKED))

    async def refund(self, principal: Principal, return_no: str, note: str = "") -> ReturnRequest:
        request = await self.returns.reviewable(principal, return_no)
        next_status(ReturnStatus(request.status), ReturnAction.REFUND)  # fail early
        value = await self.valuation(request)
        if value.total <= 0:
            raise ReturnNotRefundable(
                "no unit passed inspection, or it was free: settle instead / 无可退款金额",
                return_no=return_no,
            )
        why = text(note, "note", 200) or f"return {request.return_no}"
        event = await self.payments.refund(
            principal, request.order_id, RefundAsk(request.return_no, value.total, why)
        )
        done = event.kind == "refunded"
        action = ReturnAction.REFUND if done else ReturnAction.REFUND_ASKED
        data = {
            "amount": event.amount,
            "credit_note": bool(event.details.get("credit_note")),
            "lines": {v.gtin: [v.units, v.value] for v in value.lines},
        }
        row = {"refunded": event.amount} if done else {}
        return await self._finish(request, Step(action, actor_of(principal), why, data, row))

    async def exchange(self, principal: Principal, return_no: str) -> ReturnRequest:
        request = await self.returns.reviewable(principal, return_no)
        next_status(ReturnStatus(request.status), ReturnAction.EXCHANGE)  # fail early
        units = request.count(UnitStatus.RESTOCKED)
        if not units:
            raise ReturnNotRefundable(
                "no unit passed inspection: nothing to replace / 无合格退回商品可换",
                return_no=return_no,
            )
        order = await self.returns.orders.replace(
            principal, request.order_no, request.return_no, sorted(units.items())
        )
        step = Step(
            ReturnAction.EXCHANGE,
            actor_of(principal),
            order.order_no,
            {"replacement_no": order.order_no, "units": units},
            {"replacement_no": order.order_no},
        )
        return await self._finish(request, step)

    async def settle(self, principal: Principal, return_no: str, note: str) -> ReturnRequest:
        request = await self.returns.reviewable(principal, return_no)
        if request.count(UnitStatus.RESTOCKED):
            raise ReturnNotRefundable(
                "units passed inspection: refund or exchange them / 有合格退回商品，请退款或换货"
            )
        step = Step(ReturnAction.SETTLE, actor_of(principal), text(note, "note", required=True))
        return await self._finish(request, step)

    async def _finish(self, request: ReturnRequest, step: Step) -> ReturnRequest:
        """Record the outcome once: a second caller that finds it recorded returns it."""
        recipients = await self.returns.recipients(request.org_id, request.brand_id)
        async with self.ctx.db.write() as tx:
            current = await store.get(tx, request.id, lock=True)
            if current.status == ReturnStatus.COMPLETED:
                return current
            if (
                current.status == ReturnStatus.REFUND_PENDING
                and step.action is ReturnAction.REFUND_ASKED
            ):
                return current
            await self.returns.move(tx, current, step, recipients)
            return await store.get(tx, current.id)
