"""Hookimpls of the commerce plugin (entry point ``commerce``)."""

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
from veriseal_commerce.permissions import MESSAGE_TYPES, PERMISSIONS


@hookimpl
def ledger_migrations() -> PluginMigrations:
    """The plugin's tables: ``commerce_*`` (see migrations/)."""
    return PluginMigrations(prefix="commerce", package="veriseal_commerce.migrations")


@hookimpl
def register_permissions() -> tuple[Permission, ...]:
    """``prices.manage``, ``prices.view``, ``orders.place``, ``orders.review``,
    ``orders.fulfil``, ``payments.confirm`` (see :mod:`.permissions`)."""
    return PERMISSIONS


@hookimpl
def register_message_types() -> tuple[MessageTypeSpec, ...]:
    """``order_status``: every change of an order, to its dealer and the reviewers."""
    return MESSAGE_TYPES


@hookimpl
def provide_services(ctx: PluginContext) -> list[Provided[Any]]:
    """What other plugins may ask of commerce (see :mod:`.provided`)."""
    from veriseal_commerce.provided import services  # noqa: PLC0415

    return services(ctx)


@hookimpl(trylast=True)
async def seed_demo(ctx: PluginContext, brand: Brand) -> None:
    """Retail and wholesale price lists and two promotions for the demo brand, then its
    sales history (demo_orders.py: orders of the last 60 days, paid). Last of the
    plugins' demo data (``trylast``): the orders need territories' dealers and
    inventory's opening stock."""
    from veriseal_commerce.demo import seed  # noqa: PLC0415
    from veriseal_commerce.demo_orders import seed_orders  # noqa: PLC0415

    await seed(ctx, brand)
    await seed_orders(ctx, brand)


async def _settle(ctx: PluginContext) -> None:
    """Ask the providers about online payments whose notification never came, THEN
    expire what is still unpaid past its deadline (an order paid at the last minute is
    found paid, not expired)."""
    from veriseal_commerce.service import of  # noqa: PLC0415

    commerce = of(ctx)
    await commerce.payments.poll()
    await commerce.orders.expire()


async def _resume_returns(ctx: PluginContext) -> None:
    """Finish returned goods' receipts a crash cut short (see :mod:`.returns_goods`)."""
    from veriseal_commerce.service import of  # noqa: PLC0415

    await of(ctx).return_goods.resume()


@hookimpl
def periodic_tasks() -> list[PeriodicTask]:
    """``commerce.settle`` every minute: payments polled, unpaid orders expired;
    ``commerce.returns_resume`` every minute: cut-short receipts of returns finished."""
    return [PeriodicTask("commerce.settle", 60, _settle),
            PeriodicTask("commerce.returns_resume", 60, _resume_returns)]  # fmt: skip


@hookimpl
def register_commands(cli: Any) -> None:
    """``veriseal prices|promotions|orders|payments ...``."""
    from veriseal_commerce.commands import register  # noqa: PLC0415 (click: CLI only)

    register(cli)


@hookimpl
def register_console_pages() -> list[Any]:
    """``/console/commerce/...``: the catalogue with my prices, orders, payments for
    dealers; prices, promotions, review, fulfilment and payments for the brand."""
    from veriseal_commerce.console_pages import PAGES, VIEWS  # noqa: PLC0415

    return [*PAGES, *VIEWS]


@hookimpl
def register_routes(app: Any, ctx: PluginContext) -> None:
    """``/api/v1/commerce/...`` (and the payment providers' notify endpoints), served
    like the core's (access, typed input, OpenAPI), with this plugin's context."""
    from veriseal.extend import mount_plugin  # noqa: PLC0415 (aiohttp: server only)
    from veriseal_commerce.routes import ROUTES  # noqa: PLC0415

    mount_plugin(app, ctx, ROUTES)


@hookimpl
def event_consumers() -> list[Consumer]:
    """What commerce reacts to on the event stream (see :mod:`.consumers`)."""
    from veriseal_commerce.consumers import CONSUMERS  # noqa: PLC0415

    return list(CONSUMERS)
