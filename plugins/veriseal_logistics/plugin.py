"""Hookimpls of the logistics plugin (entry point ``logistics``)."""

from __future__ import annotations

from typing import Any

from veriseal import Brand, PluginMigrations, hookimpl
from veriseal.extend import (
    ConsolePage,
    ConsoleView,
    Consumer,
    MessageTypeSpec,
    PeriodicTask,
    Permission,
    PluginContext,
)
from veriseal_logistics.permissions import MESSAGE_TYPES, PERMISSIONS


@hookimpl
def ledger_migrations() -> PluginMigrations:
    """The plugin's tables: ``logistics_*`` (see migrations/)."""
    return PluginMigrations(prefix="logistics", package="veriseal_logistics.migrations")


@hookimpl
def register_permissions() -> tuple[Permission, ...]:
    """``logistics.view``, ``logistics.manage``, ``logistics.configure``."""
    return PERMISSIONS


@hookimpl
def register_message_types() -> tuple[MessageTypeSpec, ...]:
    """``logistics_alert``, ``logistics_update``."""
    return MESSAGE_TYPES


async def _check(ctx: PluginContext) -> None:
    from veriseal_logistics.service import of  # noqa: PLC0415

    await of(ctx).alerts.check()


async def _poll(ctx: PluginContext) -> None:
    from veriseal_logistics.pollers import run  # noqa: PLC0415

    await run(ctx)


@hookimpl
def periodic_tasks() -> list[PeriodicTask]:
    """``logistics.check`` every 5 minutes: the anomaly rules over waybills in flight;
    ``logistics.poll`` every minute: carriers asked about the waybills that are due (each
    at most every ``[plugins.logistics] poll_minutes``; nothing without a poller)."""
    return [PeriodicTask("logistics.check", 300, _check),
            PeriodicTask("logistics.poll", 60, _poll)]  # fmt: skip


@hookimpl
def register_routes(app: Any, ctx: PluginContext) -> None:
    """``/api/v1/logistics/...``, served like the core's (access, typed input, OpenAPI)."""
    from veriseal.extend import mount_plugin  # noqa: PLC0415 (aiohttp: server only)
    from veriseal_logistics.routes import ROUTES  # noqa: PLC0415

    mount_plugin(app, ctx, ROUTES)


@hookimpl
def register_commands(cli: Any) -> None:
    """``veriseal waybills ...`` and ``veriseal logistics ...``."""
    from veriseal_logistics.commands import register  # noqa: PLC0415 (click: CLI only)

    register(cli)


@hookimpl
def event_consumers() -> list[Consumer]:
    """``logistics.shipments``: the territories shipments waybills belong to."""
    from veriseal_logistics.shipments import SHIPMENTS  # noqa: PLC0415

    return [SHIPMENTS]


@hookimpl
def register_console_pages() -> list[ConsolePage | ConsoleView]:
    """``/console/logistics/...``: waybills, a waybill's timeline and map, alerts, rules
    (console_pages.py)."""
    from veriseal_logistics.console_pages import PAGES, VIEWS  # noqa: PLC0415

    return [*PAGES, *VIEWS]


@hookimpl
async def seed_demo(ctx: PluginContext, brand: Brand) -> None:
    """Five parcels to the demo's dealers, one of each alert kind (see :mod:`.demo`)."""
    from veriseal_logistics.demo import seed  # noqa: PLC0415

    await seed(ctx, brand)
