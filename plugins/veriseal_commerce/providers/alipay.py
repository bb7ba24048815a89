"""An Alipay open-platform client (``alipay.trade.precreate``: the payer scans a QR).

Protocol, as Alipay documents it:

- a request is a form POST to the gateway of the common parameters (``app_id``,
  ``method``, ``format=JSON``, ``charset=utf-8``, ``sign_type=RSA2``, ``timestamp``,
  ``version=1.0``, ``notify_url``) and ``biz_content`` (JSON); ``sign`` is SHA256withRSA
  with the app's private key over every non-empty parameter but ``sign``, sorted by
  name, written ``name=value`` and joined with ``&``;
- an answer ``{"<method_with_underscores>_response": {...}, "sign": ...}`` is signed by
  Alipay's key over the exact text of the response node; ``code`` ``10000`` is success;
- an asynchronous notification is a form POST signed over its sorted parameters except
  ``sign`` AND ``sign_type``; ``trade_status=TRADE_SUCCESS`` (or ``TRADE_FINISHED``)
  means paid. It is answered with the literal ``success``; anything else makes Alipay
  retry (about 8 times over 25 hours);
- amounts are decimal strings in yuan (``"12.50"``); refunds are idempotent by
  ``out_request_no``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from cryptography.hazmat.primitives.asymmetric import rsa

from veriseal import InvalidInput
from veriseal_commerce.money import format_amount, parse_amount
from veriseal_commerce.providers.base import (
    Answer,
    Notice,
    NotifyRefused,
    PaymentRequest,
    ProviderError,
    RefundOutcome,
    RefundRequest,
)
from veriseal_commerce.providers.crypto import rsa_sign, rsa_verify

PAID = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
_TIMEOUT = aiohttp.ClientTimeout(total=15)
_CHINA = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class AlipaySettings:
    gateway: str  # https://openapi.alipay.com/gateway.do, or the sandbox
    app_id: str
    private_key: rsa.RSAPrivateKey  # the app's
    alipay_public_key: rsa.RSAPublicKey
    notify_url: str


def signed_text(params: dict[str, str], *, skip: frozenset[str]) -> bytes:
    """What a signature covers: the non-empty parameters not in ``skip``, sorted."""
    pairs = sorted((k, v) for k, v in params.items() if k not in skip and v != "")
    return "&".join(f"{k}={v}" for k, v in pairs).encode()


class Alipay:
    """The client (see the module docstring)."""

    name = "alipay"

    def __init__(self, settings: AlipaySettings) -> None:
        self.s = settings

    def sign_request(self, method: str, biz: dict[str, Any]) -> dict[str, str]:
        """The form of a gateway request, signed."""
        params = {
            "app_id": self.s.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": dt.datetime.now(_CHINA).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "notify_url": self.s.notify_url,
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
        }
        params["sign"] = rsa_sign(signed_text(params, skip=frozenset({"sign"})), self.s.private_key)
        return params

    async def _call(self, method: str, biz: dict[str, Any]) -> dict[str, Any]:
        form = self.sign_request(method, biz)
        try:
            async with (
                aiohttp.ClientSession(timeout=_TIMEOUT) as http,
                http.post(self.s.gateway, data=form) as r,
            ):
                text = await r.text()
        except (aiohttp.ClientError, TimeoutError) as e:
            raise ProviderError(f"Alipay unreachable: {type(e).__name__}") from None
        return self._read_answer(method, text)

    def _read_answer(self, method: str, text: str) -> dict[str, Any]:
        """The response node, after checking Alipay's signature over its exact text."""
        node = method.replace(".", "_") + "_response"
        try:
            doc = json.loads(text)
            exact = _member_text(text, node)
        except ValueError:
            raise ProviderError("Alipay's answer is not JSON") from None
        if exact is None or not rsa_verify(
            exact.encode(), str(doc.get("sign", "")), self.s.alipay_public_key
        ):
            raise ProviderError("Alipay's answer is not signed by Alipay's key")
        body = doc[node]
        if not isinstance(body, dict):
            raise ProviderError("Alipay's answer has no response node")
        return body

    async def create(self, request: PaymentRequest) -> str:
        biz = {
            "out_trade_no": request.out_trade_no,
            "total_amount": format_amount(request.amount, request.currency),
            "subject": request.description[:256],
            "time_expire": request.expires_at_iso,
        }
        body = await self._call("alipay.trade.precreate", biz)
        if body.get("code") != "10000" or not isinstance(body.get("qr_code"), str):
            raise ProviderError(f"Alipay refused the payment: {_why(body)}")
        return str(body["qr_code"])

    async def query(self, out_trade_no: str) -> Notice | None:
        body = await self._call("alipay.trade.query", {"out_trade_no": out_trade_no})
        if body.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return None
        if body.get("code") != "10000":
            raise ProviderError(f"Alipay query failed: {_why(body)}")
        if body.get("trade_status") not in PAID:
            return None
        return _notice({k: str(v) for k, v in body.items()})

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        biz = {
            "out_trade_no": request.out_trade_no,
            "refund_amount": format_amount(request.refund, request.currency),
            "out_request_no": request.out_refund_no,
            "refund_reason": request.reason[:256],
        }
        body = await self._call("alipay.trade.refund", biz)
        if body.get("code") != "10000":
            raise ProviderError(f"Alipay refused the refund: {_why(body)}")
        return RefundOutcome(request.out_refund_no, body.get("fund_change") in ("Y", "N"))

    def parse_notify(self, headers: dict[str, str], body: bytes) -> Notice:
        del headers
        try:
            params = dict(
                parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            )
        except (UnicodeDecodeError, ValueError):
            raise NotifyRefused("the notification is not a form") from None
        text = signed_text(params, skip=frozenset({"sign", "sign_type"}))
        if not rsa_verify(text, params.get("sign", ""), self.s.alipay_public_key):
            raise NotifyRefused("the notification's signature does not verify")
        if params.get("app_id") != self.s.app_id:
            raise NotifyRefused("another app's notification")
        try:
            return _notice(params)
        except (KeyError, ValueError, InvalidInput) as e:
            raise NotifyRefused(f"unreadable notification: {e}") from None

    def answer(self, ok: bool, code: str = "", message: str = "") -> Answer:
        del code, message  # Alipay reads one word: anything but "success" is a retry
        return Answer(200, "text/plain", b"success" if ok else b"fail")


def _notice(params: dict[str, str]) -> Notice:
    try:
        Decimal(params["total_amount"])
    except InvalidOperation:
        raise ValueError("total_amount is not a number") from None
    return Notice(
        out_trade_no=params["out_trade_no"],
        transaction_id=params.get("trade_no", ""),
        amount=parse_amount(params["total_amount"], "CNY"),
        currency="CNY",
        paid=params.get("trade_status") in PAID,
    )


def _member_text(text: str, name: str) -> str | None:
    """The exact text of the top-level member ``name`` of the JSON object ``text``."""
    decoder = json.JSONDecoder()
    key = json.dumps(name)
    at = text.find(key)
    while at != -1:
        rest = text[at + len(key) :].lstrip()
        if rest.startswith(":"):
            value_text = rest[1:].lstrip()
            start = len(text) - len(value_text)
            _, end = decoder.raw_decode(text, start)
            return text[start:end]
        at = text.find(key, at + 1)
    return None


def _why(body: dict[str, Any]) -> str:
    return f"{body.get('code', '')} {body.get('sub_code', '')} {body.get('sub_msg', '')}"[:200]


def china_time(when: dt.datetime) -> str:
    """``2026-12-04 12:00:00`` in China time (Alipay's format)."""
    return when.astimezone(_CHINA).strftime("%Y-%m-%d %H:%M:%S")
