"""Hookimpls of the analytics plugin (entry point ``analytics``)."""

from __future__ import annotations

from typing import Any

from veriseal import PluginMigrations, hookimpl
from veriseal.extend import (
    ConsolePage,
    ConsoleView,
    Consumer,
    MessageTypeSpec,
    PeriodicTask,
    Permission,
    PluginContext,
    Provided,
)


@hookimpl
def ledger_migrations() -> PluginMigrations:
    """The plugin's tables: ``analytics_*`` (see migrations/)."""
    return PluginMigrations(prefix="analytics", package="veriseal_analytics.migrations")


@hookimpl
def register_permissions() -> tuple[Permission, ...]:
    """``analytics.view``, ``analytics.export``, ``analytics.manage``, ``analytics.suggest``."""
    from veriseal_analytics.permissions import PERMISSIONS  # noqa: PLC0415

    return PERMISSIONS


@hookimpl
def event_consumers() -> list[Consumer]:
    """``analytics.sales``: commerce's paid, undone and returned orders into the rollups;
    ``analytics.scans`` / ``analytics.shipped``: scans and shipments into the scan
    rollups; ``analytics.stock``: inventory's stock posts into the stock cube."""
    from veriseal_analytics.consumers import SALES  # noqa: PLC0415
    from veriseal_analytics.scan_consumer import SCANS, SHIPPED  # noqa: PLC0415
    from veriseal_analytics.stock_consumer import STOCK  # noqa: PLC0415

    return [SALES, SCANS, SHIPPED, STOCK]


@hookimpl
def register_routes(app: Any, ctx: PluginContext) -> None:
    """``/api/v1/analytics/...``, served like the core's (access, typed input, OpenAPI)."""
    from veriseal.extend import mount_plugin  # noqa: PLC0415 (aiohttp: server only)
    from veriseal_analytics.routes import ROUTES  # noqa: PLC0415

    mount_plugin(app, ctx, ROUTES)


@hookimpl
def register_commands(cli: Any) -> None:
    """``veriseal report ...``."""
    from veriseal_analytics.commands import register  # noqa: PLC0415 (click: CLI only)

    register(cli)


@hookimpl
def register_console_pages() -> list[ConsolePage | ConsoleView]:
    """``/console/analytics``: the sales dashboard (console_pages.py)."""
    from veriseal_analytics.console_pages import PAGES, VIEWS  # noqa: PLC0415

    return [*PAGES, *VIEWS]


@hookimpl
def provide_services(ctx: PluginContext) -> list[Provided[Any]]:
    """``analytics.suggestions``: a dealer's product suggestions (commerce's catalogue and
    suggested-products-only promotions); ``analytics.suggested_counts``: per product, how
    many dealers have it in their top-k (planning promotions)."""
    from veriseal_analytics.suggest import provided, provided_counts  # noqa: PLC0415

    return [provided(ctx), provided_counts(ctx)]


async def _suggest(ctx: PluginContext) -> None:
    from veriseal_analytics.suggest import refresh_all  # noqa: PLC0415

    await refresh_all(ctx)


async def _sweep(ctx: PluginContext) -> None:
    from veriseal_analytics.exports import jobs  # noqa: PLC0415

    await jobs(ctx).sweep()


async def _deliver(ctx: PluginContext) -> None:
    from veriseal_analytics.deliveries import deliver_due  # noqa: PLC0415

    await deliver_due(ctx)


@hookimpl
def periodic_tasks() -> list[PeriodicTask]:
    """``analytics.suggest`` every 15 minutes: refit the suggestion models of brands
    whose orders changed (off the request path); ``analytics.exports`` hourly: delete
    export files past their week, fail jobs a stopped server left unfinished;
    ``analytics.deliver`` every 5 minutes: e-mail the saved reports that are due."""
    return [PeriodicTask("analytics.suggest", 900, _suggest),
            PeriodicTask("analytics.exports", 3600, _sweep),
            PeriodicTask("analytics.deliver", 300, _deliver)]  # fmt: skip


@hookimpl
def register_message_types() -> tuple[MessageTypeSpec, ...]:
    """``analytics_report``: a scheduled report (inbox and e-mail, with its file)."""
    from veriseal_analytics.deliveries import MESSAGE_TYPES  # noqa: PLC0415

    return MESSAGE_TYPES
