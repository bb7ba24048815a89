"""One status vocabulary for every carrier, and 快递100's codes mapped onto it.

快递100 reports a main state (``lastResult.state`` and each checkpoint's ``status``
text) and, with ``resultv2``, a finer ``statusCode`` per checkpoint. The finer code wins
when both are known (``1001`` 到达派件城市 is "arrived at the destination city", which
the main state 0 在途 cannot say)."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a waybill stands. ``expired`` is ours: no news for ``expire_days``."""

    INFO_RECEIVED = "info_received"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    AT_DESTINATION_CITY = "at_destination_city"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    FAILED_ATTEMPT = "failed_attempt"
    EXCEPTION = "exception"
    RETURNED = "returned"
    EXPIRED = "expired"


#: statuses after which nothing more is expected (no stall, no late alert)
FINAL = frozenset({Status.DELIVERED, Status.RETURNED, Status.EXPIRED})

#: (English, 中文) of each status, for pages and notices
LABELS: dict[Status, tuple[str, str]] = {
    Status.INFO_RECEIVED: ("Info received", "已下单"),
    Status.PICKED_UP: ("Picked up", "已揽收"),
    Status.IN_TRANSIT: ("In transit", "运输中"),
    Status.AT_DESTINATION_CITY: ("Arrived at destination city", "到达派件城市"),
    Status.OUT_FOR_DELIVERY: ("Out for delivery", "派件中"),
    Status.DELIVERED: ("Delivered", "已签收"),
    Status.FAILED_ATTEMPT: ("Delivery attempt failed", "派送失败"),
    Status.EXCEPTION: ("Exception", "异常"),
    Status.RETURNED: ("Returned to sender", "退回"),
    Status.EXPIRED: ("Expired (no news)", "长时间无更新"),
}

#: 快递100 main states (``state``): 0 在途 1 揽收 2 疑难 3 签收 4 退签 5 派件 6 退回
#: 7 转投 8 清关 14 拒签
KUAIDI100_STATE: dict[str, Status] = {
    "0": Status.IN_TRANSIT,
    "1": Status.PICKED_UP,
    "2": Status.EXCEPTION,
    "3": Status.DELIVERED,
    "4": Status.RETURNED,
    "5": Status.OUT_FOR_DELIVERY,
    "6": Status.RETURNED,
    "7": Status.IN_TRANSIT,
    "8": Status.IN_TRANSIT,
    "14": Status.EXCEPTION,
}

#: 快递100 finer codes (``statusCode`` with ``resultv2``) that say more than their state
KUAIDI100_DETAIL: dict[str, Status] = {
    "101": Status.INFO_RECEIVED,  # 已下单
    "102": Status.INFO_RECEIVED,  # 待揽收
    "103": Status.PICKED_UP,  # 已揽收
    "1001": Status.AT_DESTINATION_CITY,  # 到达派件城市
    "1002": Status.IN_TRANSIT,  # 干线
    "1003": Status.IN_TRANSIT,  # 转递
    "501": Status.OUT_FOR_DELIVERY,  # 投柜或驿站 (awaiting pick-up)
    "301": Status.DELIVERED,  # 本人签收
    "302": Status.DELIVERED,  # 派件异常后签收
    "303": Status.DELIVERED,  # 代签
    "304": Status.DELIVERED,  # 投柜或站签收
    "401": Status.RETURNED,  # 已销单
    "201": Status.EXCEPTION,  # 超时未签收
    "202": Status.EXCEPTION,  # 超时未更新
    "203": Status.FAILED_ATTEMPT,  # 拒收
    "204": Status.FAILED_ATTEMPT,  # 派件异常
    "205": Status.FAILED_ATTEMPT,  # 柜或驿站超时未取
    "206": Status.FAILED_ATTEMPT,  # 无法联系
    "207": Status.EXCEPTION,  # 超区
    "208": Status.EXCEPTION,  # 滞留
    "209": Status.EXCEPTION,  # 破损
    "210": Status.RETURNED,  # 销单
    "13": Status.EXCEPTION,  # 清关异常
}

#: 快递100's checkpoint ``status`` texts (without ``resultv2``)
KUAIDI100_TEXT: dict[str, Status] = {
    "在途": Status.IN_TRANSIT,
    "揽收": Status.PICKED_UP,
    "疑难": Status.EXCEPTION,
    "签收": Status.DELIVERED,
    "退签": Status.RETURNED,
    "派件": Status.OUT_FOR_DELIVERY,
    "退回": Status.RETURNED,
    "转投": Status.IN_TRANSIT,
    "清关": Status.IN_TRANSIT,
    "拒签": Status.EXCEPTION,
}


def from_kuaidi100(state: str | None, detail: str | None = None) -> Status | None:
    """Our status for a 快递100 checkpoint: its finer code if known, else its state (a
    code such as ``"0"`` or a text such as ``"在途"``); None if neither is known."""
    if detail and detail.strip() in KUAIDI100_DETAIL:
        return KUAIDI100_DETAIL[detail.strip()]
    text = (state or "").strip()
    return KUAIDI100_STATE.get(text) or KUAIDI100_TEXT.get(text)


def parse(value: str) -> Status:
    """A status by its name (``ValueError`` otherwise)."""
    return Status(value.strip().lower())
