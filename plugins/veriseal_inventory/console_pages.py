"""``/console/inventory/...``: menu entries and views of the inventory plugin. Each
area's views live in its own ``console_*`` module; these lists join them."""

from __future__ import annotations

from veriseal.extend import ConsolePage, ConsoleView
from veriseal_inventory import console_alerts as alerts
from veriseal_inventory import console_codes as codes
from veriseal_inventory import console_inbound as inbound
from veriseal_inventory import console_outbound as outbound
from veriseal_inventory import console_stock as stock
from veriseal_inventory import console_stocktake as stocktake
from veriseal_inventory.permissions import (
    STOCK_APPROVE,
    STOCK_COUNT,
    STOCK_INSPECT,
    STOCK_MANAGE,
    STOCK_MOVE,
    STOCK_VIEW,
)

BASE = "/console/inventory"
_ST = BASE + r"/stocktakes/{id:\d+}"
_SHEET = BASE + "/outbound/{no:[A-Za-z0-9-]+}"

PAGES: list[ConsolePage] = [
    ConsolePage(f"{BASE}/stock", "Stock", "库存", STOCK_VIEW, "stock", 100),
    ConsolePage(f"{BASE}/move", "Receive / issue", "出入库", STOCK_MOVE, "stock", 110),
    ConsolePage(f"{BASE}/movements", "Movements", "出入库流水", STOCK_VIEW, "stock", 120),
    ConsolePage(f"{BASE}/warehouses", "Warehouses", "仓库", STOCK_VIEW, "stock", 130),
    # code-tracked stock (console_codes)
    ConsolePage(f"{BASE}/scan", "Scan in / out", "扫码出入库", STOCK_MOVE, "stock", 112),
    ConsolePage(f"{BASE}/where", "Where is a code?", "查询码的位置", STOCK_VIEW, "stock", 114),
    ConsolePage(f"{BASE}/code-alerts", "Code alerts", "库存码异常", STOCK_VIEW, "stock", 125),
    ConsolePage(f"{BASE}/stocktakes", "Stocktakes", "盘点", STOCK_COUNT, "stock", 140),
    ConsolePage(f"{BASE}/inbound", "Inbound & inspection", "入库质检", STOCK_VIEW, "stock", 135),
    ConsolePage(f"{BASE}/outbound", "Outbound sheets", "出库单", STOCK_VIEW, "stock", 145),
    ConsolePage(f"{BASE}/receive", "Check in goods", "扫码收货", STOCK_MOVE, "stock", 150),
    ConsolePage(f"{BASE}/safety-stock", "Safety stock", "安全库存", STOCK_VIEW, "stock", 160),
    ConsolePage(f"{BASE}/replenish", "Replenishment", "补货建议", STOCK_VIEW, "stock", 165),
]  # fmt: skip
_NO = "{no:[A-Za-z0-9-]+}"
VIEWS: list[ConsoleView] = [
    ConsoleView("GET", f"{BASE}/stock", stock.stock_page, STOCK_VIEW),
    ConsoleView("GET", f"{BASE}/warehouses", stock.warehouses_page, STOCK_VIEW),
    ConsoleView("POST", f"{BASE}/warehouses", stock.warehouse_add, STOCK_MANAGE),
    ConsoleView("GET", BASE + r"/warehouses/{id:\d+}", stock.warehouse_page, STOCK_VIEW),
    ConsoleView("GET", f"{BASE}/movements", stock.movements_page, STOCK_VIEW),
    ConsoleView("GET", f"{BASE}/move", stock.move_page, STOCK_MOVE),
    ConsoleView("POST", f"{BASE}/move", stock.move, STOCK_MOVE),
    # code-tracked stock (console_codes)
    ConsoleView("GET", f"{BASE}/scan", codes.scan_page, STOCK_MOVE),
    ConsoleView("POST", f"{BASE}/scan", codes.scan, STOCK_MOVE),
    ConsoleView("GET", f"{BASE}/where", codes.where_page, STOCK_VIEW),
    ConsoleView("GET", f"{BASE}/code-alerts", codes.alerts_page, STOCK_VIEW),
    ConsoleView("POST", BASE + r"/code-alerts/{id:\d+}/close", codes.close_alert, STOCK_MANAGE),
    ConsoleView("GET", f"{BASE}/stocktakes", stocktake.list_page, STOCK_COUNT),
    ConsoleView("POST", f"{BASE}/stocktakes", stocktake.open_count, STOCK_COUNT),
    ConsoleView("GET", _ST, stocktake.count_page, STOCK_COUNT),
    ConsoleView("POST", _ST + "/count", stocktake.count, STOCK_COUNT),
    ConsoleView("POST", _ST + "/scan", stocktake.scan, STOCK_COUNT),
    ConsoleView("POST", _ST + "/submit", stocktake.submit, STOCK_COUNT),
    ConsoleView("POST", _ST + "/end", stocktake.end, STOCK_COUNT),
    ConsoleView("GET", _ST + "/report", stocktake.report_page, STOCK_COUNT),
    ConsoleView("POST", _ST + "/decide", stocktake.decide, STOCK_APPROVE),
    ConsoleView("GET", f"{BASE}/inbound", inbound.list_page, STOCK_VIEW),
    ConsoleView("POST", f"{BASE}/inbound", inbound.receive, STOCK_MOVE),
    ConsoleView("GET", f"{BASE}/inbound/{_NO}", inbound.receipt_page, STOCK_VIEW),
    ConsoleView("POST", f"{BASE}/inbound/{_NO}/inspect", inbound.inspect, STOCK_INSPECT),
    ConsoleView("POST", f"{BASE}/inbound/{_NO}/release", inbound.release, STOCK_MOVE),
    ConsoleView("GET", f"{BASE}/outbound", outbound.list_page, STOCK_VIEW),
    ConsoleView("POST", f"{BASE}/outbound", outbound.create, STOCK_MOVE),
    ConsoleView("GET", _SHEET, outbound.sheet_page, STOCK_VIEW),
    ConsoleView("POST", _SHEET + "/issue", outbound.issue, STOCK_MOVE),
    ConsoleView("POST", _SHEET + "/cancel", outbound.cancel, STOCK_MOVE),
    ConsoleView("GET", _SHEET + "/pdf", outbound.pdf, STOCK_VIEW),
    ConsoleView("GET", f"{BASE}/receive", outbound.receive_page, STOCK_MOVE),
    ConsoleView("POST", f"{BASE}/receive", outbound.receive, STOCK_MOVE),
    ConsoleView("GET", f"{BASE}/safety-stock", alerts.safety_page, STOCK_VIEW),
    ConsoleView("POST", f"{BASE}/safety-stock", alerts.safety_save, STOCK_MANAGE),
    ConsoleView("GET", f"{BASE}/replenish", alerts.replenish_page, STOCK_VIEW),
]  # fmt: skip
