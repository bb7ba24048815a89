"""The ``veriseal`` group that enabled plugins extend with their own command groups.

The core's commands are imported lazily (:class:`~veriseal.extend.lazy_commands.LazyGroup`).
Plugins are loaded lazily too, the first time click asks for a command the core does not
have (or for the full list, in ``--help``), after the global options are parsed: so
``--config`` picks the plugins, and a command of the core never pays for loading them.
A plugin may declare its groups in a ``GROUPS`` table of its package's ``commands``
module (:func:`~veriseal.extend.lazy_commands.declared_by_plugins`): the listing then
imports neither the plugin manager nor the plugin. Other plugins are asked through the
``register_commands`` hook, which may declare groups lazily as well
(``cli.add_lazy(...)``): the listing then imports none of the plugin's command modules.
"""

from __future__ import annotations

import click

from veriseal.extend.lazy_commands import LazyGroup, declared_by_plugins
from veriseal_cli.global_options import add_global_options

_PLUGINS = "veriseal.plugin_commands"  # root.meta key: this invocation's plugin commands


class PluginGroup(LazyGroup):
    """A lazy group whose extra commands come from the ``register_commands`` hook."""

    def _plugin_commands(self, ctx: click.Context) -> LazyGroup:
        """The enabled plugins' commands, gathered once per invocation into a group of
        their own (eager ones and lazy entries alike)."""
        root = ctx.find_root()
        cached = root.meta.get(_PLUGINS)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        # Imported here: the config reader and the plugin manager are not needed by a
        # core command (``veriseal verify`` starts without them).
        from veriseal import config as config_mod  # noqa: PLC0415

        holder = LazyGroup()
        enabled = config_mod.enabled_plugins(root.params.get("config"))
        # the groups the plugins declare in their ``commands`` tables: listed without
        # importing pluggy, the plugin manager or any plugin module (issue 20)
        declared, rest = declared_by_plugins(enabled)
        holder.lazy.update(declared)
        if rest:  # else there is nothing to ask: the plugin manager stays unimported
            from veriseal.errors import VerisealError  # noqa: PLC0415
            from veriseal.extend import manager as plugins  # noqa: PLC0415
            from veriseal.i18n import t  # noqa: PLC0415

            try:
                plugins.load(rest).hook.register_commands(cli=holder)
            except VerisealError as exc:
                lang = root.params.get("lang")
                title = t(f"error.{exc.code}", lang)
                raise click.ClickException(f"{title} [{exc.code}]: {exc.message}") from None
        root.meta[_PLUGINS] = holder
        return holder

    def list_commands(self, ctx: click.Context) -> list[str]:
        plugin_names = self._plugin_commands(ctx).list_commands(ctx)
        return sorted({*super().list_commands(ctx), *plugin_names})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name) or self._plugin_commands(ctx).get_command(
            ctx, cmd_name
        )
        return None if found is None else add_global_options(found)
