"""``/api/v1/commerce/...``: the plugin's JSON API, every endpoint declared once with its
access gate and typed input (OpenAPI comes from the same declarations). Each area's
endpoints live in its own ``api_*`` module; this list joins them."""

from __future__ import annotations

from typing import Any

from veriseal_commerce.api_orders import ENDPOINTS as ORDERS
from veriseal_commerce.api_payments import ROUTES as PAYMENTS
from veriseal_commerce.api_prices import ENDPOINTS as PRICES
from veriseal_commerce.api_returns import ENDPOINTS as RETURNS

BASE = "/api/v1/commerce"  # the same in each api_* module

ROUTES: list[Any] = [*PRICES, *ORDERS, *PAYMENTS, *RETURNS]
