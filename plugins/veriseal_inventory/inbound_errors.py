"""Coded errors of inbound receipts and their inspection (codes ``inbound_*``, texts in
zh and en)."""

from __future__ import annotations

from veriseal import Conflict, InvalidInput, NotFound, register_messages

register_messages(
    {
        "error.inbound_invalid": ("Invalid inbound receipt or inspection", "入库单或质检无效"),
        "error.inbound_not_found": ("No such inbound receipt", "入库单不存在"),
        "error.inbound_state": (
            "The receipt line is not awaiting this step",
            "入库单行当前不能进行此操作",
        ),
        "error.inbound_return_units": (
            "These returned units are not at this step on the receipt",
            "这些退货单品在该入库单上不处于此环节",
        ),
    }
)


class InboundInvalid(InvalidInput):
    """Bad input: an unknown AQL or inspection level, a lot size below one, defects
    outside the sample, quantities that do not add up, a reject without a reason."""

    code = "inbound_invalid"


class InboundNotFound(NotFound):
    code = "inbound_not_found"


class InboundState(Conflict):
    """A line already decided (or not awaiting inspection) cannot be decided again."""

    code = "inbound_state"


class ReturnUnitsState(Conflict):
    """Returned units named that are not awaiting a decision on the receipt
    (``decide_return``) or not rejected and in the rejected location (``scrap``).
    ``details``: ``receipt``, ``units`` (compact text)."""

    code = "inbound_return_units"
