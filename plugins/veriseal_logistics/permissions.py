"""What the logistics plugin adds to the core's open registries: its actions and message
types. Every action is also scoped: brand staff act on the brand's waybills, a dealer's
users on waybills shipped from or to their organisation's subtree
(:meth:`veriseal_logistics.waybills.WaybillService.require`)."""

from __future__ import annotations

from veriseal import Action, MessageType, Role
from veriseal.extend import Channel, MessageTypeSpec, Permission

#: See waybills, their timelines, ETAs and alerts.
LOGISTICS_VIEW = Action("logistics.view")
#: Add waybills, import carrier events, close alerts.
LOGISTICS_MANAGE = Action("logistics.manage")
#: Set the anomaly rules and the carriers' secrets (push salt, webhook secret).
LOGISTICS_CONFIGURE = Action("logistics.configure")

_BRAND_STAFF = frozenset({Role.PLATFORM_ADMIN, Role.BRAND_ADMIN})
_DEALERS = frozenset({Role.DISTRIBUTOR, Role.RETAILER})
_FLOOR = frozenset({Role.FACTORY_OPERATOR})

PERMISSIONS = (
    Permission(LOGISTICS_VIEW, _BRAND_STAFF | _FLOOR | _DEALERS, "See shipments in transit",
               "查看物流"),
    Permission(LOGISTICS_MANAGE, _BRAND_STAFF | _FLOOR | {Role.DISTRIBUTOR},
               "Add waybills and carrier events, close logistics alerts",
               "登记运单与物流轨迹、处理物流预警"),
    Permission(LOGISTICS_CONFIGURE, _BRAND_STAFF, "Set logistics rules and carrier secrets",
               "设置物流规则与承运商密钥"),
)  # fmt: skip

#: A shipment stalled, late, off its route or delivered to the wrong place.
LOGISTICS_ALERT = MessageType("logistics_alert")
#: A shipment to the reader's organisation is out for delivery, delivered or in trouble.
LOGISTICS_UPDATE = MessageType("logistics_update")

_ALL = (Channel.INBOX, Channel.EMAIL, Channel.SMS, Channel.WEBHOOK, Channel.PUSH)
MESSAGE_TYPES = (
    MessageTypeSpec(LOGISTICS_ALERT, "Logistics alert", "物流异常预警", _ALL),
    MessageTypeSpec(LOGISTICS_UPDATE, "Shipment update", "物流动态", _ALL),
)
