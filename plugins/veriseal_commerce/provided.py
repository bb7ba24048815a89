"""The services this plugin offers other plugins (hook ``provide_services``).

Keys are strings agreed between plugins; a consumer declares the same key with its own
protocol (plugins never import each other)."""

from __future__ import annotations

from typing import Any

from veriseal.extend import PluginContext, Provided


def services(ctx: PluginContext) -> list[Provided[Any]]:
    """``commerce.sales_facts``: paid orders and completed returns as facts (analytics)."""
    from veriseal_commerce.sales_facts import provided  # noqa: PLC0415

    return [provided(ctx)]
