"""``veriseal report ...``: the plugin's click group (cli_report.py)."""

from __future__ import annotations

import click


def groups() -> list[click.Group]:
    """Every command group of the plugin."""
    from veriseal_analytics.cli_behaviour import register  # noqa: PLC0415
    from veriseal_analytics.cli_report import report  # noqa: PLC0415

    if "dealers" not in report.commands:  # groups() may be asked more than once
        register(report)
    return [report]
