"""Hookimpls of the inventory plugin (entry point ``inventory``)."""

from __future__ import annotations

from typing import Any

from veriseal import Brand, PluginMigrations, hookimpl
from veriseal.extend import (
    Consumer,
    MessageTypeSpec,
    PeriodicTask,
    Permission,
    PluginContext,
    Provided,
)
from veriseal_inventory.permissions import MESSAGE_TYPES, PERMISSIONS


@hookimpl
def ledger_migrations() -> PluginMigrations:
    """The plugin's tables: ``inventory_*`` (see migrations/)."""
    return PluginMigrations(prefix="inventory", package="veriseal_inventory.migrations")


@hookimpl
def register_permissions() -> tuple[Permission, ...]:
    """``stock.view``, ``stock.move``, ``stock.manage``, ``stock.count``,
    ``stock.approve``, ``stock.inspect`` (see :mod:`.permissions`)."""
    return PERMISSIONS


@hookimpl
def register_message_types() -> tuple[MessageTypeSpec, ...]:
    """``stock_low``, ``stock_alert``, ``stock_review``."""
    return MESSAGE_TYPES


@hookimpl
def provide_services(ctx: PluginContext) -> list[Provided[Any]]:
    """``inventory.reserve``, ``inventory.release``, ``inventory.availability``, the
    returns' services and ``inventory.stock_facts`` (see :mod:`.provided`)."""
    from veriseal_inventory.provided import services  # noqa: PLC0415

    return services(ctx)


@hookimpl
async def seed_demo(ctx: PluginContext, brand: Brand) -> None:
    """Opening stock of each demo product in the brand's main warehouse."""
    from veriseal_inventory.demo import seed  # noqa: PLC0415

    await seed(ctx, brand)


async def _expire(ctx: PluginContext) -> None:
    from veriseal_inventory.service import of  # noqa: PLC0415

    await of(ctx).reservations.expire()


async def _low_stock(ctx: PluginContext) -> None:
    from veriseal_inventory.service import of  # noqa: PLC0415

    await of(ctx).alerts.send_notices()


@hookimpl
def periodic_tasks() -> list[PeriodicTask]:
    """``inventory.expire`` every minute: reservations past their expiry released;
    ``inventory.low_stock`` every 10 s: the notices of low-stock alerts opened or
    closed since (recorded by the movements; sent once, after their commit)."""
    return [PeriodicTask("inventory.expire", 60, _expire),
            PeriodicTask("inventory.low_stock", 10, _low_stock)]  # fmt: skip


@hookimpl
def register_commands(cli: Any) -> None:
    """``veriseal warehouses|stock|...``."""
    from veriseal_inventory.commands import register  # noqa: PLC0415 (click: CLI only)

    register(cli)


@hookimpl
def register_console_pages() -> list[Any]:
    """``/console/inventory/...``: stock, movements, warehouses, receiving and issuing."""
    from veriseal_inventory.console_pages import PAGES, VIEWS  # noqa: PLC0415

    return [*PAGES, *VIEWS]


@hookimpl
def register_routes(app: Any, ctx: PluginContext) -> None:
    """``/api/v1/inventory/...``, served like the core's (access, typed input, OpenAPI)."""
    from veriseal.extend import mount_plugin  # noqa: PLC0415 (aiohttp: server only)
    from veriseal_inventory.routes import ROUTES  # noqa: PLC0415

    mount_plugin(app, ctx, ROUTES)


@hookimpl
def event_consumers() -> list[Consumer]:
    """What inventory reacts to on the event stream (see :mod:`.consumers`)."""
    from veriseal_inventory.consumers import CONSUMERS  # noqa: PLC0415

    return list(CONSUMERS)
