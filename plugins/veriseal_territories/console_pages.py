"""The territories plugin's console: menu entries and views (``register_console_pages``).

Pages under ``/console/territories/``; templates in ``pages/``. The entry's action
decides who sees it in the menu, the view's who may open it (the console's check);
the services then confine each reader to its brand and its part of the dealer tree.
"""

from __future__ import annotations

from veriseal import Action
from veriseal.extend import ConsolePage, ConsoleView
from veriseal_territories import console_alerts as alerts
from veriseal_territories import console_goods as goods
from veriseal_territories import console_network as network
from veriseal_territories.permissions import TERRITORY_GRANT

BASE = "/console/territories"
A = Action

PAGES = [
    ConsolePage(f"{BASE}/org", "Dealers", "经销商", A.ORGS_VIEW, "channel", 10),
    ConsolePage(f"{BASE}/grants", "Territories", "授权区域", A.ORGS_VIEW, "channel", 20),
    ConsolePage(f"{BASE}/holdings", "Goods held", "库存", A.ORGS_VIEW, "channel", 30),
    ConsolePage(f"{BASE}/shipments", "Shipments", "出入库记录", A.ORGS_VIEW, "channel", 40),
    ConsolePage(f"{BASE}/ship", "Ship goods", "扫码发货", A.SCANS_RECORD, "channel", 50),
    ConsolePage(f"{BASE}/receive", "Receive goods", "扫码收货", A.SCANS_RECORD, "channel", 60),
    ConsolePage(f"{BASE}/policy", "Shipment checks", "发货检查策略", TERRITORY_GRANT,
                "channel", 90),
    ConsolePage(f"{BASE}/diversion", "Diversion alerts", "窜货预警", A.ALERTS_READ, "alerts",
                20),
    # a dealer's own; a brand admin holds both actions, reads the brand's list instead
    # (and is sent on to it from this page)
    ConsolePage(f"{BASE}/alerts", "Diversion alerts about me", "涉及我的窜货预警", A.ORGS_VIEW,
                "alerts", 25, unless=A.ALERTS_READ),
]  # fmt: skip

VIEWS = [
    ConsoleView("GET", f"{BASE}/org", network.org_page, A.ORGS_VIEW),
    ConsoleView("POST", f"{BASE}/org/add", network.org_add, A.ORGS_MANAGE),
    ConsoleView("POST", f"{BASE}/org/adopt", network.org_adopt, A.ORGS_MANAGE),
    ConsoleView("POST", f"{BASE}/org/status", network.org_status, A.ORGS_MANAGE),
    ConsoleView("GET", f"{BASE}/grants", network.grants_page, A.ORGS_VIEW),
    ConsoleView("GET", f"{BASE}/grants/new", network.grant_form, TERRITORY_GRANT),
    ConsoleView("POST", f"{BASE}/grants/new", network.grant_add, TERRITORY_GRANT),
    ConsoleView("POST", BASE + r"/grants/{id:\d+}", network.grant_change, TERRITORY_GRANT),
    ConsoleView("GET", f"{BASE}/holdings", goods.holdings, A.ORGS_VIEW),
    ConsoleView("GET", f"{BASE}/shipments", goods.shipments, A.ORGS_VIEW),
    ConsoleView("GET", f"{BASE}/ship", goods.ship_form, A.SCANS_RECORD),
    ConsoleView("POST", f"{BASE}/ship", goods.ship, A.SCANS_RECORD),
    ConsoleView("GET", f"{BASE}/receive", goods.receive_form, A.SCANS_RECORD),
    ConsoleView("POST", f"{BASE}/receive", goods.receive, A.SCANS_RECORD),
    ConsoleView("GET", f"{BASE}/alerts", alerts.alerts_page, A.ORGS_VIEW),
    ConsoleView("GET", BASE + r"/alerts/{id:\d+}", alerts.alert_page, A.ORGS_VIEW),
    ConsoleView("GET", f"{BASE}/diversion", alerts.diversion_page, A.ALERTS_READ),
    ConsoleView("GET", BASE + r"/diversion/{id:\d+}", alerts.diversion_alert, A.ALERTS_READ),
    ConsoleView("POST", BASE + r"/diversion/{id:\d+}/transition", alerts.transition,
                TERRITORY_GRANT),
    ConsoleView("GET", f"{BASE}/policy", alerts.policy_page, TERRITORY_GRANT),
    ConsoleView("POST", f"{BASE}/policy", alerts.policy_set, TERRITORY_GRANT),
]  # fmt: skip
