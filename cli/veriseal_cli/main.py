"""Entry point: ``veriseal`` and its command groups."""

from __future__ import annotations

import click

from veriseal_cli import (
    batches,
    categories,
    clones,
    dashboard,
    keys,
    plugin_new,
    products,
    scans,
    serve,
    setup,
    users,
    verify,
)
from veriseal_cli import lifecycle as lifecycle_commands
from veriseal_cli import notifications as notify_commands
from veriseal_cli import printing as print_commands
from veriseal_cli import stream as stream_commands
from veriseal_cli.context import Options
from veriseal_cli.plugin_group import PluginGroup


@click.group(cls=PluginGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config", "config", envvar="VERISEAL_CONFIG", help="Config file (default ./veriseal.toml)."
)
@click.option("--db", help="Ledger URL, overriding the config: a SQLite path or postgresql://...")
@click.option("--brand", envvar="VERISEAL_BRAND", help="Brand to act on (default: the config's).")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Message language / 提示语言.")
@click.version_option(package_name="veriseal")
@click.pass_context
def cli(
    ctx: click.Context, config: str | None, db: str | None, brand: str | None, lang: str | None
) -> None:
    """Veriseal: one item, one code. 防伪防窜货，一物一码。"""
    ctx.obj = Options(config=config, db=db, brand=brand, lang=lang)


for module in (setup, products, batches, keys, verify, serve, scans, clones, users, print_commands):
    module.register(cli)
dashboard.register(cli)
lifecycle_commands.register(cli)  # after batches: it adds to the batch group
stream_commands.register(cli)  # after lifecycle: it adds to the events group
notify_commands.register(cli)
plugin_new.register(cli)
categories.register(cli)


def main() -> None:
    cli(prog_name="veriseal")
