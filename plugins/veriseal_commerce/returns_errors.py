"""The coded errors of returns and exchanges (texts in en and zh). Every one is raised
before anything is written, or rolls its transaction back: nothing changes."""

from __future__ import annotations

from veriseal import Conflict, InvalidInput, NotFound, register_messages

register_messages(
    {
        "error.return_invalid": ("Invalid return request", "退换货申请无效"),
        "error.return_not_found": ("No such return request", "退换货申请不存在"),
        "error.return_not_eligible": (
            "This order or product cannot be returned",
            "该订单或商品不可退换",
        ),
        "error.return_window_closed": (
            "The return window of this order has closed",
            "该订单已超过退换货期限",
        ),
        "error.return_too_many": (
            "More units than were delivered and not yet returned",
            "退货数量超过已收货未退数量",
        ),
        "error.return_unit_fake": (
            "A code is not a genuine code of this brand",
            "有防伪码不是本品牌的正品码",
        ),
        "error.return_unit_not_on_order": (
            "A unit was not shipped on this order to this dealer",
            "有商品不是本订单发给该经销商的",
        ),
        "error.return_unit_returned": (
            "A unit was already returned or is in another return",
            "有商品已退货或在其他退货申请中",
        ),
        "error.return_unit_state": (
            "A unit is not at the step this action needs",
            "有商品不处于此操作要求的环节",
        ),
        "error.return_not_refundable": (
            "Nothing on this return can be refunded",
            "此退货没有可退款的金额",
        ),
    }
)


class ReturnInvalid(InvalidInput):
    code = "return_invalid"


class ReturnNotFound(NotFound):
    code = "return_not_found"


class ReturnNotEligible(InvalidInput):
    code = "return_not_eligible"


class ReturnWindowClosed(InvalidInput):
    code = "return_window_closed"


class ReturnTooMany(InvalidInput):
    code = "return_too_many"


class ReturnUnitFake(InvalidInput):
    code = "return_unit_fake"


class ReturnUnitNotOnOrder(InvalidInput):
    code = "return_unit_not_on_order"


class ReturnUnitReturned(Conflict):
    code = "return_unit_returned"


class ReturnUnitState(Conflict):
    code = "return_unit_state"


class ReturnNotRefundable(Conflict):
    code = "return_not_refundable"
