"""``veriseal hello ...``: the plugin's commands (the local operator acts)."""

from __future__ import annotations

import click

from veriseal import SYSTEM_PRINCIPAL
from veriseal.extend import Options, PluginContext, echo_json, pass_opts, with_context
from veriseal_hello.models import NAME
from veriseal_hello.service import of


@click.group(NAME)
def group() -> None:
    """The hello plugin."""


@group.command("counts")
@pass_opts
def counts(opts: Options) -> None:
    """Scans counted since the plugin was enabled, by country, as JSON."""

    async def go(ctx: PluginContext) -> None:
        echo_json(await of(ctx).counts(SYSTEM_PRINCIPAL))

    with_context(opts, NAME, go)


@group.command("countries")
@pass_opts
def countries(opts: Options) -> None:
    """The countries the brand's codes were scanned in, first seen first."""

    async def go(ctx: PluginContext) -> None:
        echo_json(await of(ctx).countries((await ctx.brand(opts.brand)).id))

    with_context(opts, NAME, go)
