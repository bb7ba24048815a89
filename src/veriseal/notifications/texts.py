"""Messages the system itself writes, in English and Simplified Chinese.

A user's language is not known to this module (the accounts module may add it later),
so :func:`compose` puts both languages in one message: a title ``English / 中文`` and
the two bodies one after the other. Callers with their own text (a promotion written by
a brand) pass it as it is.
"""

from __future__ import annotations

from veriseal.i18n import register, t

register(
    {
        "notify.otp.title": ("Your verification code", "您的验证码"),
        "notify.otp.body": (
            "Your Veriseal code is {code}. It expires in {minutes} minutes."
            " Do not share it with anyone.",
            "您的验证码为 {code}，{minutes} 分钟内有效。请勿告诉他人。",
        ),
        "notify.new_login.title": ("New sign-in to your account", "账号新登录提醒"),
        "notify.new_login.body": (
            "Your account was signed in from {where} on {device} at {at}."
            " If this was not you, change your password now.",
            "您的账号于 {at} 在 {where}（{device}）登录。如非本人操作，请立即修改密码。",
        ),
        "notify.account_locked.title": ("Account locked", "账号已锁定"),
        "notify.account_locked.body": (
            "Too many failed sign-ins: your account is locked until {until}.",
            "登录失败次数过多，您的账号已锁定至 {until}。",
        ),
        "notify.clone_alert.title": ("Suspected copied label", "疑似标签被复制"),
        "notify.clone_alert.body": (
            "Code {code} looks copied: {reason}",
            "码 {code} 疑似被复制：{reason}",
        ),
        # CLI words
        "cli.notify.accepted": (
            "Accepted message {id} ({n} deliveries queued)",
            "已受理消息 {id}（{n} 个投递已排队）",
        ),
        "cli.notify.marked": ("{n} message(s) changed", "已更新 {n} 条消息"),
        "cli.notify.delivered": (
            "Claimed {claimed}: {delivered} delivered, {retried} to retry, {failed} failed",
            "领取 {claimed} 条：成功 {delivered}，待重试 {retried}，失败 {failed}",
        ),
        "cli.notify.delivering": ("Delivering", "投递中"),
        "cli.notify.no_senders": (
            "No channel is configured: set [notifications.email] / [notifications.sms] /"
            " [notifications.push] / [notifications.wechat] in the config (webhooks need"
            " nothing)",
            "未配置任何渠道：请在配置中设置 [notifications.email] / [notifications.sms] /"
            " [notifications.push] / [notifications.wechat]（Webhook 无需配置）",
        ),
        "cli.notify.unread": ("{n} unread", "{n} 条未读"),
    }
)


def compose(key: str, **values: object) -> tuple[str, str]:
    """Title and body of the system message ``key`` in both languages."""
    title_en, title_zh = (
        t(f"notify.{key}.title", "en", **values),
        t(f"notify.{key}.title", "zh", **values),
    )
    body_en, body_zh = (
        t(f"notify.{key}.body", "en", **values),
        t(f"notify.{key}.body", "zh", **values),
    )
    return f"{title_en} / {title_zh}", f"{body_en}\n\n{body_zh}"


#: How a bilingual text joins its halves: :func:`veriseal.i18n.bilingual` and titles of
#: :func:`compose` with " / ", bodies of :func:`compose` with a blank line.
_SEPARATORS = (" / ", "\n\n")
#: A half is Chinese when at least this share of its letters are Han characters (an
#: English half may quote a Chinese place or product name).
_HAN_SHARE = 0.3


def _han_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    han = sum(1 for c in letters if "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff")
    return han / len(letters)


def in_language(text: str, lang: str) -> str:
    """The ``lang`` ("zh"/"en") half of a bilingual text, for channels that show one
    language (a phone's notification, a WeChat card). A text is bilingual when ONE
    separator splits it into a Chinese half and a non-Chinese half, in either order
    ("Order shipped / 订单已发货", "订单已发货 / Order shipped"); any other text is
    returned as it is, so nothing is ever lost by guessing."""
    for sep in _SEPARATORS:
        if text.count(sep) != 1:
            continue
        a, b = (part.strip() for part in text.split(sep))
        a_zh, b_zh = _han_share(a) >= _HAN_SHARE, _han_share(b) >= _HAN_SHARE
        if a and b and a_zh != b_zh:
            zh, en = (a, b) if a_zh else (b, a)
            return zh if lang == "zh" else en
    return text
