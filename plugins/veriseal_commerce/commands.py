"""``veriseal prices|promotions|orders|payments|returns ...``: the plugin's click groups.

The CLI runs on the core's public API and shared CLI plumbing only (``veriseal.extend``);
each group lives in its own ``cli_*`` module."""

from __future__ import annotations

import click

NAME = "commerce"  # the plugin whose context the commands use


def groups() -> list[click.Group]:
    """Every command group of the plugin."""
    from veriseal_commerce.cli_orders import orders  # noqa: PLC0415
    from veriseal_commerce.cli_payments import payments  # noqa: PLC0415
    from veriseal_commerce.cli_prices import prices, promotions  # noqa: PLC0415
    from veriseal_commerce.cli_returns import returns  # noqa: PLC0415

    return [prices, promotions, orders, payments, returns]
