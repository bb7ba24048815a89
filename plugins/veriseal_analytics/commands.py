"""``veriseal report ...``: the plugin's click group (cli_report.py) with the commands of
each area added (cli_scans, cli_stock, cli_reports, cli_saved, cli_behaviour)."""

from __future__ import annotations

import click


def groups() -> list[click.Group]:
    """Every command group of the plugin."""
    from veriseal_analytics.cli_behaviour import register as behaviour  # noqa: PLC0415
    from veriseal_analytics.cli_report import report  # noqa: PLC0415
    from veriseal_analytics.cli_reports import register as reports  # noqa: PLC0415
    from veriseal_analytics.cli_saved import register as saved  # noqa: PLC0415
    from veriseal_analytics.cli_scans import register as scans  # noqa: PLC0415
    from veriseal_analytics.cli_stock import register as stock  # noqa: PLC0415

    if "scans" not in report.commands:  # once per process, however often the CLI is built
        scans(report)
        stock(report)
        reports(report)
        saved(report)
        behaviour(report)
    return [report]
