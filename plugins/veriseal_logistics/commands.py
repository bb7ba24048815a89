"""``veriseal waybills ...`` and ``veriseal logistics ...``: the plugin's click groups,
each in its own ``cli_*`` module."""

from __future__ import annotations

from typing import Any

#: The plugin's command groups, imported only when one of them runs (``veriseal --help``
#: lists them from here, issue 20): name -> ("module:attribute", the first paragraph of
#: its help, functions "module:function" that add subcommands to it). A test checks each
#: summary against the group's docstring.
GROUPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "waybills": (
        "veriseal_logistics.cli_waybills:waybills",
        "Waybills and carrier events. 运单与物流轨迹。",
        (),
    ),
    "logistics": (
        "veriseal_logistics.cli_logistics:logistics",
        "Logistics alerts, rules and secrets. 物流预警、规则与密钥。",
        (),
    ),
}


def register(cli: Any) -> None:
    """Declare the plugin's groups on the ``register_commands`` hook's group, lazily."""
    for name, (target, summary, extend) in GROUPS.items():
        cli.add_lazy(name, target, summary, extend)
