"""Pure arithmetic over a payment ledger: what was paid, refunded and is still
refundable, and the order's :class:`~veriseal_commerce.payable.PaymentSummary`.

Contracts: ``paid`` is the sum of ``captured`` amounts; ``refunded`` the sum of
``refunded`` amounts; a refund request reserves its amount until it either becomes
``refunded`` or ``refund_failed`` (which releases it), so
``refundable = paid - (requested - failed)`` and a new refund may take at most that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from veriseal_commerce.payable import PaymentSummary, summarize


class Entry(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def amount(self) -> int: ...


@dataclass(frozen=True)
class Totals:
    paid: int
    refunded: int
    reserved: int  # asked to refund, not failed (includes what was refunded)

    @property
    def refundable(self) -> int:
        return self.paid - self.reserved


def totals(entries: Iterable[Entry]) -> Totals:
    paid = refunded = requested = failed = 0
    for e in entries:
        if e.kind == "captured":
            paid += e.amount
        elif e.kind == "refunded":
            refunded += e.amount
        elif e.kind == "refund_requested":
            requested += e.amount
        elif e.kind == "refund_failed":
            failed += e.amount
    return Totals(paid, refunded, requested - failed)


def summary_of(due: int, currency: str, entries: Iterable[Entry]) -> PaymentSummary:
    t = totals(entries)
    return summarize(due, t.paid, t.refunded, currency)
