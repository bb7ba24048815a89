"""Hookimpls of the territories plugin (entry point ``territories``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from veriseal import Brand, EpcisEvent, LedgerEvent, PluginMigrations, Scan, hookimpl
from veriseal.extend import MessageTypeSpec, Permission, PluginContext, Provided
from veriseal_territories.permissions import MESSAGE_TYPES, PERMISSIONS


@hookimpl
def ledger_migrations() -> PluginMigrations:
    """The plugin's tables: ``territories_*`` (see migrations/)."""
    return PluginMigrations(prefix="territories", package="veriseal_territories.migrations")


@hookimpl
def register_permissions() -> tuple[Permission, ...]:
    """``territory.grant``: brand admins grant territories and handle diversion alerts."""
    return PERMISSIONS


@hookimpl
def register_message_types() -> tuple[MessageTypeSpec, ...]:
    """``diversion_alert``: to the brand admins, on every channel they can be reached."""
    return MESSAGE_TYPES


@hookimpl
def provide_services(ctx: PluginContext) -> list[Provided[Any]]:
    """``territories.authorize`` (see :mod:`.provided`)."""
    from veriseal_territories.provided import services  # noqa: PLC0415

    return services(ctx)


@hookimpl
def register_commands(cli: Any) -> None:
    """``veriseal territory|dealers|shipments|diversion ...``."""
    from veriseal_territories.commands import groups  # noqa: PLC0415 (click: CLI only)

    for group in groups():
        cli.add_command(group)


@hookimpl
def register_routes(app: Any, ctx: PluginContext) -> None:
    """``/api/v1/territories/...``: the plugin's endpoints, served like the core's
    (access, typed input, OpenAPI), with this plugin's context."""
    from veriseal.extend import mount_plugin  # noqa: PLC0415 (aiohttp: server only)
    from veriseal_territories.routes import ROUTES  # noqa: PLC0415

    mount_plugin(app, ctx, ROUTES)


@hookimpl
async def scan_recorded(ctx: PluginContext, scan: Scan) -> None:
    """Diversion check of every recorded scan (cheap unless the unit is held by a
    dealer and the scan has a location)."""
    from veriseal_territories.service import of  # noqa: PLC0415

    await of(ctx).diversion.check_scan(scan)


@hookimpl
async def ledger_event(ctx: PluginContext, event: LedgerEvent) -> None:
    """A clone alert dismisses the code's open diversion alerts (a copy, not a diversion)."""
    if event.kind != "alert":
        return
    from veriseal_territories.service import of  # noqa: PLC0415

    await of(ctx).diversion.on_core_alert(event.brand_id, event.ref, event.details)


@hookimpl
def epcis_events(
    ctx: PluginContext, brand: Brand, since: dt.datetime | None, until: dt.datetime | None
) -> AsyncIterator[EpcisEvent]:
    """Shipments and receipts as EPCIS ``shipping`` / ``receiving`` ObjectEvents."""
    from veriseal_territories.epcis_export import events  # noqa: PLC0415

    return events(ctx, brand, since, until)
