"""``veriseal territory|dealers|shipments|diversion ...``: the plugin's click groups.

The CLI runs on the core's public API and shared CLI plumbing only (``veriseal.extend``);
``territory`` (and its ``regions``) lives in :mod:`.cli_territory`, the dealer network,
shipments and diversion groups in :mod:`.cli_dealers`."""

from __future__ import annotations

from typing import Any

#: The plugin's command groups, imported only when one of them runs (``veriseal --help``
#: lists them from here without importing the plugin, issue 20): name -> ("module:attribute",
#: the first paragraph of its help, functions "module:function" that add subcommands to
#: it). A test checks each summary against the group's docstring.
GROUPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "territory": (
        "veriseal_territories.cli_territory:territory",
        "Sales territories and authorizations (territories plugin). 销售区域与授权。",
        ("veriseal_territories.cli_dealers:add_territory_commands",),
    ),
    "dealers": (
        "veriseal_territories.cli_dealers:dealers",
        "The dealer network (territories plugin). 经销商网络。",
        (),
    ),
    "shipments": (
        "veriseal_territories.cli_dealers:shipments",
        "Goods scanned out to dealers and in by them. 发货与收货扫描。",
        (),
    ),
    "diversion": (
        "veriseal_territories.cli_dealers:diversion",
        "Diversion (窜货) alerts, their workflow and history analysis.",
        (),
    ),
}


def register(cli: Any) -> None:
    """Declare the plugin's groups on the ``register_commands`` hook's group, lazily."""
    for name, (target, summary, extend) in GROUPS.items():
        cli.add_lazy(name, target, summary, extend)
