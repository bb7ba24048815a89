"""``veriseal warehouses|stock|stocktake|inbound|outbound ...``: the plugin's click
groups, each in its own ``cli_*`` module."""

from __future__ import annotations

import click


def groups() -> list[click.Group]:
    """Every command group of the plugin."""
    from veriseal_inventory import cli_alerts  # noqa: F401, PLC0415 (adds to ``stock``)
    from veriseal_inventory.cli_stock import stock, warehouses  # noqa: PLC0415

    return [warehouses, stock]
