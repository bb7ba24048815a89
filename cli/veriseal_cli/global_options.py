"""``--db`` and ``--config`` after the subcommand too: ``veriseal init --db URL``.

They are options of the ``veriseal`` group, so click accepts them only before the
command name, and ``veriseal init --db postgresql://...`` (what people type, and what
"every command takes --db" suggests) failed with "No such option". Every command and
subcommand, the plugins' included, gets the two options as well; given there, they
override the group's (the :class:`~veriseal_cli.context.Options` the command reads).
"""

from __future__ import annotations

from collections.abc import Callable

import click

from veriseal_cli.context import Options

_MARK = "veriseal_global_options"


def _setter(field: str) -> Callable[[click.Context, click.Parameter, str | None], None]:
    def store(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        opts = ctx.find_object(Options)
        if value is not None and opts is not None:
            setattr(opts, field, value)

    return store


def _options() -> list[click.Option]:
    return [
        click.Option(
            ["--config", "config_path"],
            expose_value=False,
            callback=_setter("config"),
            help="Config file (also accepted before the command).",
        ),
        click.Option(
            ["--db", "db_url"],
            expose_value=False,
            callback=_setter("db"),
            help="Ledger URL, overriding the config (also accepted before the command).",
        ),
    ]


def add_global_options(command: click.Command) -> click.Command:
    """Give ``command`` (and, for a group, every subcommand) ``--db`` and ``--config``
    unless it has options of those names already. Idempotent."""
    if getattr(command, _MARK, False):
        return command
    setattr(command, _MARK, True)
    taken = {opt for p in command.params for opt in getattr(p, "opts", [])}
    if not isinstance(command, click.Group):
        command.params.extend(o for o in _options() if not set(o.opts) & taken)
    else:
        for sub in command.commands.values():
            add_global_options(sub)
    return command
