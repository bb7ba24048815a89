"""An order's status machine, written as data (the allowed transitions) and nothing else.

Three separate axes live on an order: its **status** (this module), its **payment
status** (computed by payments from their ledger, :mod:`.payable`, cached on the order)
and its **fulfilment status** (from the shipped and delivered quantities,
:func:`fulfilment_status`). Only the status has a machine; the other two are computed.

Contracts:

- :data:`TRANSITIONS` maps ``(status, action)`` to the next status; any pair not in it
  is refused with the coded error ``order_transition`` (nothing written);
- the terminal statuses (:data:`FINAL`) have no way out;
- an order enters the machine through :data:`ENTRIES` (a draft, or an approved
  replacement order);
- ``fulfilled`` means every ordered unit was shipped; ``closed`` means every shipped
  unit was received by the dealer AND the payment status is paid (or over-paid);
- a submitted order waits for its payment: when the payment status becomes paid it
  moves to ``awaiting_review`` (``paid``); a reviewer then approves or rejects it.
"""

from __future__ import annotations

from enum import StrEnum

from veriseal import Conflict, register_messages

register_messages(
    {
        "error.order_transition": (
            "This order cannot do that in its current status",
            "订单当前状态不允许此操作",
        ),
    }
)


class OrderStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    AWAITING_REVIEW = "awaiting_review"
    APPROVED = "approved"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class OrderAction(StrEnum):
    SUBMIT = "submit"  # the dealer sends its draft (checks and prices are fixed then)
    PAY = "paid"  # payments report the order paid
    APPROVE = "approve"  # a reviewer accepts it
    REJECT = "reject"  # a reviewer refuses it, with a reason
    CANCEL = "cancel"  # the dealer withdraws it before approval
    EXPIRE = "expire"  # unpaid past its payment deadline
    SHIP_PART = "ship_part"  # a shipment leaves some units still to ship
    SHIP_ALL = "ship_all"  # a shipment completes the order's units
    CLOSE = "close"  # everything delivered and paid
    CREATE = "create"  # a dealer starts a draft (an entry, not a transition)
    REPLACE = "replace"  # a reviewer exchanges returned goods (an entry, not a transition)


S, A = OrderStatus, OrderAction

#: The whole machine: (from, action) -> to. Oscar's pipeline, as a table.
TRANSITIONS: dict[tuple[OrderStatus, OrderAction], OrderStatus] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.SUBMITTED, A.PAY): S.AWAITING_REVIEW,
    (S.SUBMITTED, A.CANCEL): S.CANCELLED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.SUBMITTED, A.EXPIRE): S.EXPIRED,
    (S.AWAITING_REVIEW, A.APPROVE): S.APPROVED,
    (S.AWAITING_REVIEW, A.REJECT): S.REJECTED,
    (S.AWAITING_REVIEW, A.CANCEL): S.CANCELLED,
    (S.APPROVED, A.SHIP_PART): S.PARTIALLY_FULFILLED,
    (S.APPROVED, A.SHIP_ALL): S.FULFILLED,
    (S.PARTIALLY_FULFILLED, A.SHIP_PART): S.PARTIALLY_FULFILLED,
    (S.PARTIALLY_FULFILLED, A.SHIP_ALL): S.FULFILLED,
    (S.FULFILLED, A.CLOSE): S.CLOSED,
}

#: How an order comes into being: the action of its first timeline event -> its first
#: status. A dealer's order starts as a draft; a replacement order (an exchange of
#: returned goods, :mod:`.replacements`) starts approved: the return's review approved
#: it, and nothing is due. Neither is in :data:`TRANSITIONS`: no existing order can
#: ``create`` or ``replace``.
ENTRIES: dict[OrderAction, OrderStatus] = {
    A.CREATE: S.DRAFT,
    A.REPLACE: S.APPROVED,
}

#: No transition leaves these.
FINAL = frozenset({S.CLOSED, S.REJECTED, S.CANCELLED, S.EXPIRED})

#: Statuses whose promotion usage is given back (the order will never be delivered).
RELEASES_USAGE = frozenset({S.REJECTED, S.CANCELLED, S.EXPIRED})


class IllegalTransition(Conflict):
    code = "order_transition"


def next_status(status: OrderStatus, action: OrderAction) -> OrderStatus:
    """Where ``action`` takes an order in ``status``; ``order_transition`` if nowhere."""
    found = TRANSITIONS.get((status, action))
    if found is None:
        raise IllegalTransition(f"an order that is {status} cannot {action}")
    return found


def entry_status(action: OrderAction) -> OrderStatus:
    """The first status of an order created by ``action`` (:data:`ENTRIES`);
    ``order_transition`` for an action that creates nothing."""
    found = ENTRIES.get(action)
    if found is None:
        raise IllegalTransition(f"{action} does not create an order")
    return found


def allowed_actions(status: OrderStatus) -> list[OrderAction]:
    """The actions the table allows from ``status`` (for buttons and help)."""
    return [a for (s, a) in TRANSITIONS if s == status]


class FulfilmentStatus(StrEnum):
    UNFULFILLED = "unfulfilled"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"


def fulfilment_status(ordered: int, shipped: int, delivered: int) -> FulfilmentStatus:
    """The fulfilment axis from unit counts (``0 <= delivered <= shipped <= ordered``)."""
    if shipped == 0:
        return FulfilmentStatus.UNFULFILLED
    if shipped < ordered:
        return FulfilmentStatus.PARTIALLY_SHIPPED
    return FulfilmentStatus.DELIVERED if delivered >= ordered else FulfilmentStatus.SHIPPED
