"""``veriseal plugin new NAME``: write a plugin skeleton (:mod:`veriseal.extend.skeleton`)."""

from __future__ import annotations

from pathlib import Path

import click

from veriseal.extend.skeleton import write_skeleton
from veriseal_cli.context import Options, pass_opts, run


@click.group("plugin")
def plugin() -> None:
    """Write plugins for Veriseal. 插件开发。"""


@plugin.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "parent",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to create veriseal-NAME/ in.",
)
@pass_opts
def new(opts: Options, name: str, parent: Path) -> None:
    """Write the skeleton of plugin NAME: hookimpls, models, errors, store, service,
    events, api, cli, migrations for SQLite and PostgreSQL, and tests on both."""

    async def go() -> Path:
        return write_skeleton(name, parent)

    root = run(opts, go)
    click.echo(f"wrote {root}: pip install -e {root}, then enable {name!r} in veriseal.toml")
