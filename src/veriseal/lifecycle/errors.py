"""Coded errors of the lifecycle domain: activation, packing, SSCCs, index ranges
and event locations."""

from __future__ import annotations

from veriseal.errors import Conflict, InvalidInput
from veriseal.i18n import register


class SsccInvalid(InvalidInput):
    """An SSCC with a bad length, character or check digit, or a bad mint request."""

    code = "sscc_invalid"


class SsccSpaceExhausted(InvalidInput):
    """The company prefix has no serial references left for this extension digit."""

    code = "sscc_space_exhausted"


class ReasonRequired(InvalidInput):
    code = "reason_required"


class RangeInvalid(InvalidInput):
    """A range that does not parse, is reversed, or leaves its batch."""

    code = "range_invalid"


class AlreadyPacked(Conflict):
    """An item or unit is already inside a parent (or named twice in one request)."""

    code = "already_packed"


class NotPacked(Conflict):
    """An unpack names a child the parent does not hold."""

    code = "not_packed"


class PackCycle(InvalidInput):
    """A unit would end up inside itself."""

    code = "pack_cycle"


class ItemDecommissioned(Conflict):
    """A decommissioned (void) label cannot be packed."""

    code = "item_decommissioned"


class ItemNotActivated(Conflict):
    """Items of a batch that requires activation were named before being activated.
    ``details``: ``batch_id``, ``items`` (the first offending index ranges, at most
    :data:`REPORTED_RANGES`, as ``"first-last"``) and ``count`` (all offending items of
    that batch in the request)."""

    code = "item_not_activated"


class PackEmpty(InvalidInput):
    code = "pack_empty"


class LocationInvalid(InvalidInput):
    """A read point or business location that is neither a URI nor a GLN."""

    code = "location_invalid"


register(
    {
        "error.sscc_invalid": ("Invalid SSCC", "SSCC（物流单元码）无效"),
        "error.sscc_space_exhausted": (
            "No SSCC serial references left",
            "该厂商识别码下的 SSCC 序列号已用尽",
        ),
        "error.reason_required": ("A reason is required", "必须填写原因"),
        "error.range_invalid": ("Invalid index range", "编号范围无效"),
        "error.already_packed": ("Already packed in another parent", "已装入其他包装"),
        "error.not_packed": ("Not inside this parent", "不在该包装内"),
        "error.pack_cycle": ("A unit cannot contain itself", "包装不能装入自身"),
        "error.item_decommissioned": ("Decommissioned label", "该标签已作废"),
        "error.pack_empty": ("Nothing to pack", "没有要装箱的内容"),
        "error.item_not_activated": (
            "Not activated: this batch requires activation before packing",
            "未激活：该批次须先激活才能装箱",
        ),
        "error.location_invalid": ("Invalid location", "位置标识无效"),
    }
)
