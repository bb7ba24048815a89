"""The code-tracked stock pages on a real console server (tests/console/conftest.py):
brand staff scan goods in on the phone form, a dealer scanning the same code into its
own warehouse is refused and sees the alert with its evidence, the lookup says where a
code is, and the dealer closes the alert."""

from __future__ import annotations

from tests.console import conftest as shell
from tests.console.conftest import ConsoleLive

console = shell.console  # the console shell's fixture, used here by its name


async def test_scan_in_duplicate_alert_and_lookup(console: ConsoleLive) -> None:
    code = console.codes[0].uri
    admin = await console.client("brand_admin")
    status, page = await admin.get("/console/inventory/scan")
    # no warehouse yet: the brand's default one (MAIN) is made by the first receipt
    assert status == 200 and 'data-scanner="multi"' in page and '<option value="">' in page
    status, page = await admin.post("/console/inventory/scan", {
        "direction": "receive", "warehouse": "", "codes": code + "\n", "document": "GRN-1",
        "client_id": "console-t1"})  # fmt: skip
    assert status == 200 and 'id="scan-result"' in page and "MAIN" in page, page[-2000:]
    dist = await console.client("distributor")
    status, page = await dist.get("/console/inventory/scan")
    assert status == 200 and '<option value="">' in page  # its own, made on first receipt
    assert 'value="MAIN"' not in page
    status, page = await dist.post("/console/inventory/scan", {
        "direction": "receive", "warehouse": "", "code": code})  # fmt: skip
    assert status == 409 and "stock_duplicate_code" in page and "MAIN" in page
    status, page = await dist.get("/console/inventory/code-alerts")
    assert status == 200 and 'id="alert-1"' in page and "scanned_by" in page
    other = await console.client("distributor2")
    status, page = await other.get("/console/inventory/code-alerts")
    assert status == 200 and 'id="alert-1"' not in page and 'id="no-alerts"' in page
    status, page = await admin.get("/console/inventory/where", params={"code": code})
    assert status == 200 and 'id="where-result"' in page and "MAIN" in page
    status, page = await admin.get("/console/inventory/where", params={"code": "nonsense"})
    assert status == 400 and 'id="where-error"' in page
    status, page = await dist.post("/console/inventory/code-alerts/1/close", {"note": "mistake"})
    assert status == 200 and 'id="no-alerts"' in page  # the open list is empty now
    status, page = await dist.get("/console/inventory/code-alerts", params={"status": "closed"})
    assert 'id="alert-1"' in page and "mistake" in page
    # issuing by scan takes the unit out of MAIN
    status, page = await admin.post("/console/inventory/scan", {
        "direction": "issue", "warehouse": "MAIN", "code": code})  # fmt: skip
    assert status == 200 and 'id="scan-result"' in page
    status, page = await admin.get("/console/inventory/where", params={"code": code})
    assert "Not in stock anywhere" in page or "不在任何库存中" in page
