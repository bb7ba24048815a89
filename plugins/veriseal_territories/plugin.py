"""Hookimpls of the territories plugin (entry point ``territories``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from veriseal import Brand, Engine, EpcisEvent, LedgerEvent, PluginMigrations, Scan, hookimpl


@hookimpl
def ledger_migrations() -> PluginMigrations:
    """The plugin's tables: ``territories_*`` (see migrations/)."""
    return PluginMigrations(prefix="territories", package="veriseal_territories.migrations")


@hookimpl
def register_commands(cli: Any) -> None:
    """``veriseal territory|dealers|shipments|diversion ...``."""
    from veriseal_territories.commands import groups  # noqa: PLC0415 (click: CLI only)

    for group in groups():
        cli.add_command(group)


@hookimpl
def register_routes(app: Any, engine: Any) -> None:
    """``/api/v1/territories/...``: the plugin's endpoints, served by the core's
    :func:`veriseal.mount` (access, typed input, OpenAPI), the engine under its own key."""
    from veriseal import mount  # noqa: PLC0415 (aiohttp: server only)
    from veriseal_territories.routes import ENGINE, ROUTES  # noqa: PLC0415

    app[ENGINE] = engine
    mount(app, ROUTES, ENGINE)


@hookimpl
async def scan_recorded(engine: Engine, scan: Scan) -> None:
    """Diversion check of every recorded scan (cheap unless the unit is held by a
    dealer and the scan has a location)."""
    from veriseal_territories.service import of  # noqa: PLC0415

    await of(engine).diversion.check_scan(scan)


@hookimpl
async def ledger_event(engine: Engine, event: LedgerEvent) -> None:
    """A clone alert dismisses the code's open diversion alerts (a copy, not a diversion)."""
    if event.kind != "alert":
        return
    from veriseal_territories.service import of  # noqa: PLC0415

    await of(engine).diversion.on_core_alert(event.brand_id, event.ref, event.details)


@hookimpl
def epcis_events(
    engine: Engine, brand: Brand, since: dt.datetime | None, until: dt.datetime | None
) -> AsyncIterator[EpcisEvent]:
    """Shipments and receipts as EPCIS ``shipping`` / ``receiving`` ObjectEvents."""
    from veriseal_territories.epcis_export import events  # noqa: PLC0415

    return events(engine, brand, since, until)
