"""``/api/v1/commerce/...``: the plugin's JSON API, every endpoint declared once with its
access gate and typed input (OpenAPI comes from the same declarations). Each area's
endpoints live in its own ``api_*`` module; this list joins them."""

from __future__ import annotations

from typing import Any

BASE = "/api/v1/commerce"

from veriseal_commerce.api_payments import ROUTES as PAYMENT_ROUTES  # noqa: E402

ROUTES: list[Any] = [*PAYMENT_ROUTES]
