"""Payment providers from the plugin's settings (``[plugins.commerce.payments.*]``).

::

    [plugins.commerce.payments]
    notify_base_url = "https://shop.example.com"   # where providers POST notifications

    [plugins.commerce.payments.wechatpay]
    base_url = "https://api.mch.weixin.qq.com"
    appid = "wx..."; mchid = "1900000001"; serial_no = "..."
    private_key_file = "keys/apiclient_key.pem"
    platform_keys = { "PLATFORM_SERIAL" = "keys/wechatpay_platform.pem" }
    api_v3_key = "32 characters ..."               # or api_v3_key_file = "keys/..."

    [plugins.commerce.payments.alipay]
    gateway = "https://openapi.alipay.com/gateway.do"
    app_id = "2021..."; private_key_file = "keys/app_private.pem"
    alipay_public_key_file = "keys/alipay_public.pem"

A provider without a table is not offered; a table that cannot be read stops the
start-up with ``payment_settings_invalid``. ``veriseal payments sandbox --keys DIR``
writes keys and prints these tables for its own endpoints (docs/commerce-payments.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from veriseal import ConfigError, register_messages
from veriseal_commerce.providers.alipay import Alipay, AlipaySettings
from veriseal_commerce.providers.base import Provider
from veriseal_commerce.providers.crypto import private_key, public_key
from veriseal_commerce.providers.wechatpay import WechatPay, WechatSettings

register_messages({"error.payment_settings_invalid": ("Invalid payment settings", "支付配置无效")})

NOTIFY_PATH = "/api/v1/commerce/payments/notify/"


class SettingsInvalid(ConfigError):
    code = "payment_settings_invalid"


def providers(config: Mapping[str, Any]) -> list[Provider]:
    """The online providers the settings describe."""
    table = config.get("payments", {})
    if not isinstance(table, Mapping):
        raise SettingsInvalid("[plugins.commerce.payments] is not a table")
    base = str(table.get("notify_base_url", "http://127.0.0.1:8000")).rstrip("/")
    out: list[Provider] = []
    try:
        if "wechatpay" in table:
            out.append(WechatPay(wechat_settings(table["wechatpay"], base + NOTIFY_PATH)))
        if "alipay" in table:
            out.append(Alipay(alipay_settings(table["alipay"], base + NOTIFY_PATH)))
    except (KeyError, ValueError, OSError, TypeError) as e:
        raise SettingsInvalid(f"payment provider settings: {e}") from None
    return out


def wechat_settings(t: Mapping[str, Any], notify: str) -> WechatSettings:
    if "api_v3_key_file" in t:
        key = Path(str(t["api_v3_key_file"])).read_bytes().strip()
    else:
        key = str(t["api_v3_key"]).encode()
    if len(key) != 32:
        raise ValueError("api_v3_key is 32 characters")
    return WechatSettings(
        base_url=str(t["base_url"]),
        appid=str(t["appid"]),
        mchid=str(t["mchid"]),
        serial_no=str(t["serial_no"]),
        private_key=private_key(t["private_key_file"]),
        platform_keys={str(s): public_key(f) for s, f in dict(t["platform_keys"]).items()},
        api_v3_key=key,
        notify_url=notify + "wechatpay",
    )


def alipay_settings(t: Mapping[str, Any], notify: str) -> AlipaySettings:
    return AlipaySettings(
        gateway=str(t["gateway"]),
        app_id=str(t["app_id"]),
        private_key=private_key(t["private_key_file"]),
        alipay_public_key=public_key(t["alipay_public_key_file"]),
        notify_url=notify + "alipay",
    )
