"""A WeChat Pay API v3 client (Native pay: the payer scans a ``code_url``).

Protocol, as WeChat Pay documents it:

- every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="..",
  nonce_str="..",signature="..",timestamp="..",serial_no=".."``; the signature is
  SHA256withRSA, with the merchant's private key, over
  ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``;
- every answer and notification carries ``Wechatpay-Timestamp``, ``Wechatpay-Nonce``,
  ``Wechatpay-Signature`` and ``Wechatpay-Serial``: the signature covers
  ``TIMESTAMP\\nNONCE\\nBODY\\n`` with the platform key the serial names; an answer or
  notification that does not verify is not read;
- a notification's ``resource`` is AEAD_AES_256_GCM under the 32-byte API v3 key with
  its ``nonce`` and ``associated_data``; it is answered 204 (received) or 4xx/5xx with
  ``{"code": "FAIL", "message": ...}`` (WeChat retries);
- amounts are integers in 分; ``out_trade_no`` is at most 32 characters.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from cryptography.hazmat.primitives.asymmetric import rsa

from veriseal_commerce.providers.base import (
    Answer,
    Notice,
    NotifyRefused,
    PaymentRequest,
    ProviderError,
    RefundOutcome,
    RefundRequest,
)
from veriseal_commerce.providers.crypto import gcm_decrypt, rsa_sign, rsa_verify

SCHEME = "WECHATPAY2-SHA256-RSA2048"
MAX_SKEW = 300  # seconds: an older signed timestamp is a replay
_TIMEOUT = aiohttp.ClientTimeout(total=15)


@dataclass(frozen=True)
class WechatSettings:
    base_url: str  # https://api.mch.weixin.qq.com, or the sandbox
    appid: str
    mchid: str
    serial_no: str  # the serial of the merchant's API certificate
    private_key: rsa.RSAPrivateKey
    platform_keys: dict[str, rsa.RSAPublicKey]  # by Wechatpay-Serial
    api_v3_key: bytes  # 32 bytes
    notify_url: str


class WechatPay:
    """The client (see the module docstring)."""

    name = "wechatpay"

    def __init__(self, settings: WechatSettings) -> None:
        self.s = settings

    def authorization(self, method: str, path: str, body: str) -> str:
        """The ``Authorization`` header of a request to ``path`` (with its query)."""
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        message = f"{method}\n{path}\n{ts}\n{nonce}\n{body}\n".encode()
        sig = rsa_sign(message, self.s.private_key)
        return (
            f'{SCHEME} mchid="{self.s.mchid}",nonce_str="{nonce}",signature="{sig}",'
            f'timestamp="{ts}",serial_no="{self.s.serial_no}"'
        )

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        """True iff ``body`` is signed by the platform key its serial names, recently."""
        h = {k.lower(): v for k, v in headers.items()}
        key = self.s.platform_keys.get(h.get("wechatpay-serial", ""))
        ts, nonce = h.get("wechatpay-timestamp", ""), h.get("wechatpay-nonce", "")
        if key is None or not ts.isdigit() or abs(time.time() - int(ts)) > MAX_SKEW:
            return False
        message = ts.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
        return rsa_verify(message, h.get("wechatpay-signature", ""), key)

    async def _call(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        body = "" if payload is None else json.dumps(payload, ensure_ascii=False)
        headers = {
            "Authorization": self.authorization(method, path, body),
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        try:
            async with aiohttp.ClientSession(timeout=_TIMEOUT) as http:
                url = self.s.base_url.rstrip("/") + path
                async with http.request(method, url, data=body.encode(), headers=headers) as r:
                    raw = await r.read()
                    answer_headers = dict(r.headers)
                    status = r.status
        except (aiohttp.ClientError, TimeoutError) as e:
            raise ProviderError(f"WeChat Pay unreachable: {type(e).__name__}") from None
        if not self.verify(answer_headers, raw):
            raise ProviderError("WeChat Pay's answer is not signed by the platform key")
        return status, json.loads(raw) if raw else {}

    async def create(self, request: PaymentRequest) -> str:
        payload = {
            "appid": self.s.appid,
            "mchid": self.s.mchid,
            "description": request.description[:127],
            "out_trade_no": request.out_trade_no,
            "time_expire": request.expires_at_iso,
            "notify_url": self.s.notify_url,
            "amount": {"total": request.amount, "currency": request.currency},
        }
        status, doc = await self._call("POST", "/v3/pay/transactions/native", payload)
        if status != 200 or not isinstance(doc.get("code_url"), str):
            raise ProviderError(f"WeChat Pay refused the payment: {_why(doc)}")
        return str(doc["code_url"])

    async def query(self, out_trade_no: str) -> Notice | None:
        path = (
            f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}"
            f"?mchid={quote(self.s.mchid, safe='')}"
        )
        status, doc = await self._call("GET", path)
        if status == 404:
            return None
        if status != 200:
            raise ProviderError(f"WeChat Pay query failed: {_why(doc)}")
        if doc.get("trade_state") != "SUCCESS":
            return None
        return _notice(doc)

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        payload = {
            "out_trade_no": request.out_trade_no,
            "out_refund_no": request.out_refund_no,
            "reason": request.reason[:80],
            "amount": {
                "refund": request.refund,
                "total": request.total,
                "currency": request.currency,
            },
        }
        status, doc = await self._call("POST", "/v3/refund/domestic/refunds", payload)
        if status != 200 or doc.get("status") not in ("SUCCESS", "PROCESSING"):
            raise ProviderError(f"WeChat Pay refused the refund: {_why(doc)}")
        return RefundOutcome(str(doc.get("refund_id", "")), doc["status"] == "SUCCESS")

    def parse_notify(self, headers: dict[str, str], body: bytes) -> Notice:
        if not self.verify(headers, body):
            raise NotifyRefused("the notification's signature does not verify")
        try:
            doc = json.loads(body)
            res = doc["resource"]
            if res["algorithm"] != "AEAD_AES_256_GCM":
                raise ValueError("unknown algorithm")
            plain = gcm_decrypt(
                self.s.api_v3_key, res["nonce"], res.get("associated_data", ""),
                res["ciphertext"],
            )  # fmt: skip
            tx = json.loads(plain)
            if tx.get("mchid") != self.s.mchid:
                raise ValueError("another merchant's notification")
            return _notice(tx)
        except (ValueError, KeyError, TypeError) as e:
            raise NotifyRefused(f"unreadable notification: {e}") from None

    def answer(self, ok: bool, code: str = "", message: str = "") -> Answer:
        if ok:
            return Answer(204, "application/json", b"")
        doc = {"code": "FAIL", "message": message or code}
        status = 401 if code == "payment_notify_refused" else 400
        return Answer(status, "application/json", json.dumps(doc).encode())


def _notice(tx: dict[str, Any]) -> Notice:
    amount = tx["amount"]
    paid = amount["total"]  # the order's total as the provider charged it
    if not isinstance(paid, int) or isinstance(paid, bool):
        raise ValueError("amount is not an integer")
    return Notice(
        out_trade_no=str(tx["out_trade_no"]),
        transaction_id=str(tx.get("transaction_id", "")),
        amount=paid,
        currency=str(amount.get("currency", "CNY")),
        paid=tx.get("trade_state") == "SUCCESS",
    )


def _why(doc: Any) -> str:
    if isinstance(doc, dict):
        return f"{doc.get('code', '')} {doc.get('message', '')}".strip()[:200]
    return "no answer"


def rfc3339(when: dt.datetime) -> str:
    """``2026-12-04T12:00:00+08:00`` (WeChat Pay's time format, China time)."""
    return when.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")
