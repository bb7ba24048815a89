"""``/api/v1/analytics/...``: the plugin's JSON API (each area in its ``api_*`` module)."""

from __future__ import annotations

from typing import Any

from veriseal_analytics.api_behaviour import ENDPOINTS as BEHAVIOUR
from veriseal_analytics.api_sales import ENDPOINTS as SALES

ROUTES: list[Any] = [*SALES, *BEHAVIOUR]
