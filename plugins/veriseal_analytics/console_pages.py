"""``/console/analytics``: menu entries and views of the analytics plugin."""

from __future__ import annotations

from veriseal.extend import ConsolePage, ConsoleView
from veriseal_analytics import console_behaviour as behaviour
from veriseal_analytics import console_reports as reports
from veriseal_analytics import console_sales as sales
from veriseal_analytics import console_scans as scans
from veriseal_analytics import console_stock as stock
from veriseal_analytics.permissions import ANALYTICS_VIEW

PAGES: list[ConsolePage] = [
    ConsolePage(sales.BASE, "Sales statistics", "销售统计", ANALYTICS_VIEW, "home", 20),
    *scans.PAGES,
    *stock.PAGES,
    *behaviour.PAGES,
    *reports.PAGES,
]
VIEWS: list[ConsoleView] = [
    ConsoleView("GET", sales.BASE, sales.sales_page, ANALYTICS_VIEW),
    *scans.VIEWS,
    *stock.VIEWS,
    *behaviour.VIEWS,
    *reports.VIEWS,
]
