"""Hookimpls of the territories plugin (entry point ``territories``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any

from veriseal import Brand, EpcisEvent, PluginMigrations, hookimpl
from veriseal.extend import (
    Batch,
    Consumer,
    MessageTypeSpec,
    Permission,
    PluginContext,
    Provided,
    StreamEvent,
    Tx,
)
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
async def seed_demo(ctx: PluginContext, brand: Brand) -> None:
    """The demo brand's dealer organisations become dealers with territories."""
    from veriseal_territories.demo import seed  # noqa: PLC0415

    await seed(ctx, brand)


@hookimpl
def register_commands(cli: Any) -> None:
    """``veriseal territory|dealers|shipments|diversion ...``."""
    from veriseal_territories.commands import register  # noqa: PLC0415 (click: CLI only)

    register(cli)


@hookimpl
def register_console_pages() -> list[Any]:
    """``/console/territories/...``: dealers, territories, goods held, shipments, the
    ship and receive scanner forms, diversion alerts, the shipment policy."""
    from veriseal_territories.console_pages import PAGES, VIEWS  # noqa: PLC0415

    return [*PAGES, *VIEWS]


@hookimpl
def register_routes(app: Any, ctx: PluginContext) -> None:
    """``/api/v1/territories/...``: the plugin's endpoints, served like the core's
    (access, typed input, OpenAPI), with this plugin's context."""
    from veriseal.extend import mount_plugin  # noqa: PLC0415 (aiohttp: server only)
    from veriseal_territories.routes import ROUTES  # noqa: PLC0415

    mount_plugin(app, ctx, ROUTES)


#: The diversion checks, off the verify path: scans recorded and alerts raised arrive
#: on the event stream; effects and cursor commit in one transaction.
DIVERSION_CONSUMER = "territories.diversion"


async def _judge(ctx: PluginContext, events: Sequence[StreamEvent]) -> Any:
    """Before the transaction: judge the batch's located genuine scans (reads only)."""
    from veriseal_territories.service import of  # noqa: PLC0415

    return await of(ctx).diversion.prepare_batch(events)


async def _apply(ctx: PluginContext, batch: Batch, tx: Tx) -> None:
    """In the consumer's transaction: raise the diversion alerts found (a unit and
    holder once, whatever is redelivered), and let a clone alert dismiss the code's
    open diversion alerts (a copy, not a diversion)."""
    from veriseal_territories.service import of  # noqa: PLC0415

    await of(ctx).diversion.apply_batch(tx, batch)


@hookimpl
def event_consumers() -> list[Consumer]:
    """``territories.diversion``: scans and core alerts, see :func:`_apply`;
    ``territories.misdeliveries``: the logistics plugin's misdelivered shipments as
    diversion evidence (:mod:`.misdelivery`)."""
    from veriseal_territories.misdelivery import CONSUMER  # noqa: PLC0415

    return [
        Consumer(
            DIVERSION_CONSUMER,
            frozenset({"scan", "alert"}),
            _apply,
            batch_size=200,
            prepare=_judge,
        ),
        CONSUMER,
    ]


@hookimpl
def epcis_events(
    ctx: PluginContext, brand: Brand, since: dt.datetime | None, until: dt.datetime | None
) -> AsyncIterator[EpcisEvent]:
    """Shipments and receipts as EPCIS ``shipping`` / ``receiving`` ObjectEvents."""
    from veriseal_territories.epcis_export import events  # noqa: PLC0415

    return events(ctx, brand, since, until)
