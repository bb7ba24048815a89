"""The ``veriseal`` group that enabled plugins extend with their own command groups.

Plugins are loaded lazily, the first time click asks for a command it does not know (or
for the full list, in ``--help``), after the global options are parsed: so ``--config``
picks the plugins, and a command of the core never pays for loading them.
"""

from __future__ import annotations

import click

from veriseal import config as config_mod
from veriseal.errors import VerisealError
from veriseal.extend import manager as plugins
from veriseal.i18n import t
from veriseal_cli.global_options import add_global_options


class PluginGroup(click.Group):
    """A click group whose extra commands come from the ``register_commands`` hook."""

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        root = ctx.find_root()
        cached = root.meta.get("veriseal.plugin_commands")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        enabled = config_mod.enabled_plugins(root.params.get("config"))
        holder = click.Group()
        try:
            plugins.load(enabled).hook.register_commands(cli=holder)
        except VerisealError as exc:
            lang = root.params.get("lang")
            title = t(f"error.{exc.code}", lang)
            raise click.ClickException(f"{title} [{exc.code}]: {exc.message}") from None
        found = dict(holder.commands)
        root.meta["veriseal.plugin_commands"] = found
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugin_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name) or self._plugin_commands(ctx).get(cmd_name)
        return None if found is None else add_global_options(found)
