"""The sandbox server (see the package docstring).

Endpoints, as the real providers shape them:

- WeChat Pay: ``POST /v3/pay/transactions/native``, ``GET
  /v3/pay/transactions/out-trade-no/{no}?mchid=``, ``POST /v3/refund/domestic/refunds``:
  each request's ``Authorization`` is checked against the merchant's public key; each
  answer is signed with the platform key (``Wechatpay-*`` headers).
- Alipay: ``POST /gateway.do`` with ``method`` ``alipay.trade.precreate`` / ``.query``
  / ``.refund`` (idempotent by ``out_request_no``), checked against the app's public
  key, answered with the response node signed by the sandbox's Alipay key.
- Control: ``POST /sandbox/pay`` ``{"provider", "out_trade_no", "amount"?,
  "duplicates"?}`` plays the buyer paying (``amount`` other than the order's to test a
  mismatch) and starts the notifications; ``GET /sandbox/deliveries`` lists every
  notification sent with the answer it got.

Notifications are retried until answered (WeChat: 2xx; Alipay: the body ``success``)
on the providers' schedules multiplied by ``time_scale`` (1.0 in a demo, 0.001 in
tests); each attempt sends ``duplicates`` copies at once, as providers do now and then.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from veriseal_commerce.sandbox.keys import KeySet, check, seal, sign

#: seconds after the first notification: 15s, 15s, 30s, 3m, 10m, 20m, 30m x3, 60m,
#: 3h x3, 6h x2 (WeChat Pay's documented retry intervals)
WECHAT_RETRIES = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600,
                  10800, 10800, 10800, 21600, 21600)  # fmt: skip
#: Alipay: 4m, 10m, 10m, 1h, 2h, 6h, 15h (8 notifications over about 25 hours)
ALIPAY_RETRIES = (240, 600, 600, 3600, 7200, 21600, 54000)
MCHID, APPID, SERIAL, ALIPAY_APP = (
    "1900000001",
    "wxsandbox0001",
    "SANDBOXPLATFORM01",
    "2021000000000001",
)
_AUTH = re.compile(r'(\w+)="([^"]*)"')


@dataclass
class Trade:
    provider: str
    out_trade_no: str
    amount: int  # 分
    notify_url: str
    paid: int | None = None  # what the buyer paid, once paid
    transaction_id: str = ""
    refunds: dict[str, int] = field(default_factory=dict)


@dataclass
class Sandbox:
    keys: KeySet
    time_scale: float = 1.0
    duplicates: int = 1
    trades: dict[tuple[str, str], Trade] = field(default_factory=dict)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    # -- WeChat Pay -----------------------------------------------------------------------
    def _wechat_caller_ok(self, request: web.Request, body: str) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("WECHATPAY2-SHA256-RSA2048 "):
            return False
        f = dict(_AUTH.findall(header))
        if f.get("mchid") != MCHID or abs(time.time() - int(f.get("timestamp", "0") or 0)) > 300:
            return False
        ts, nonce = f.get("timestamp", ""), f.get("nonce_str", "")
        text = f"{request.method}\n{request.path_qs}\n{ts}\n{nonce}\n{body}\n"
        return check(self.keys.merchant.public_key(), text, f.get("signature", ""))

    def _wechat_signed(self, status: int, doc: dict[str, Any] | None) -> web.Response:
        body = "" if doc is None else json.dumps(doc, ensure_ascii=False)
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        headers = {
            "Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce, "Wechatpay-Serial": SERIAL,
            "Wechatpay-Signature": sign(self.keys.platform, f"{ts}\n{nonce}\n{body}\n"),
        }  # fmt: skip
        return web.Response(status=status, text=body, headers=headers,
                            content_type="application/json")  # fmt: skip

    async def wechat_native(self, request: web.Request) -> web.Response:
        body = await request.text()
        if not self._wechat_caller_ok(request, body):
            return self._wechat_signed(401, {"code": "SIGN_ERROR", "message": "bad signature"})
        doc = json.loads(body)
        no = doc["out_trade_no"]
        if len(no) > 32 or doc["mchid"] != MCHID or not isinstance(doc["amount"]["total"], int):
            return self._wechat_signed(400, {"code": "PARAM_ERROR", "message": "bad request"})
        trade = self.trades.setdefault(
            ("wechatpay", no), Trade("wechatpay", no, doc["amount"]["total"], doc["notify_url"])
        )
        return self._wechat_signed(
            200, {"code_url": f"weixin://wxpay/bizpayurl?pr={trade.out_trade_no[:12]}"}
        )

    def _wechat_transaction(self, t: Trade) -> dict[str, Any]:
        paid = t.paid if t.paid is not None else t.amount
        return {
            "appid": APPID, "mchid": MCHID, "out_trade_no": t.out_trade_no,
            "transaction_id": t.transaction_id,
            "trade_state": "SUCCESS" if t.paid is not None else "NOTPAY",
            "trade_type": "NATIVE",
            "amount": {"total": paid, "payer_total": paid, "currency": "CNY",
                       "payer_currency": "CNY"},
            "success_time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }  # fmt: skip

    async def wechat_query(self, request: web.Request) -> web.Response:
        if not self._wechat_caller_ok(request, ""):
            return self._wechat_signed(401, {"code": "SIGN_ERROR", "message": "bad signature"})
        t = self.trades.get(("wechatpay", request.match_info["no"]))
        if t is None:
            return self._wechat_signed(404, {"code": "ORDER_NOT_EXIST", "message": "no such order"})
        return self._wechat_signed(200, self._wechat_transaction(t))

    async def wechat_refund(self, request: web.Request) -> web.Response:
        body = await request.text()
        if not self._wechat_caller_ok(request, body):
            return self._wechat_signed(401, {"code": "SIGN_ERROR", "message": "bad signature"})
        doc = json.loads(body)
        t = self.trades.get(("wechatpay", doc["out_trade_no"]))
        if t is None or t.paid is None:
            return self._wechat_signed(404, {"code": "RESOURCE_NOT_EXISTS", "message": "not paid"})
        no, amount = doc["out_refund_no"], doc["amount"]["refund"]
        if no not in t.refunds:
            if amount + sum(t.refunds.values()) > t.paid:
                return self._wechat_signed(403, {"code": "NOT_ENOUGH", "message": "too much"})
            t.refunds[no] = amount
        return self._wechat_signed(200, {
            "refund_id": f"50{secrets.token_hex(8)}", "out_refund_no": no,
            "out_trade_no": t.out_trade_no, "status": "SUCCESS",
            "amount": {"refund": t.refunds[no], "total": t.amount, "currency": "CNY"},
        })  # fmt: skip

    def wechat_notification(self, t: Trade) -> tuple[dict[str, str], bytes]:
        plain = json.dumps(self._wechat_transaction(t)).encode()
        doc = {
            "id": secrets.token_hex(8), "create_time": dt.datetime.now(dt.UTC).isoformat(),
            "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功", "resource": seal(self.keys.api_v3_key, "transaction", plain),
        }  # fmt: skip
        body = json.dumps(doc, ensure_ascii=False)
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        headers = {
            "Content-Type": "application/json", "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": nonce, "Wechatpay-Serial": SERIAL,
            "Wechatpay-Signature": sign(self.keys.platform, f"{ts}\n{nonce}\n{body}\n"),
        }  # fmt: skip
        return headers, body.encode()

    # -- Alipay ---------------------------------------------------------------------------
    @staticmethod
    def _content(params: dict[str, str], skip: tuple[str, ...]) -> str:
        return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in skip and params[k])

    def _alipay_answer(self, method: str, node: dict[str, Any]) -> web.Response:
        inner = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        name = method.replace(".", "_") + "_response"
        text = f'{{"{name}":{inner},"sign":"{sign(self.keys.alipay, inner)}"}}'
        return web.Response(text=text, content_type="application/json")

    async def alipay_gateway(self, request: web.Request) -> web.Response:
        params = {k: str(v) for k, v in (await request.post()).items()}
        method = params.get("method", "")
        if not check(self.keys.app.public_key(), self._content(params, ("sign",)),
                     params.get("sign", "")) or params.get("app_id") != ALIPAY_APP:  # fmt: skip
            return self._alipay_answer(method, {"code": "40002", "msg": "Invalid Arguments",
                                                "sub_code": "isv.invalid-signature"})  # fmt: skip
        biz = json.loads(params.get("biz_content", "{}"))
        handler = {"alipay.trade.precreate": self._precreate, "alipay.trade.query": self._query,
                   "alipay.trade.refund": self._refund}.get(method)  # fmt: skip
        if handler is None:
            return self._alipay_answer(method, {"code": "40004", "sub_code": "isv.invalid-method"})
        return self._alipay_answer(method, handler(biz, params))

    def _precreate(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        no = biz["out_trade_no"]
        amount = int(Decimal(biz["total_amount"]) * 100)
        self.trades.setdefault(("alipay", no), Trade("alipay", no, amount, params["notify_url"]))
        return {"code": "10000", "msg": "Success", "out_trade_no": no,
                "qr_code": f"https://qr.alipay.com/sandbox{no[:12]}"}  # fmt: skip

    def _query(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        t = self.trades.get(("alipay", biz.get("out_trade_no", "")))
        if t is None:
            return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"}
        return {"code": "10000", "msg": "Success", "out_trade_no": t.out_trade_no,
                "trade_no": t.transaction_id,
                "trade_status": "TRADE_SUCCESS" if t.paid is not None else "WAIT_BUYER_PAY",
                "total_amount": _yuan(t.paid if t.paid is not None else t.amount)}  # fmt: skip

    def _refund(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        t = self.trades.get(("alipay", biz.get("out_trade_no", "")))
        if t is None or t.paid is None:
            return {"code": "40004", "sub_code": "ACQ.TRADE_NOT_EXIST"}
        no = biz.get("out_request_no") or t.out_trade_no
        amount = int(Decimal(biz["refund_amount"]) * 100)
        fresh = no not in t.refunds
        if fresh:
            if amount + sum(t.refunds.values()) > t.paid:
                return {"code": "40004", "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"}
            t.refunds[no] = amount
        return {"code": "10000", "msg": "Success", "out_trade_no": t.out_trade_no,
                "trade_no": t.transaction_id, "fund_change": "Y" if fresh else "N",
                "refund_fee": _yuan(sum(t.refunds.values()))}  # fmt: skip

    def alipay_notification(self, t: Trade) -> tuple[dict[str, str], bytes]:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        params = {
            "notify_time": now, "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(12), "app_id": ALIPAY_APP, "charset": "utf-8",
            "version": "1.0", "trade_no": t.transaction_id, "out_trade_no": t.out_trade_no,
            "trade_status": "TRADE_SUCCESS", "total_amount": _yuan(t.paid or 0),
            "gmt_payment": now,
        }  # fmt: skip
        params["sign"] = sign(self.keys.alipay, self._content(params, ()))
        params["sign_type"] = "RSA2"
        return ({"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                urlencode(params).encode())  # fmt: skip

    # -- the buyer and the notifications --------------------------------------------------
    async def pay(self, request: web.Request) -> web.Response:
        doc = await request.json()
        t = self.trades.get((doc.get("provider", ""), doc.get("out_trade_no", "")))
        if t is None:
            return web.json_response({"error": "no such trade"}, status=404)
        t.paid = int(doc.get("amount", t.amount))
        t.transaction_id = t.transaction_id or f"42{secrets.token_hex(10)}"
        if doc.get("notify", True):
            task = asyncio.create_task(
                self._deliver(t, int(doc.get("duplicates", self.duplicates)))
            )
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return web.json_response({"transaction_id": t.transaction_id, "paid": t.paid})

    async def _deliver(self, t: Trade, copies: int) -> None:
        schedule = WECHAT_RETRIES if t.provider == "wechatpay" else ALIPAY_RETRIES
        build = self.wechat_notification if t.provider == "wechatpay" else self.alipay_notification
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            for attempt, delay in enumerate((0, *schedule)):
                await asyncio.sleep(delay * self.time_scale)
                results = await asyncio.gather(
                    *(self._send(http, t, build, attempt) for _ in range(max(1, copies)))
                )
                if any(results):
                    return

    async def _send(self, http: aiohttp.ClientSession, t: Trade, build: Any, attempt: int) -> bool:
        headers, body = build(t)
        try:
            async with http.post(t.notify_url, data=body, headers=headers) as r:
                text = await r.text()
                ok = (text == "success") if t.provider == "alipay" else 200 <= r.status < 300
                status = r.status
        except (aiohttp.ClientError, TimeoutError) as e:
            ok, status, text = False, 0, type(e).__name__
        self.deliveries.append({"provider": t.provider, "out_trade_no": t.out_trade_no,
                                "attempt": attempt, "status": status, "ok": ok,
                                "answer": text[:200]})  # fmt: skip
        return ok

    async def list_deliveries(self, request: web.Request) -> web.Response:
        return web.json_response(self.deliveries)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def make_sandbox_app(sandbox: Sandbox) -> web.Application:
    """The sandbox as an aiohttp application (tests serve it on loopback)."""
    app = web.Application()
    app.router.add_post("/v3/pay/transactions/native", sandbox.wechat_native)
    app.router.add_get("/v3/pay/transactions/out-trade-no/{no}", sandbox.wechat_query)
    app.router.add_post("/v3/refund/domestic/refunds", sandbox.wechat_refund)
    app.router.add_post("/gateway.do", sandbox.alipay_gateway)
    app.router.add_post("/sandbox/pay", sandbox.pay)
    app.router.add_get("/sandbox/deliveries", sandbox.list_deliveries)

    async def stop(_app: web.Application) -> None:
        await sandbox.close()

    app.on_cleanup.append(stop)
    return app


def settings_toml(keys_dir: str, base_url: str, notify_base_url: str) -> str:
    """The ``[plugins.commerce.payments.*]`` tables that point a Veriseal at a sandbox."""
    return f"""[plugins.commerce.payments]
notify_base_url = "{notify_base_url}"

[plugins.commerce.payments.wechatpay]
base_url = "{base_url}"
appid = "{APPID}"
mchid = "{MCHID}"
serial_no = "SANDBOXMERCHANT01"
private_key_file = "{keys_dir}/merchant_key.pem"
platform_keys = {{ "{SERIAL}" = "{keys_dir}/platform_public.pem" }}
api_v3_key_file = "{keys_dir}/api_v3_key"

[plugins.commerce.payments.alipay]
gateway = "{base_url}/gateway.do"
app_id = "{ALIPAY_APP}"
private_key_file = "{keys_dir}/app_key.pem"
alipay_public_key_file = "{keys_dir}/alipay_public.pem"
"""
