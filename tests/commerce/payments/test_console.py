"""Finance's payment pages in the console over real HTTP (the console shell's world):
transfers to confirm with the bank reference or reject, the order's ledger with a
refund form, the receipt served no-store; dealers cannot open them."""

from __future__ import annotations

import datetime as dt
import re

from tests.commerce.payments.test_ledger import RECEIPT
from tests.console import conftest as shell
from tests.console.conftest import ConsoleLive
from veriseal.accounts.models import SYSTEM
from veriseal_commerce.payable import Payable
from veriseal_commerce.service import of

console = shell.console  # the console shell's fixture, used here by its name
BASE = "/console/commerce/payments"


async def _transfer(console: ConsoleLive, amount: int) -> int:
    accounts = console.engine.accounts
    user = await accounts.user(SYSTEM, console.user_ids["distributor"])
    who = await accounts.principal(user)
    brand = await console.engine.brand(None)
    payable = Payable(4242, "SO-4242", brand.id, console.orgs["dist"], amount, "CNY", "SO-4242",
                      dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))  # fmt: skip
    commerce = of(console.engine.plugins.context("commerce"))
    svc = commerce.payments
    if commerce.orders.on_payment in svc.listeners:
        # the console world has no orders: these payables stand alone (the pages are
        # finance's; orders' own listener is exercised by tests/commerce/payments)
        svc.listeners.remove(commerce.orders.on_payment)
    return (await svc.start_transfer(who, payable, RECEIPT)).payment.id


async def test_finance_confirms_a_transfer_and_refunds_part(console: ConsoleLive) -> None:
    pid = await _transfer(console, 12000)
    admin = await console.client("brand_admin")
    status, page = await admin.get(f"{BASE}/transfers")
    assert status == 200 and f'data-transfer="{pid}"' in page
    receipt = re.search(rf'href="({BASE}/receipts/\d+)"', page)
    assert receipt is not None
    r = await admin.raw("GET", receipt.group(1))
    assert r.status == 200 and r.headers["Cache-Control"] == "no-store"
    assert r.headers["Content-Type"].startswith("image/png")
    assert r.headers["Content-Length"] == str(len(RECEIPT.data))
    status, page = await admin.post(f"{BASE}/{pid}/confirm", {"bank_reference": "  "})
    assert status == 400 and 'role="alert"' in page
    status, page = await admin.post(f"{BASE}/{pid}/confirm", {"bank_reference": "ICBC-77"})
    assert status == 200 and f'data-transfer="{pid}"' not in page
    status, page = await admin.post(f"{BASE}/{pid}/confirm", {"bank_reference": "ICBC-77"})
    assert status == 409 and 'role="alert"' in page
    form = {"out_refund_no": "R-1", "amount": "30.5", "reason": "破损"}
    status, page = await admin.post(f"{BASE}/{pid}/refunds", form)
    assert status == 200 and "ICBC-77" in page and "R-1" in page
    form = {"out_refund_no": "R-2", "amount": "90", "reason": ""}
    status, page = await admin.post(f"{BASE}/{pid}/refunds", form)
    assert status == 409 and 'role="alert"' in page
    status, page = await admin.post(f"{BASE}/{pid}/refunds",
                                    {"out_refund_no": "R-3", "amount": "abc"})  # fmt: skip
    assert status == 400
    status, page = await admin.get(f"{BASE}/{pid}")
    assert len(re.findall(r"<tr>", page)) == 6  # header + started, receipt, paid, asked, refunded
    status, page = await admin.get(BASE)
    assert status == 200 and f'data-payment="{pid}"' in page


async def test_dealers_cannot_open_finance_pages(console: ConsoleLive) -> None:
    pid = await _transfer(console, 100)
    dist = await console.client("distributor")
    for path in (BASE, f"{BASE}/transfers", f"{BASE}/{pid}", f"{BASE}/receipts/1"):
        status, _ = await dist.get(path)
        assert status == 403, path
    status, _ = await dist.post(f"{BASE}/{pid}/confirm", {"bank_reference": "X"})
    assert status == 403
