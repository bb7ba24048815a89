"""What the accounts module tells people, and the seam to the notification system.

The accounts service does not know about SMTP or SMS: it calls an
:class:`AccountNotifier`; the engine wires the one in
:mod:`veriseal.accounts.notify_bridge`, which goes through the notification outbox
(durable, retried until delivered).
"""

from __future__ import annotations

from typing import Protocol

from veriseal.accounts.models import User
from veriseal.i18n import register

register(
    {
        "account.code": (
            "Your Veriseal verification code is {code}. It expires in {minutes} minutes;"
            " never share it.",
            "您的 Veriseal 验证码为 {code}，{minutes} 分钟内有效，请勿告诉他人。",
        ),
        "account.code_title": ("Verification code", "验证码"),
        "account.locked": (
            "{n} failed sign-in attempts: your account is locked for {minutes} minutes."
            " If this was not you, change your password.",
            "登录失败 {n} 次，账号已锁定 {minutes} 分钟。如非本人操作，请修改密码。",
        ),
        "account.new_login": (
            "Your account was signed in from a new {what} ({client}) at {at}."
            " If this was not you, change your password and revoke your tokens.",
            "您的账号于 {at} 在新的{what_zh}（{client}）登录。如非本人操作，请修改密码并吊销令牌。",
        ),
        "account.password_changed": (
            "Your password was changed. If this was not you, reset it at once.",
            "您的密码已修改。如非本人操作，请立即重置密码。",
        ),
        "account.kyc_approved": (
            "Your real-name verification was approved.",
            "您的实名认证已通过。",
        ),
        "account.kyc_rejected": (
            "Your real-name verification was rejected: {reason}",
            "您的实名认证未通过：{reason}",
        ),
    }
)


class AccountNotifier(Protocol):
    async def send_code(self, destination: str, purpose: str, code: str, minutes: int) -> None:
        """Deliver a one-time code to an e-mail address or phone number (no user may
        exist yet). MUST NOT log the code anywhere an operator reads casually."""

    async def security_notice(self, user: User, key: str, **values: object) -> None:
        """Tell ``user`` about a security event (``account.*`` message ``key``). Security
        notices are never held by do-not-disturb."""
