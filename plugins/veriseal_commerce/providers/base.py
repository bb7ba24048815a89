"""What the payments service asks of an online provider, and what it gets back.

Contracts:

- :meth:`Provider.create` asks the provider for a QR payment of ``amount`` minor units
  and returns the ``code_url`` the payer scans; it is idempotent by ``out_trade_no``.
- :meth:`Provider.query` returns the provider's word on a payment (a :class:`Notice`) or
  None while nothing has been paid.
- :meth:`Provider.refund` is idempotent by ``out_refund_no``; it returns
  :class:`RefundOutcome` and raises :class:`ProviderError` when the provider refuses.
- :meth:`Provider.parse_notify` checks a notification's signature (and decrypts it)
  BEFORE anything is read from it; :class:`NotifyRefused` otherwise. ``answer`` builds
  the reply in the provider's expected format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from veriseal import Conflict, InvalidInput, register_messages

register_messages(
    {
        "error.payment_notify_refused": (
            "Payment notification refused (signature or format)",
            "支付通知被拒绝（签名或格式错误）",
        ),
        "error.payment_provider_failed": ("The payment provider refused", "支付机构拒绝了请求"),
    }
)


class NotifyRefused(InvalidInput):
    """A notification that is not signed by the provider, or not in its format."""

    code = "payment_notify_refused"


class ProviderError(Conflict):
    """The provider answered with an error, an unsigned answer, or not at all."""

    code = "payment_provider_failed"


@dataclass(frozen=True)
class Notice:
    """The provider's account of one payment (from a notification or a query)."""

    out_trade_no: str
    transaction_id: str  # the provider's own number for the payment
    amount: int  # what the payer paid, minor units
    currency: str
    paid: bool  # True: money arrived (WeChat SUCCESS, Alipay TRADE_SUCCESS/FINISHED)


@dataclass(frozen=True)
class PaymentRequest:
    out_trade_no: str
    amount: int
    currency: str
    description: str
    expires_at_iso: str  # RFC 3339, the provider closes the payment then


@dataclass(frozen=True)
class RefundRequest:
    out_trade_no: str
    out_refund_no: str
    refund: int  # this refund, minor units
    total: int  # the payment's amount, minor units
    currency: str
    reason: str


@dataclass(frozen=True)
class RefundOutcome:
    refund_id: str
    done: bool  # True: the money went back (False: the provider is still processing)


@dataclass(frozen=True)
class Answer:
    """An HTTP reply to a notification, in the provider's format."""

    status: int
    content_type: str
    body: bytes


class Provider(Protocol):
    """An online payment provider (see the module docstring)."""

    name: str

    async def create(self, request: PaymentRequest) -> str: ...

    async def query(self, out_trade_no: str) -> Notice | None: ...

    async def refund(self, request: RefundRequest) -> RefundOutcome: ...

    def parse_notify(self, headers: dict[str, str], body: bytes) -> Notice: ...

    def answer(self, ok: bool, code: str = "", message: str = "") -> Answer: ...
