"""Hookimpls of the territories plugin (entry point ``territories``)."""

from __future__ import annotations

from typing import Any

from veriseal import PluginMigrations, hookimpl


@hookimpl
def ledger_migrations() -> PluginMigrations:
    """The plugin's tables: ``territories_*`` (see migrations/)."""
    return PluginMigrations(prefix="territories", package="veriseal_territories.migrations")


@hookimpl
def register_commands(cli: Any) -> None:
    """``veriseal territory ...``."""
    from veriseal_territories.commands import territory  # noqa: PLC0415 (click: CLI only)

    cli.add_command(territory)


@hookimpl
def register_routes(app: Any, engine: Any) -> None:
    """``/api/v1/territories/...``."""
    from veriseal_territories.routes import add_routes  # noqa: PLC0415 (aiohttp: server only)

    add_routes(app, engine)
