"""The services this plugin offers other plugins (hook ``provide_services``).

Keys are strings agreed between plugins; a consumer declares the same key with its own
protocol (plugins never import each other)."""

from __future__ import annotations

from typing import Any

from veriseal.extend import PluginContext, Provided


def services(ctx: PluginContext) -> list[Provided[Any]]:
    """None yet: inventory and analytics will ask for orders here."""
    del ctx
    return []
