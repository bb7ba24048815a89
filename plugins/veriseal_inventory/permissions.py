"""What the inventory plugin adds to the core's open registries: its actions and message
types (registered by the hooks in :mod:`.plugin`).

Every action is also scoped to a warehouse: brand staff act on any warehouse of their
brand, a dealer's users on the warehouses of their organisation's subtree
(:meth:`veriseal_inventory.warehouses.WarehouseService.require`)."""

from __future__ import annotations

from veriseal import Action, MessageType, Role
from veriseal.extend import Channel, MessageTypeSpec, Permission

#: See stock, movements and alerts of the warehouses in one's scope.
STOCK_VIEW = Action("stock.view")
#: Receive, issue and transfer goods (by quantity or by scanning codes); outbound sheets.
STOCK_MOVE = Action("stock.move")
#: Warehouses and locations; safety-stock and inspection settings.
STOCK_MANAGE = Action("stock.manage")
#: Open and count stocktakes; propose the adjustment.
STOCK_COUNT = Action("stock.count")
#: Approve or reject a stocktake's adjustment (never one's own: maker-checker).
STOCK_APPROVE = Action("stock.approve")
#: Decide the inspection of inbound goods (accept, reject, accept part).
STOCK_INSPECT = Action("stock.inspect")

_BRAND_STAFF = frozenset({Role.PLATFORM_ADMIN, Role.BRAND_ADMIN})
_DEALERS = frozenset({Role.DISTRIBUTOR, Role.RETAILER})
_FLOOR = frozenset({Role.FACTORY_OPERATOR})

PERMISSIONS = (
    Permission(STOCK_VIEW, _BRAND_STAFF | _FLOOR | _DEALERS, "See stock", "查看库存"),
    Permission(STOCK_MOVE, _BRAND_STAFF | _FLOOR | _DEALERS, "Move stock in and out",
               "出入库"),
    Permission(STOCK_MANAGE, _BRAND_STAFF | _DEALERS, "Manage warehouses and stock settings",
               "管理仓库与库存设置"),
    Permission(STOCK_COUNT, _BRAND_STAFF | _FLOOR | _DEALERS, "Count stock", "盘点"),
    Permission(STOCK_APPROVE, _BRAND_STAFF | {Role.DISTRIBUTOR}, "Approve stock adjustments",
               "审批库存调整"),
    Permission(STOCK_INSPECT, _BRAND_STAFF | _FLOOR, "Inspect inbound goods", "入库质检"),
)  # fmt: skip

#: A product fell below its safety stock in a warehouse, or rose back above it.
STOCK_LOW = MessageType("stock_low")
#: Codes that cannot be where they are scanned: a unit already in stock elsewhere (a
#: copied label), units shipped that were never in stock.
STOCK_ALERT = MessageType("stock_alert")
#: Work waiting for someone: an adjustment to approve, goods to inspect, a sheet issued.
STOCK_REVIEW = MessageType("stock_review")

_ALL = (Channel.INBOX, Channel.EMAIL, Channel.SMS, Channel.WEBHOOK, Channel.PUSH)
MESSAGE_TYPES = (
    MessageTypeSpec(STOCK_LOW, "Low stock", "库存不足", _ALL),
    MessageTypeSpec(STOCK_ALERT, "Stock code alert", "库存码异常", _ALL),
    MessageTypeSpec(STOCK_REVIEW, "Stock work to review", "库存待办", _ALL),
)
