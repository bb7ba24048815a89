"""Property tests: the client's signature checks and decryption against the sandbox's
independent signing and encryption (round trips and tampering), and the ledger
arithmetic against a model written here."""

from __future__ import annotations

import base64
import json
import re
import time
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.commerce.payments.conftest import keyset
from veriseal_commerce.payable import PaymentStatus
from veriseal_commerce.payment_ledger import summary_of, totals
from veriseal_commerce.providers.alipay import Alipay, AlipaySettings
from veriseal_commerce.providers.base import NotifyRefused
from veriseal_commerce.providers.crypto import gcm_decrypt
from veriseal_commerce.providers.wechatpay import WechatPay, WechatSettings
from veriseal_commerce.sandbox import keys as box
from veriseal_commerce.sandbox.server import ALIPAY_APP, MCHID, SERIAL, Sandbox, Trade

KEYS = keyset()
WECHAT = WechatPay(
    WechatSettings("http://127.0.0.1:1", "wx", MCHID, "M1", KEYS.merchant,
                   {SERIAL: KEYS.platform.public_key()}, KEYS.api_v3_key, "http://x/n")
)  # fmt: skip
ALIPAY = Alipay(
    AlipaySettings("http://127.0.0.1:1/gateway.do", ALIPAY_APP, KEYS.app,
                   KEYS.alipay.public_key(), "http://x/n")
)  # fmt: skip
SANDBOX = Sandbox(KEYS)
FAST = settings(max_examples=40, deadline=None)


def _headers(body: str, ts: str | None = None) -> dict[str, str]:
    ts = ts or str(int(time.time()))
    return {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": "n0nce", "Wechatpay-Serial": SERIAL,
            "Wechatpay-Signature": box.sign(KEYS.platform, f"{ts}\nn0nce\n{body}\n")}  # fmt: skip


@FAST
@given(body=st.text(max_size=300), flip=st.integers(min_value=0))
def test_wechat_answers_signed_by_the_platform_verify_and_tampering_fails(
    body: str, flip: int
) -> None:
    headers = _headers(body)
    raw = body.encode()
    assert WECHAT.verify(headers, raw)
    assert WECHAT.verify({k.lower(): v for k, v in headers.items()}, raw)  # any case
    if raw:
        i = flip % len(raw)
        changed = raw[:i] + bytes([raw[i] ^ 1]) + raw[i + 1 :]
        assert not WECHAT.verify(headers, changed)
    assert not WECHAT.verify({**headers, "Wechatpay-Serial": "OTHER"}, raw)
    assert not WECHAT.verify({**headers, "Wechatpay-Nonce": "other"}, raw)


@FAST
@given(plain=st.binary(max_size=500), aad=st.text(max_size=30))
def test_sandbox_encryption_decrypts_and_any_change_is_refused(plain: bytes, aad: str) -> None:
    res = box.seal(KEYS.api_v3_key, aad, plain)
    assert gcm_decrypt(KEYS.api_v3_key, res["nonce"], aad, res["ciphertext"]) == plain
    with pytest.raises(ValueError):
        gcm_decrypt(KEYS.api_v3_key, res["nonce"], aad + "x", res["ciphertext"])
    raw = bytearray(base64.b64decode(res["ciphertext"]))
    raw[len(raw) // 2] ^= 0x80
    with pytest.raises(ValueError):
        gcm_decrypt(KEYS.api_v3_key, res["nonce"], aad, base64.b64encode(raw).decode())
    with pytest.raises(ValueError):
        gcm_decrypt(b"k" * 32, res["nonce"], aad, res["ciphertext"])


@FAST
@given(
    fen=st.integers(min_value=1, max_value=10**10),
    no=st.from_regex(r"[0-9a-f]{32}", fullmatch=True),
)
def test_notifications_from_the_sandbox_read_back_exactly(fen: int, no: str) -> None:
    trade = Trade("wechatpay", no, fen, "", paid=fen, transaction_id="42abc")
    headers, body = SANDBOX.wechat_notification(trade)
    notice = WECHAT.parse_notify(headers, body)
    assert (notice.out_trade_no, notice.amount, notice.paid, notice.transaction_id) == (
        no, fen, True, "42abc")  # fmt: skip
    ali = Trade("alipay", no, fen, "", paid=fen, transaction_id="2026x")
    headers, body = SANDBOX.alipay_notification(ali)
    notice = ALIPAY.parse_notify(headers, body)
    assert (notice.out_trade_no, notice.amount, notice.paid) == (no, fen, True)
    # the amount rewritten after signing: refused
    other = f"total_amount={(fen + 1) // 100}.{(fen + 1) % 100:02d}".encode()
    forged = re.sub(rb"total_amount=[0-9.]+", other, body)
    assert forged != body
    with pytest.raises(NotifyRefused):
        ALIPAY.parse_notify({}, forged)


@FAST
@given(biz=st.dictionaries(st.sampled_from(["out_trade_no", "subject", "total_amount"]),
                           st.text(min_size=1, max_size=40)))  # fmt: skip
def test_client_requests_verify_with_the_sandboxs_own_reading(biz: dict[str, str]) -> None:
    form = ALIPAY.sign_request("alipay.trade.query", biz)
    text = "&".join(f"{k}={form[k]}" for k in sorted(form) if k != "sign" and form[k])
    assert box.check(KEYS.app.public_key(), text, form["sign"])
    assert json.loads(form["biz_content"]) == biz
    body = json.dumps(biz)
    header = WECHAT.authorization("POST", "/v3/pay/transactions/native", body)
    fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
    signed = (f"POST\n/v3/pay/transactions/native\n{fields['timestamp']}\n"
              f"{fields['nonce_str']}\n{body}\n")  # fmt: skip
    assert header.startswith("WECHATPAY2-SHA256-RSA2048 ")
    assert box.check(KEYS.merchant.public_key(), signed, fields["signature"])
    assert not box.check(KEYS.merchant.public_key(), signed + " ", fields["signature"])


def test_an_alipay_notification_signed_over_sign_type_too_is_still_read_correctly() -> None:
    """Alipay leaves ``sign_type`` out of a notification's signature (unlike requests)."""
    params = {"app_id": ALIPAY_APP, "out_trade_no": "A1", "trade_status": "TRADE_SUCCESS",
              "total_amount": "1.00", "sign_type": "RSA2"}  # fmt: skip
    with_type = "&".join(f"{k}={params[k]}" for k in sorted(params))
    params["sign"] = box.sign(KEYS.alipay, with_type)
    with pytest.raises(NotifyRefused):
        ALIPAY.parse_notify({}, urlencode(params).encode())


# -- ledger arithmetic against a model -----------------------------------------------------
class E:
    def __init__(self, kind: str, amount: int) -> None:
        self.kind, self.amount = kind, amount


ops = st.lists(
    st.tuples(st.sampled_from(["pay", "ask", "fail", "done"]), st.integers(1, 5000)),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(ops=ops, due=st.integers(1, 20000))
def test_refunds_never_exceed_paid_and_the_status_follows(
    ops: list[tuple[str, int]], due: int
) -> None:
    entries: list[E] = []
    pending: list[int] = []  # amounts asked, neither done nor failed (the model's own books)
    paid = refunded = 0
    for op, amount in ops:
        if op == "pay":
            entries.append(E("captured", amount))
            paid += amount
        elif op == "ask":
            room = paid - refunded - sum(pending)
            assert (totals(entries).refundable >= amount) == (room >= amount)
            if room >= amount:
                entries.append(E("refund_requested", amount))
                pending.append(amount)
        elif pending and op == "fail":
            entries.append(E("refund_failed", pending.pop()))
        elif pending and op == "done":
            done = pending.pop(0)
            entries.append(E("refunded", done))
            refunded += done
        t = totals(entries)
        assert (t.paid, t.refunded) == (paid, refunded)
        assert 0 <= t.refunded <= t.reserved <= t.paid
    s = summary_of(due, "CNY", entries)
    if refunded and refunded >= paid:
        want = PaymentStatus.REFUNDED
    elif refunded:
        want = PaymentStatus.PARTIALLY_REFUNDED
    elif paid == 0:
        want = PaymentStatus.UNPAID
    else:
        want = {-1: PaymentStatus.PARTIALLY_PAID, 0: PaymentStatus.PAID,
                1: PaymentStatus.OVER_PAID}[(paid > due) - (paid < due)]  # fmt: skip
    assert s.status is want
    assert s.outstanding == max(0, due - paid)
