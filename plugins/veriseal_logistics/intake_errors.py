"""Coded errors of the ways carrier events come in: 快递100 pushes, signed webhooks, CSV
imports and pollers. Each is raised before anything is stored."""

from __future__ import annotations

from veriseal import Forbidden, InvalidInput, register_messages

register_messages(
    {
        "error.logistics_push_invalid": (
            "The carrier push is malformed",
            "物流推送格式错误",
        ),
        "error.logistics_signature_invalid": (
            "The signature does not match (or is too old, or no secret is set)",
            "签名不匹配（或已过期，或未设置密钥）",
        ),
        "error.logistics_webhook_invalid": (
            "The webhook body is malformed",
            "Webhook 内容格式错误",
        ),
        "error.logistics_csv_invalid": (
            "The events CSV has errors; nothing was imported",
            "物流事件 CSV 有错误，未导入任何内容",
        ),
        "error.logistics_poll_failed": (
            "The carrier query failed",
            "承运商查询失败",
        ),
    }
)


class PushInvalid(InvalidInput):
    """A 快递100 push that is not a form with ``param`` (JSON of the documented shape)
    and ``sign``. ``details.reason`` says what is wrong."""

    code = "logistics_push_invalid"


class SignatureInvalid(Forbidden):
    """A push or webhook whose signature is missing, wrong, outside the allowed clock
    skew, or for a brand that has set no secret (an unsigned receiver would let anyone
    write a brand's timelines)."""

    code = "logistics_signature_invalid"


class WebhookInvalid(InvalidInput):
    code = "logistics_webhook_invalid"


class CsvEventsInvalid(InvalidInput):
    """An events CSV with row errors. ``details.rows``: ``[{"line", "reason"}]``."""

    code = "logistics_csv_invalid"


class PollFailed(InvalidInput):
    """A carrier query that failed (network, an error answer, an unreadable reply)."""

    code = "logistics_poll_failed"


def unstorable(text: str) -> bool:
    """Whether ``text`` holds what no ledger can store: NUL (PostgreSQL refuses it) or an
    unpaired surrogate (not UTF-8 at all). Checked before anything reaches a database."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
