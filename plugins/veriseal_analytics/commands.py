"""``veriseal report ...``: the plugin's click group (cli_report.py) with the commands of
each area added (cli_scans, cli_stock, cli_reports, cli_saved, cli_behaviour)."""

from __future__ import annotations

from typing import Any

import click

#: The plugin's command groups, imported only when one of them runs (``veriseal --help``
#: lists them from here, issue 20): name -> ("module:attribute", the first paragraph of
#: its help, functions "module:function" that add subcommands to it). A test checks each
#: summary against the group's docstring.
GROUPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "report": (
        "veriseal_analytics.cli_report:report",
        "Sales statistics and reports. 销售统计与报表。",
        ("veriseal_analytics.commands:add_report_commands",),
    ),
}


def register(cli: Any) -> None:
    """Declare the plugin's groups on the ``register_commands`` hook's group, lazily."""
    for name, (target, summary, extend) in GROUPS.items():
        cli.add_lazy(name, target, summary, extend)


def add_report_commands(report: click.Command) -> None:
    """Add the commands of each area (cli_scans, cli_reports, cli_behaviour) to the
    ``report`` group of cli_report.py."""
    from veriseal_analytics.cli_behaviour import register as behaviour  # noqa: PLC0415
    from veriseal_analytics.cli_reports import register as reports  # noqa: PLC0415
    from veriseal_analytics.cli_saved import register as saved  # noqa: PLC0415
    from veriseal_analytics.cli_scans import register as scans  # noqa: PLC0415
    from veriseal_analytics.cli_stock import register as stock  # noqa: PLC0415

    assert isinstance(report, click.Group)
    if "scans" not in report.commands:  # once per process, however often the CLI is built
        scans(report)
        stock(report)
        reports(report)
        saved(report)
        behaviour(report)
