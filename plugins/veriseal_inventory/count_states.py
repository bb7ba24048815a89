"""A stocktake's status machine, written as data (the allowed transitions) and nothing else.

::

    open ──count──▶ counting ──submit──▶ submitted ──approve──▶ approved (adjustment posted)
     │               ▲  │                   │
   cancel            │ cancel             reject
     ▼               │  ▼                   ▼
    cancelled ◀──────┼──┘                rejected ──close──▶ closed
                     └─────────count────────┘

Contracts:

- :data:`TRANSITIONS` maps ``(status, action)`` to the next status; any pair not in it is
  refused with the coded error ``stocktake_transition`` (409, nothing written);
- the terminal statuses (:data:`FINAL`) have no way out; every other status can reach
  one (no dead ends);
- counting is allowed only while the count is ``open`` or ``counting`` (or after a
  rejection, which sends it back to ``counting``): a submitted count is frozen for the
  approver, so what the approver sees is what gets applied;
- ``approved`` is the only status in which an adjustment has been posted (:data:`APPLIED`).
"""

from __future__ import annotations

from enum import StrEnum

from veriseal import Conflict, register_messages

register_messages(
    {
        "error.stocktake_transition": (
            "This stocktake cannot do that in its current status",
            "盘点单当前状态不允许此操作",
        ),
    }
)


class CountStatus(StrEnum):
    OPEN = "open"  # expected quantities frozen, nothing counted yet
    COUNTING = "counting"  # counters are entering quantities or scanning codes
    SUBMITTED = "submitted"  # variance proposed with a reason, awaiting a second person
    APPROVED = "approved"  # a second person approved: the adjustment is posted
    REJECTED = "rejected"  # the approver refused; recount (back to counting) or close
    CLOSED = "closed"  # ended after a rejection without an adjustment
    CANCELLED = "cancelled"  # withdrawn before submission


class CountAction(StrEnum):
    COUNT = "count"  # record counted quantities (the first one starts the counting)
    SUBMIT = "submit"  # propose the variance, with a reason
    APPROVE = "approve"  # a second person with stock.approve applies it
    REJECT = "reject"  # a second person refuses it, with a reason
    CLOSE = "close"  # give up a rejected count
    CANCEL = "cancel"  # withdraw a count not yet submitted


S, A = CountStatus, CountAction

#: The whole machine: (from, action) -> to.
TRANSITIONS: dict[tuple[CountStatus, CountAction], CountStatus] = {
    (S.OPEN, A.COUNT): S.COUNTING,
    (S.OPEN, A.CANCEL): S.CANCELLED,
    (S.COUNTING, A.COUNT): S.COUNTING,
    (S.COUNTING, A.SUBMIT): S.SUBMITTED,
    (S.COUNTING, A.CANCEL): S.CANCELLED,
    (S.SUBMITTED, A.APPROVE): S.APPROVED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.REJECTED, A.COUNT): S.COUNTING,
    (S.REJECTED, A.CLOSE): S.CLOSED,
}

#: No transition leaves these.
FINAL = frozenset({S.APPROVED, S.CLOSED, S.CANCELLED})

#: The statuses in which the count's adjustment has been posted to the ledger.
APPLIED = frozenset({S.APPROVED})

#: The statuses in which counters may still record quantities.
COUNTABLE = frozenset(s for (s, a) in TRANSITIONS if a is A.COUNT)


class StocktakeTransition(Conflict):
    code = "stocktake_transition"


def next_status(status: CountStatus, action: CountAction) -> CountStatus:
    """Where ``action`` takes a stocktake in ``status``; ``stocktake_transition`` if nowhere."""
    found = TRANSITIONS.get((status, action))
    if found is None:
        raise StocktakeTransition(
            f"a stocktake that is {status} cannot {action}", status=str(status), action=str(action)
        )
    return found


def allowed_actions(status: CountStatus) -> list[CountAction]:
    """The actions the table allows from ``status`` (for buttons and help), in table order."""
    return [a for (s, a) in TRANSITIONS if s == status]
