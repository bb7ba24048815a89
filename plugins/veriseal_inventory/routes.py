"""``/api/v1/inventory/...``: the plugin's JSON API, every endpoint declared once with
its access gate and typed input (OpenAPI comes from the same declarations). Each area's
endpoints live in its own ``api_*`` module; this list joins them."""

from __future__ import annotations

from typing import Any

from veriseal_inventory.api_alerts import ENDPOINTS as ALERTS
from veriseal_inventory.api_codes import ENDPOINTS as CODES
from veriseal_inventory.api_inbound import ENDPOINTS as INBOUND
from veriseal_inventory.api_outbound import ENDPOINTS as OUTBOUND
from veriseal_inventory.api_stock import ENDPOINTS as STOCK
from veriseal_inventory.api_stocktake import ENDPOINTS as STOCKTAKE

ROUTES: list[Any] = [*STOCK, *CODES, *STOCKTAKE, *INBOUND, *OUTBOUND, *ALERTS]
