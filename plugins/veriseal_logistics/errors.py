"""The logistics plugin's coded errors (messages in both languages)."""

from __future__ import annotations

from veriseal import Conflict, InvalidInput, NotFound, register_messages

register_messages({
    "error.logistics_waybill_unknown": ("No such waybill", "运单不存在"),
    "error.logistics_waybill_exists": (
        "This carrier's tracking number is already a waybill with other details",
        "该承运商的运单号已登记，且信息不同",
    ),
    "error.logistics_waybill_invalid": ("The waybill is not valid", "运单信息无效"),
    "error.logistics_alert_unknown": ("No such logistics alert", "物流预警不存在"),
    "error.logistics_alert_closed": ("The alert is already closed", "该预警已关闭"),
    "error.logistics_rules_invalid": ("Invalid logistics rules", "物流规则无效"),
})  # fmt: skip


class WaybillUnknown(NotFound):
    code = "logistics_waybill_unknown"


class WaybillExists(Conflict):
    code = "logistics_waybill_exists"


class WaybillInvalid(InvalidInput):
    code = "logistics_waybill_invalid"


class AlertUnknown(NotFound):
    code = "logistics_alert_unknown"


class AlertClosed(Conflict):
    code = "logistics_alert_closed"


class RulesInvalid(InvalidInput):
    code = "logistics_rules_invalid"
