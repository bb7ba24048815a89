"""``/api/v1/analytics/...``: the plugin's JSON API (each area in its ``api_*`` module)."""

from __future__ import annotations

from typing import Any

from veriseal_analytics.api_behaviour import ENDPOINTS as BEHAVIOUR
from veriseal_analytics.api_market import ENDPOINTS as MARKET
from veriseal_analytics.api_reports import ENDPOINTS as REPORTS
from veriseal_analytics.api_sales import ENDPOINTS as SALES
from veriseal_analytics.api_saved import ENDPOINTS as SAVED
from veriseal_analytics.api_scans import ENDPOINTS as SCANS
from veriseal_analytics.api_stock import ENDPOINTS as STOCK

ROUTES: list[Any] = [*SALES, *REPORTS, *SAVED, *SCANS, *STOCK, *MARKET, *BEHAVIOUR]
