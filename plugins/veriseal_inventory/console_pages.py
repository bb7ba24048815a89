"""``/console/inventory/...``: menu entries and views of the inventory plugin. Each
area's views live in its own ``console_*`` module; these lists join them."""

from __future__ import annotations

from veriseal.extend import ConsolePage, ConsoleView
from veriseal_inventory import console_alerts as alerts
from veriseal_inventory import console_stock as stock
from veriseal_inventory.permissions import STOCK_MANAGE, STOCK_MOVE, STOCK_VIEW

BASE = "/console/inventory"

PAGES: list[ConsolePage] = [
    ConsolePage(f"{BASE}/stock", "Stock", "库存", STOCK_VIEW, "stock", 100),
    ConsolePage(f"{BASE}/move", "Receive / issue", "出入库", STOCK_MOVE, "stock", 110),
    ConsolePage(f"{BASE}/movements", "Movements", "出入库流水", STOCK_VIEW, "stock", 120),
    ConsolePage(f"{BASE}/warehouses", "Warehouses", "仓库", STOCK_VIEW, "stock", 130),
    ConsolePage(f"{BASE}/safety-stock", "Safety stock", "安全库存", STOCK_VIEW, "stock", 140),
    ConsolePage(f"{BASE}/replenish", "Replenishment", "补货建议", STOCK_VIEW, "stock", 145),
]  # fmt: skip
VIEWS: list[ConsoleView] = [
    ConsoleView("GET", f"{BASE}/stock", stock.stock_page, STOCK_VIEW),
    ConsoleView("GET", f"{BASE}/warehouses", stock.warehouses_page, STOCK_VIEW),
    ConsoleView("POST", f"{BASE}/warehouses", stock.warehouse_add, STOCK_MANAGE),
    ConsoleView("GET", BASE + r"/warehouses/{id:\d+}", stock.warehouse_page, STOCK_VIEW),
    ConsoleView("GET", f"{BASE}/movements", stock.movements_page, STOCK_VIEW),
    ConsoleView("GET", f"{BASE}/move", stock.move_page, STOCK_MOVE),
    ConsoleView("POST", f"{BASE}/move", stock.move, STOCK_MOVE),
    ConsoleView("GET", f"{BASE}/safety-stock", alerts.safety_page, STOCK_VIEW),
    ConsoleView("POST", f"{BASE}/safety-stock", alerts.safety_save, STOCK_MANAGE),
    ConsoleView("GET", f"{BASE}/replenish", alerts.replenish_page, STOCK_VIEW),
]  # fmt: skip
