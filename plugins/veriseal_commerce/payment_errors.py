"""Coded errors of payments (texts in English and Chinese)."""

from __future__ import annotations

from veriseal import Conflict, InvalidInput, NotFound, register_messages

#: titles of the payments errors (also the console forms' error titles)
MESSAGES: dict[str, tuple[str, str]] = {
    "error.payment_not_found": ("No such payment", "支付记录不存在"),
    "error.payment_provider_unknown": ("No such payment provider", "未配置该支付方式"),
    "error.payment_not_due": ("Nothing is due on this order", "该订单无需付款"),
    "error.payment_closed": ("The payment is already settled", "该笔支付已处理"),
    "error.payment_not_transfer": ("Not an offline transfer", "不是线下转账"),
    "error.refund_too_large": (
        "The refund exceeds what was paid and not yet refunded",
        "退款金额超过已付未退金额",
    ),
    "error.refund_invalid": ("Invalid refund", "退款请求无效"),
    "error.receipt_invalid": ("Invalid transfer receipt", "转账凭证无效"),
}
register_messages(MESSAGES)


class PaymentNotFound(NotFound):
    code = "payment_not_found"


class ProviderUnknown(InvalidInput):
    code = "payment_provider_unknown"


class NotDue(Conflict):
    code = "payment_not_due"


class PaymentClosed(Conflict):
    code = "payment_closed"


class NotTransfer(InvalidInput):
    code = "payment_not_transfer"


class RefundTooLarge(Conflict):
    code = "refund_too_large"


class RefundInvalid(InvalidInput):
    code = "refund_invalid"


class ReceiptInvalid(InvalidInput):
    code = "receipt_invalid"
