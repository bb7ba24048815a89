"""``veriseal warehouses|stock|stocktake|inbound|outbound ...``: the plugin's click
groups, each in its own ``cli_*`` module."""

from __future__ import annotations

from typing import Any

import click

_P = "veriseal_inventory."

#: The plugin's command groups, imported only when one of them runs (``veriseal --help``
#: lists them from here, issue 20): name -> ("module:attribute", the first paragraph of
#: its help, functions "module:function" that add subcommands to it). A test checks each
#: summary against the group's docstring.
GROUPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "warehouses": (
        _P + "cli_stock:warehouses",
        "Warehouses and locations (inventory plugin). 仓库与库位。",
        (),
    ),
    "stock": (
        _P + "cli_stock:stock",
        "Stock: levels, movements, receiving and issuing (inventory plugin). 库存。",
        (_P + "commands:add_stock_commands",),
    ),
    "stocktake": (
        _P + "cli_stocktake:stocktake",
        "Stocktakes: count, propose, approve (inventory plugin). 盘点。",
        (),
    ),
    "inbound": (
        _P + "cli_inbound:inbound",
        "Inbound receipts and inspection (inventory plugin). 入库单与入库质检。",
        (),
    ),
    "outbound": (
        _P + "cli_outbound:outbound",
        "Outbound sheets: picking, issuing, PDF, check-in (inventory plugin). 出库单。",
        (),
    ),
}


def register(cli: Any) -> None:
    """Declare the plugin's groups on the ``register_commands`` hook's group, lazily."""
    for name, (target, summary, extend) in GROUPS.items():
        cli.add_lazy(name, target, summary, extend)


def add_stock_commands(stock: click.Command) -> None:
    """The ``stock`` group's commands that live in cli_alerts and cli_codes: those
    modules add them to the group when imported."""
    from veriseal_inventory import cli_alerts, cli_codes  # noqa: F401, PLC0415
