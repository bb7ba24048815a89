"""``/api/v1/logistics/...``: the plugin's JSON API, every endpoint declared once with its
access gate and typed input (OpenAPI comes from the same declarations). Each area's
endpoints live in its own ``api_*`` module; this list joins them."""

from __future__ import annotations

from typing import Any

from veriseal_logistics.api_alerts import ENDPOINTS as ALERTS
from veriseal_logistics.api_receivers import ENDPOINTS as RECEIVERS
from veriseal_logistics.api_settings import ENDPOINTS as SETTINGS
from veriseal_logistics.api_waybills import ENDPOINTS as WAYBILLS

ROUTES: list[Any] = [*RECEIVERS, *WAYBILLS, *ALERTS, *SETTINGS]
