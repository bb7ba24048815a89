"""A return request's status machine, written as data (the allowed transitions).

Contracts:

- :data:`TRANSITIONS` maps ``(status, action)`` to the next status; any other pair is
  refused with the coded error ``return_transition`` (nothing written);
- :data:`FINAL` statuses have no way out;
- the units' way back is tracked per unit (:class:`UnitStatus`); the request's status
  follows from them: ``receiving`` while some approved units have not come back,
  ``received`` once all have, ``inspected`` once every received unit is restocked or
  rejected; the resolution (refund, credit note, replacement order, or nothing when no
  unit passed inspection) then ``completes`` it.
"""

from __future__ import annotations

from enum import StrEnum

from veriseal import Conflict, register_messages

register_messages(
    {
        "error.return_transition": (
            "This return request cannot do that in its current status",
            "退换货申请当前状态不允许此操作",
        ),
    }
)


class ReturnStatus(StrEnum):
    REQUESTED = "requested"  # the dealer asked; the brand reviews
    INFO_REQUESTED = "info_requested"  # the brand asked a question; the dealer answers
    APPROVED = "approved"  # all or part approved: the units may come back
    RECEIVING = "receiving"  # some approved units are back
    RECEIVED = "received"  # every approved unit is back, in quarantine
    INSPECTED = "inspected"  # every received unit restocked or rejected
    REFUND_PENDING = "refund_pending"  # the provider is processing the refund
    COMPLETED = "completed"  # refunded, credited, replaced, or settled with nothing
    REJECTED = "rejected"  # the brand refused the whole request
    CANCELLED = "cancelled"  # the dealer withdrew it before anything came back


class ReturnAction(StrEnum):
    ASK = "ask"  # a reviewer asks the dealer a question
    ANSWER = "answer"  # the dealer answers it
    APPROVE = "approve"  # a reviewer approves all or part
    REJECT = "reject"  # a reviewer refuses the request, with a reason
    CANCEL = "cancel"  # the dealer withdraws
    RECEIVE_PART = "receive_part"  # units came back, some approved still missing
    RECEIVE_ALL = "receive_all"  # the last approved units came back
    INSPECT_PART = "inspect_part"  # some received units decided
    INSPECT_ALL = "inspect_all"  # every received unit decided
    REFUND_ASKED = "refund_asked"  # a provider accepted the refund, not done yet
    REFUND = "refund"  # refunded (or credit note for offline payments)
    EXCHANGE = "exchange"  # a replacement order was created
    SETTLE = "settle"  # nothing passed inspection: closed with no money and no goods


S, A = ReturnStatus, ReturnAction

#: The whole machine: (from, action) -> to.
TRANSITIONS: dict[tuple[ReturnStatus, ReturnAction], ReturnStatus] = {
    (S.REQUESTED, A.ASK): S.INFO_REQUESTED,
    (S.REQUESTED, A.APPROVE): S.APPROVED,
    (S.REQUESTED, A.REJECT): S.REJECTED,
    (S.REQUESTED, A.CANCEL): S.CANCELLED,
    (S.INFO_REQUESTED, A.ANSWER): S.REQUESTED,
    (S.INFO_REQUESTED, A.APPROVE): S.APPROVED,
    (S.INFO_REQUESTED, A.REJECT): S.REJECTED,
    (S.INFO_REQUESTED, A.CANCEL): S.CANCELLED,
    (S.APPROVED, A.CANCEL): S.CANCELLED,
    (S.APPROVED, A.RECEIVE_PART): S.RECEIVING,
    (S.APPROVED, A.RECEIVE_ALL): S.RECEIVED,
    (S.RECEIVING, A.RECEIVE_PART): S.RECEIVING,
    (S.RECEIVING, A.RECEIVE_ALL): S.RECEIVED,
    (S.RECEIVED, A.INSPECT_PART): S.RECEIVED,
    (S.RECEIVED, A.INSPECT_ALL): S.INSPECTED,
    (S.INSPECTED, A.REFUND_ASKED): S.REFUND_PENDING,
    (S.INSPECTED, A.REFUND): S.COMPLETED,
    (S.INSPECTED, A.EXCHANGE): S.COMPLETED,
    (S.INSPECTED, A.SETTLE): S.COMPLETED,
    (S.REFUND_PENDING, A.REFUND_ASKED): S.REFUND_PENDING,
    (S.REFUND_PENDING, A.REFUND): S.COMPLETED,
}

#: No transition leaves these.
FINAL = frozenset({S.COMPLETED, S.REJECTED, S.CANCELLED})


class UnitStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    RECEIVED = "received"  # back at the brand, in quarantine
    RESTOCKED = "restocked"  # passed inspection: sellable stock again
    REJECTED = "rejected"  # failed inspection: awaiting scrap or send-back
    SCRAPPED = "scrapped"  # code decommissioned, out of stock
    SENT_BACK = "sent_back"  # shipped back to the dealer


class IllegalReturnTransition(Conflict):
    code = "return_transition"


def next_status(status: ReturnStatus, action: ReturnAction) -> ReturnStatus:
    """Where ``action`` takes a request in ``status``; ``return_transition`` if nowhere."""
    found = TRANSITIONS.get((status, action))
    if found is None:
        raise IllegalReturnTransition(
            f"a return that is {status} cannot {action}", status=str(status), action=str(action)
        )
    return found


def allowed_actions(status: ReturnStatus) -> list[ReturnAction]:
    """The actions the table allows from ``status`` (for buttons and help)."""
    return [a for (s, a) in TRANSITIONS if s == status]
