"""The commerce plugin's coded errors shared by its areas (each area declares its own
beside its rules; codes are ``commerce_*`` or a plain noun, texts in zh and en)."""

from __future__ import annotations

from veriseal import Conflict, InvalidInput, NotFound, register_messages

register_messages(
    {
        "error.commerce_invalid": ("Invalid commerce request", "商务请求无效"),
        "error.commerce_not_found": ("Not found", "未找到"),
        "error.commerce_conflict": ("Conflicts with the current state", "与当前状态冲突"),
    }
)


class CommerceInvalid(InvalidInput):
    code = "commerce_invalid"


class CommerceNotFound(NotFound):
    code = "commerce_not_found"


class CommerceConflict(Conflict):
    code = "commerce_conflict"
