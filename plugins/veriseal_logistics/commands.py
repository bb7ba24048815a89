"""``veriseal waybills ...`` and ``veriseal logistics ...``: the plugin's click groups,
each in its own ``cli_*`` module."""

from __future__ import annotations

import click


def groups() -> list[click.Group]:
    """Every command group of the plugin."""
    from veriseal_logistics.cli_logistics import logistics  # noqa: PLC0415
    from veriseal_logistics.cli_waybills import waybills  # noqa: PLC0415

    return [waybills, logistics]
