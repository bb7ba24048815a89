"""The contract between orders and payments: what is to be paid, and what was.

Orders hand payments a :class:`Payable` (an order's amount due and who pays it);
payments keep an append-only ledger of what happened and compute a
:class:`PaymentSummary` from it. After every event that changes the summary, payments
call each registered :class:`PaymentListener` inside the SAME transaction, so an order's
state and its payment ledger never disagree after a commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from veriseal.extend import Tx


class PaymentStatus(StrEnum):
    """An order's payment axis, computed from its payment ledger (never set by hand)."""

    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVER_PAID = "over_paid"  # more arrived than was due: finance refunds the excess
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class Payable:
    """One order's claim for payment."""

    order_id: int
    order_no: str  # the merchant's order number shown to people (≤ 32 characters)
    brand_id: int
    org_id: int  # the paying dealer's organisation
    amount: int  # due, in minor units of ``currency``
    currency: str
    description: str  # what the provider shows the payer (the brand and order number)
    expires_at: dt.datetime  # unpaid after this, the order expires


@dataclass(frozen=True)
class PaymentSummary:
    """What an order's payment ledger adds up to."""

    status: PaymentStatus
    due: int
    paid: int  # confirmed money in
    refunded: int  # confirmed money out
    currency: str

    @property
    def outstanding(self) -> int:
        """Still to pay (0 once paid; never negative)."""
        return max(0, self.due - self.paid)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "due": self.due,
            "paid": self.paid,
            "refunded": self.refunded,
            "outstanding": self.outstanding,
            "currency": self.currency,
        }


def summarize(due: int, paid: int, refunded: int, currency: str) -> PaymentSummary:
    """The status of an order owed ``due`` that received ``paid`` and gave back
    ``refunded`` (all minor units): refunds first, then how much arrived. An order that
    owes nothing (``due <= 0``, a replacement order's exchange) is paid with nothing paid."""
    if refunded > 0:
        status = PaymentStatus.REFUNDED if refunded >= paid else PaymentStatus.PARTIALLY_REFUNDED
    elif paid == 0 and due <= 0:
        status = PaymentStatus.PAID
    elif paid == 0:
        status = PaymentStatus.UNPAID
    elif paid < due:
        status = PaymentStatus.PARTIALLY_PAID
    elif paid == due:
        status = PaymentStatus.PAID
    else:
        status = PaymentStatus.OVER_PAID
    return PaymentSummary(status, due, paid, refunded, currency)


class PaymentListener(Protocol):
    """Called by payments inside the transaction that recorded a change of ``order_id``'s
    payment ledger (the orders service registers one to move the order along)."""

    async def __call__(self, tx: Tx, order_id: int, summary: PaymentSummary) -> None: ...
