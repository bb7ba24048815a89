"""A click group that imports a command's module only when that command runs (the
core's ``veriseal`` group, and the group a plugin's ``register_commands`` hook fills).

``veriseal verify CODE`` must not pay for the server, the printing stack or the
notifications: importing every command module up front made each start-up take more
than a second (issue 20). The group knows each command by a :class:`LazyCommand` entry
(its module, attribute and first help paragraph); ``veriseal --help`` lists the
commands from those entries alone, and ``veriseal NAME ...`` imports NAME's module.

This is the "LazyGroup" pattern of click's documentation, plus two things the
``veriseal`` command needs: an entry may name functions that add subcommands from other
modules (``lifecycle`` adds ``batch activate``), and the listing reproduces click's
own short help (the first sentence of the first paragraph, cut to the terminal width),
so ``--help`` reads exactly as when the commands were imported.

A plugin may declare its groups without its plugin module being imported: a ``GROUPS``
table in the ``commands`` module of the package its entry point names
(:func:`declared_by_plugins`). ``veriseal --help`` then lists the enabled plugins' groups
without loading pluggy, the plugin manager or any plugin's hookimpls; a plugin without
such a table is asked through its ``register_commands`` hook, as before.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import click

#: ``ctx.meta`` flag: the group is listing its commands for ``--help``.
_LISTING = "veriseal.listing_commands"
#: The entry-point group plugins are found in (re-exported by the plugin manager).
ENTRY_POINT_GROUP = "veriseal.plugins"
#: The module, in a plugin's package, that may declare its groups: ``GROUPS``.
COMMANDS_MODULE = "commands"


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives and what ``--help`` says of it, without importing it.

    ``target`` is ``"module:attribute"`` naming the click command; ``summary`` is the
    first paragraph of its help (English and Chinese, as the docstring has it: a test
    checks that the two agree); each of ``extend`` is ``"module:function"``, called with
    the command when a group loads it, to add subcommands that live in other modules (so
    it must be idempotent: a plugin's group is loaded once per invocation)."""

    target: str
    summary: str
    extend: tuple[str, ...] = ()


def resolve(target: str) -> Any:
    """The object ``"module:attribute"`` names, importing the module."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


class LazyGroup(click.Group):
    """A group whose commands in ``lazy`` are imported on first use (see module doc)."""

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, LazyCommand] = dict(lazy or {})

    def add_lazy(self, name: str, target: str, summary: str, extend: tuple[str, ...] = ()) -> None:
        """Declare the command ``name`` without importing it (see :class:`LazyCommand`):
        what a plugin's ``register_commands`` hook calls to keep start-up fast."""
        self.lazy[name] = LazyCommand(target, summary, extend)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.lazy.get(cmd_name)
        if entry is not None and cmd_name not in self.commands:
            if ctx.meta.get(_LISTING):
                # the listing needs the short help only: a stand-in carrying the
                # summary, from which click derives it exactly as from the real help
                return click.Command(cmd_name, help=entry.summary)
            self.add_command(self.load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def load(self, cmd_name: str) -> click.Command:
        """Import the command ``cmd_name`` and run its ``extend`` functions."""
        entry = self.lazy[cmd_name]
        command = resolve(entry.target)
        if not isinstance(command, click.Command):
            raise TypeError(f"{entry.target} is a {type(command).__name__}, not a click command")
        for target in entry.extend:
            cast(Callable[[click.Command], None], resolve(target))(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, with stand-ins for the commands not imported yet (see
        :meth:`get_command`), so that ``--help`` imports none of them."""
        ctx.meta[_LISTING] = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            del ctx.meta[_LISTING]


def declared_by_plugins(enabled: Iterable[str]) -> tuple[dict[str, LazyCommand], list[str]]:
    """The command groups the ``enabled`` plugins declare without their plugin module
    being imported, and the plugins that declare none (to be asked through the
    ``register_commands`` hook, which also reports a plugin not installed).

    A plugin declares its groups in a ``GROUPS`` table of the ``commands`` module of the
    package its entry point names (entry point ``pkg.plugin`` -> ``pkg.commands``):
    name -> ``("module:attribute", summary, extend)`` (see :class:`LazyCommand`). The
    table is then the plugin's whole CLI: its ``register_commands`` hook is not called
    for it. The bundled plugins declare theirs so; ``veriseal --help`` with them enabled
    imports neither pluggy nor the plugin manager (issue 20)."""
    # Imported here: only the listing of plugin commands reads the installed metadata.
    from importlib.metadata import entry_points  # noqa: PLC0415

    installed = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    declared: dict[str, LazyCommand] = {}
    rest: list[str] = []
    for name in dict.fromkeys(enabled):  # in order, once each
        ep = installed.get(name)
        table = None if ep is None else _groups_table(ep.module)
        if table is None:
            rest.append(name)
        else:
            declared.update(table)
    return declared, rest


def _groups_table(plugin_module: str) -> dict[str, LazyCommand] | None:
    """``GROUPS`` of the ``commands`` module next to ``plugin_module``, when there is
    one of the expected shape; otherwise None (the plugin is asked through its hook)."""
    package, dot, _ = plugin_module.rpartition(".")
    if not dot:
        return None  # a top-level plugin module: no package to look in
    name = f"{package}.{COMMANDS_MODULE}"
    try:
        if importlib.util.find_spec(name) is None:
            return None
        groups = getattr(importlib.import_module(name), "GROUPS", None)
    except Exception:  # a broken plugin: the hook path reports it as the manager does
        return None
    if not isinstance(groups, Mapping):
        return None
    table: dict[str, LazyCommand] = {}
    for key, entry in groups.items():
        if not (isinstance(key, str) and _is_entry(entry)):
            return None
        target, summary, extend = entry
        table[key] = LazyCommand(target, summary, tuple(extend))
    return table


def _is_entry(entry: object) -> bool:
    """Whether ``entry`` reads as ``("module:attribute", summary, ("module:function", ...))``."""
    if not (isinstance(entry, tuple) and len(entry) == 3):
        return False
    target, summary, extend = entry
    return (
        isinstance(target, str)
        and ":" in target
        and isinstance(summary, str)
        and isinstance(extend, tuple | list)
        and all(isinstance(e, str) and ":" in e for e in extend)
    )
