"""``veriseal prices|promotions|orders|payments|returns ...``: the plugin's click groups.

The CLI runs on the core's public API and shared CLI plumbing only (``veriseal.extend``);
each group lives in its own ``cli_*`` module."""

from __future__ import annotations

from typing import Any

NAME = "commerce"  # the plugin whose context the commands use


#: The plugin's command groups, imported only when one of them runs (``veriseal --help``
#: lists them from here, issue 20): name -> ("module:attribute", the first paragraph of
#: its help, functions "module:function" that add subcommands to it). A test checks each
#: summary against the group's docstring.
GROUPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "prices": (
        "veriseal_commerce.cli_prices:prices",
        "Price lists, their rows and quotes (commerce plugin). 价格表、价格行与报价。",
        (),
    ),
    "promotions": (
        "veriseal_commerce.cli_prices:promotions",
        "Promotions: conditions, benefits, stacking, limits (commerce plugin). 促销活动。",
        (),
    ),
    "orders": (
        "veriseal_commerce.cli_orders:orders",
        "Dealer orders: place, review, ship, statistics (commerce plugin). 经销商订单。",
        (),
    ),
    "payments": (
        "veriseal_commerce.cli_payments:payments",
        "Payments: transfers, online providers, refunds (commerce plugin). 付款、转账与退款。",
        (),
    ),
    "returns": (
        "veriseal_commerce.cli_returns:returns",
        "Returns and exchanges: request, review, the goods' way back, refunds (commerce\n"
        "plugin). 退换货：申请、审核、退货入库、退款与换货。",
        (),
    ),
}


def register(cli: Any) -> None:
    """Declare the plugin's groups on the ``register_commands`` hook's group, lazily."""
    for name, (target, summary, extend) in GROUPS.items():
        cli.add_lazy(name, target, summary, extend)
