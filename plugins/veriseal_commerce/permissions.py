"""What the commerce plugin adds to the core's open registries: its actions and message
types (registered by the hooks in :mod:`.plugin`)."""

from __future__ import annotations

from veriseal import Action, MessageType, Role
from veriseal.extend import Channel, MessageTypeSpec, Permission

#: Price lists and promotions: create, change, delete (the brand's staff).
PRICES_MANAGE = Action("prices.manage")
#: See the catalogue with one's own prices and the promotions that apply (dealers) or
#: every buyer's (brand staff, who quote for any dealer).
PRICES_VIEW = Action("prices.view")
#: Place, pay and cancel one's own organisation's orders; ask and answer on them.
ORDERS_PLACE = Action("orders.place")
#: Review the brand's orders: approve, reject with a reason, ask the dealer a question.
ORDERS_REVIEW = Action("orders.review")
#: Ship an approved order by scanning its goods out.
ORDERS_FULFIL = Action("orders.fulfil")
#: Confirm offline transfers against the bank statement; refund payments.
PAYMENTS_CONFIRM = Action("payments.confirm")

_BRAND_STAFF = frozenset({Role.PLATFORM_ADMIN, Role.BRAND_ADMIN})
_DEALERS = frozenset({Role.DISTRIBUTOR, Role.RETAILER})

PERMISSIONS = (
    Permission(PRICES_MANAGE, _BRAND_STAFF, "Manage price lists and promotions",
               "管理价格表与促销"),
    Permission(PRICES_VIEW, _BRAND_STAFF | _DEALERS, "See catalogue prices and promotions",
               "查看商品价格与促销"),
    Permission(ORDERS_PLACE, _DEALERS, "Place and pay orders", "下单与付款"),
    Permission(ORDERS_REVIEW, _BRAND_STAFF, "Review dealers' orders", "审核经销商订单"),
    Permission(ORDERS_FULFIL, _BRAND_STAFF | {Role.FACTORY_OPERATOR},
               "Ship orders by scanning", "扫码发货"),
    Permission(PAYMENTS_CONFIRM, _BRAND_STAFF, "Confirm transfers and refund payments",
               "确认转账与退款"),
)  # fmt: skip

#: Every change of an order's status, payment or fulfilment: to the dealer's users and
#: the brand's reviewers.
ORDER_STATUS = MessageType("order_status")

#: Every change of a return or exchange request, and messages on its thread: to the
#: dealer's users and the brand's reviewers.
RETURN_STATUS = MessageType("return_status")
#: A return refused for a suspicious unit (a fake code, a unit shipped elsewhere, a unit
#: returned before): to the brand's reviewers, with the evidence.
RETURN_ALERT = MessageType("return_alert")

MESSAGE_TYPES = (
    MessageTypeSpec(
        ORDER_STATUS,
        "Order status",
        "订单状态",
        (Channel.INBOX, Channel.EMAIL, Channel.SMS, Channel.WEBHOOK, Channel.PUSH),
    ),
    MessageTypeSpec(
        RETURN_STATUS,
        "Returns and exchanges",
        "退换货",
        (Channel.INBOX, Channel.EMAIL, Channel.SMS, Channel.WEBHOOK, Channel.PUSH),
    ),
    MessageTypeSpec(
        RETURN_ALERT,
        "Suspicious returns",
        "退货异常预警",
        (Channel.INBOX, Channel.EMAIL, Channel.SMS, Channel.WEBHOOK, Channel.PUSH),
    ),
)
