"""``/console/commerce/...``: menu entries and views of the commerce plugin. Each
area's views live in its own ``console_*`` module; these lists join them."""

from __future__ import annotations

from veriseal.extend import ConsolePage, ConsoleView
from veriseal_commerce import console_orders as orders
from veriseal_commerce import console_pay as dealer
from veriseal_commerce import console_payments as pay
from veriseal_commerce import console_prices as prices
from veriseal_commerce import console_returns as returns
from veriseal_commerce import console_returns_review as return_review
from veriseal_commerce import console_review as review
from veriseal_commerce.permissions import (
    ORDERS_FULFIL,
    ORDERS_PLACE,
    ORDERS_REVIEW,
    PAYMENTS_CONFIRM,
    PRICES_MANAGE,
    PRICES_VIEW,
)

BASE = "/console/commerce"
_PAY = f"{BASE}/payments"
_ORDER = BASE + "/orders/{no}"
_RET = f"{BASE}/returns"
_RREV = f"{BASE}/return-review"
#: an order number in a path (``SO20261204-1A2B3C4D``)
NO = r"{no:[A-Za-z0-9-]+}"

PAGES: list[ConsolePage] = [
    ConsolePage(f"{BASE}/catalogue", "Order catalogue", "订货目录", PRICES_VIEW, "channel", 110),
    ConsolePage(f"{BASE}/prices", "Price lists", "价格表", PRICES_MANAGE, "channel", 120),
    ConsolePage(f"{BASE}/promotions", "Promotions", "促销活动", PRICES_MANAGE, "channel", 130),
    ConsolePage(f"{BASE}/quote", "Quote", "报价", PRICES_MANAGE, "channel", 140),
    ConsolePage(_PAY, "Payments", "付款记录", PAYMENTS_CONFIRM, "channel", 150),
    ConsolePage(f"{_PAY}/transfers", "Transfers to confirm", "待确认转账", PAYMENTS_CONFIRM,
                "channel", 151),
    ConsolePage(f"{BASE}/orders/new", "Order", "下单", ORDERS_PLACE, "channel", 155),
    ConsolePage(f"{BASE}/orders", "My orders", "我的订单", ORDERS_PLACE, "channel", 156),
    ConsolePage(f"{BASE}/review", "Orders", "订单审核", ORDERS_REVIEW, "channel", 160),
    ConsolePage(f"{BASE}/order-stats", "Order statistics", "订单统计", ORDERS_REVIEW,
                "channel", 165),
    ConsolePage(_RET, "My returns", "我的退换货", ORDERS_PLACE, "channel", 157),
    ConsolePage(_RREV, "Returns", "退换货审核", ORDERS_REVIEW, "channel", 166),
    ConsolePage(f"{BASE}/return-alerts", "Suspicious returns", "退货异常", ORDERS_REVIEW,
                "channel", 167),
    ConsolePage(f"{BASE}/return-stats", "Return statistics", "退换货统计", ORDERS_REVIEW,
                "channel", 168),
]  # fmt: skip
VIEWS: list[ConsoleView] = [
    ConsoleView("GET", f"{BASE}/catalogue", prices.catalogue_page, PRICES_VIEW),
    ConsoleView("GET", BASE + r"/catalogue/{gtin:\d+}", prices.product_page, PRICES_VIEW),
    ConsoleView("GET", f"{BASE}/prices", prices.prices_page, PRICES_MANAGE),
    ConsoleView("POST", f"{BASE}/prices/lists", prices.list_add, PRICES_MANAGE),
    ConsoleView("POST", f"{BASE}/prices/rows", prices.row_save, PRICES_MANAGE),
    ConsoleView("POST", BASE + r"/prices/rows/{id:\d+}/delete", prices.row_delete, PRICES_MANAGE),
    ConsoleView("GET", f"{BASE}/promotions", prices.promotions_page, PRICES_MANAGE),
    ConsoleView("POST", f"{BASE}/promotions", prices.promotion_add, PRICES_MANAGE),
    ConsoleView("POST", BASE + r"/promotions/{id:\d+}", prices.promotion_change, PRICES_MANAGE),
    ConsoleView("GET", f"{BASE}/quote", prices.quote_page, PRICES_MANAGE),
    # a dealer's orders
    ConsoleView("GET", f"{BASE}/orders/new", orders.new_order_page, ORDERS_PLACE),
    ConsoleView("POST", f"{BASE}/orders/new", orders.order_create, ORDERS_PLACE),
    ConsoleView("GET", f"{BASE}/orders", orders.my_orders, ORDERS_PLACE),
    ConsoleView("GET", f"{BASE}/orders/{NO}", orders.order_page, ORDERS_PLACE),
    ConsoleView("POST", f"{BASE}/orders/{NO}/submit", orders.order_submit, ORDERS_PLACE),
    ConsoleView("POST", f"{BASE}/orders/{NO}/cancel", orders.order_cancel, ORDERS_PLACE),
    ConsoleView("POST", f"{BASE}/orders/{NO}/messages", orders.order_reply, ORDERS_PLACE),
    # the brand's review, fulfilment and statistics
    ConsoleView("GET", f"{BASE}/review", review.review_list, ORDERS_REVIEW),
    ConsoleView("GET", f"{BASE}/review/{NO}", review.review_page, ORDERS_REVIEW),
    ConsoleView("POST", f"{BASE}/review/{NO}", review.review_act, ORDERS_REVIEW),
    ConsoleView("GET", f"{BASE}/review/{NO}/fulfil", review.fulfil_page, ORDERS_FULFIL),
    ConsoleView("POST", f"{BASE}/review/{NO}/fulfil", review.fulfil_post, ORDERS_FULFIL),
    ConsoleView("GET", f"{BASE}/order-stats", review.stats_page, ORDERS_REVIEW),
    # returns and exchanges: the dealer's (console_returns.py), the brand's
    # (console_returns_review.py); a photo for whoever may read its request (the service)
    ConsoleView("GET", _RET, returns.my_returns, ORDERS_PLACE),
    ConsoleView("GET", f"{_RET}/new", returns.new_page, ORDERS_PLACE),
    ConsoleView("POST", f"{_RET}/new", returns.create, ORDERS_PLACE),
    ConsoleView("GET", f"{_RET}/{NO}", returns.request_page, ORDERS_PLACE),
    ConsoleView("POST", f"{_RET}/{NO}/cancel", returns.cancel, ORDERS_PLACE),
    ConsoleView("POST", f"{_RET}/{NO}/messages", returns.reply, ORDERS_PLACE),
    ConsoleView("POST", f"{_RET}/{NO}/photos", returns.add_photos, ORDERS_PLACE),
    ConsoleView("GET", _RET + "/" + NO + r"/photos/{id:\d+}", returns.photo),
    ConsoleView("GET", _RREV, return_review.queue, ORDERS_REVIEW),
    ConsoleView("GET", f"{_RREV}/{NO}", return_review.review_page, ORDERS_REVIEW),
    ConsoleView("POST", f"{_RREV}/{NO}", return_review.review_act, ORDERS_REVIEW),
    ConsoleView("POST", f"{_RREV}/{NO}/receive", return_review.receive, ORDERS_FULFIL),
    ConsoleView("POST", f"{_RREV}/{NO}/inspect", return_review.inspect, ORDERS_FULFIL),
    ConsoleView("POST", f"{_RREV}/{NO}/scrap", return_review.scrap, ORDERS_REVIEW),
    ConsoleView("POST", f"{_RREV}/{NO}/send-back", return_review.send_back, ORDERS_FULFIL),
    ConsoleView("POST", f"{_RREV}/{NO}/resolve", return_review.resolve, ORDERS_REVIEW),
    ConsoleView("GET", f"{BASE}/return-alerts", return_review.alerts_page, ORDERS_REVIEW),
    ConsoleView("GET", f"{BASE}/return-stats", return_review.stats_page, ORDERS_REVIEW),
    ConsoleView("GET", _PAY, pay.payments_page, PAYMENTS_CONFIRM),
    ConsoleView("GET", f"{_PAY}/transfers", pay.transfers_page, PAYMENTS_CONFIRM),
    ConsoleView("GET", _PAY + r"/{id:\d+}", pay.payment_page, PAYMENTS_CONFIRM),
    ConsoleView("POST", _PAY + r"/{id:\d+}/confirm", pay.confirm, PAYMENTS_CONFIRM),
    ConsoleView("POST", _PAY + r"/{id:\d+}/reject", pay.reject, PAYMENTS_CONFIRM),
    ConsoleView("POST", _PAY + r"/{id:\d+}/refunds", pay.refund, PAYMENTS_CONFIRM),
    ConsoleView("GET", _PAY + r"/receipts/{id:\d+}", pay.receipt, PAYMENTS_CONFIRM),
    ConsoleView("GET", _ORDER + "/pay", dealer.pay_page, ORDERS_PLACE),
    ConsoleView("GET", _ORDER + "/pay/qr.svg", dealer.pay_qr, ORDERS_PLACE),
    ConsoleView("POST", _ORDER + "/pay/online", dealer.pay_online, ORDERS_PLACE),
    ConsoleView("POST", _ORDER + "/pay/transfer", dealer.pay_transfer, ORDERS_PLACE),
    ConsoleView("POST", _ORDER + "/pay/check", dealer.pay_check, ORDERS_PLACE),
]  # fmt: skip
