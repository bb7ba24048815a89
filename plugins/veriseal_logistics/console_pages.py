"""``/console/logistics/...``: menu entries and views of the logistics plugin. Each
page's views live in its own ``console_*`` module; these lists join them
(``plugin.register_console_pages`` returns them)."""

from __future__ import annotations

from veriseal.extend import ConsolePage, ConsoleView
from veriseal_logistics import console_alerts as alerts
from veriseal_logistics import console_settings as settings
from veriseal_logistics import console_waybill as waybill
from veriseal_logistics import console_waybills as waybills
from veriseal_logistics.console_common import BASE
from veriseal_logistics.permissions import LOGISTICS_CONFIGURE, LOGISTICS_MANAGE, LOGISTICS_VIEW

_ALERT = BASE + r"/alerts/{id:\d+}"

PAGES: list[ConsolePage] = [
    ConsolePage(BASE, "Shipments in transit", "物流跟踪", LOGISTICS_VIEW, "channel", 170),
    ConsolePage(f"{BASE}/new", "Add a waybill", "登记运单", LOGISTICS_MANAGE, "channel", 171),
    ConsolePage(f"{BASE}/alerts", "Logistics alerts", "物流预警", LOGISTICS_VIEW, "alerts", 40),
    ConsolePage(f"{BASE}/settings", "Logistics rules", "物流规则", LOGISTICS_CONFIGURE,
                "alerts", 41),
]  # fmt: skip
VIEWS: list[ConsoleView] = [
    ConsoleView("GET", BASE, waybills.list_page, LOGISTICS_VIEW),
    ConsoleView("GET", f"{BASE}/new", waybills.new_page, LOGISTICS_MANAGE),
    ConsoleView("POST", f"{BASE}/new", waybills.create, LOGISTICS_MANAGE),
    ConsoleView("GET", BASE + r"/waybills/{id:\d+}", waybill.waybill_page, LOGISTICS_VIEW),
    ConsoleView("GET", f"{BASE}/alerts", alerts.alerts_page, LOGISTICS_VIEW),
    ConsoleView("POST", _ALERT + "/close", alerts.close_alert, LOGISTICS_MANAGE),
    ConsoleView("GET", f"{BASE}/settings", settings.settings_page, LOGISTICS_CONFIGURE),
    ConsoleView("POST", f"{BASE}/settings", settings.save_rules, LOGISTICS_CONFIGURE),
    ConsoleView("POST", f"{BASE}/settings/secrets", settings.save_secret, LOGISTICS_CONFIGURE),
]  # fmt: skip
