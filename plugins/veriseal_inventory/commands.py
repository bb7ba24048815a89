"""``veriseal warehouses|stock|stocktake|inbound|outbound ...``: the plugin's click
groups, each in its own ``cli_*`` module."""

from __future__ import annotations

import click


def groups() -> list[click.Group]:
    """Every command group of the plugin."""
    # these two add commands to the ``stock`` group when imported
    from veriseal_inventory import cli_alerts, cli_codes  # noqa: F401, PLC0415
    from veriseal_inventory.cli_inbound import inbound  # noqa: PLC0415
    from veriseal_inventory.cli_outbound import outbound  # noqa: PLC0415
    from veriseal_inventory.cli_stock import stock, warehouses  # noqa: PLC0415
    from veriseal_inventory.cli_stocktake import stocktake  # noqa: PLC0415

    return [warehouses, stock, stocktake, inbound, outbound]
