"""Hookimpls of the logistics plugin (entry point ``logistics``)."""

from __future__ import annotations

from veriseal import PluginMigrations, hookimpl
from veriseal.extend import Consumer, MessageTypeSpec, PeriodicTask, Permission, PluginContext
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


@hookimpl
def periodic_tasks() -> list[PeriodicTask]:
    """``logistics.check`` every 5 minutes: the anomaly rules over waybills in flight."""
    return [PeriodicTask("logistics.check", 300, _check)]


@hookimpl
def event_consumers() -> list[Consumer]:
    """``logistics.shipments``: the territories shipments waybills belong to."""
    from veriseal_logistics.shipments import SHIPMENTS  # noqa: PLC0415

    return [SHIPMENTS]
