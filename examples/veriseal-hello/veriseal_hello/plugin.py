"""Hookimpls of the hello plugin (entry point ``hello``): nothing but hookimpls."""

from __future__ import annotations

from typing import Any

from veriseal import PluginMigrations, Role, hookimpl
from veriseal.extend import (
    Channel,
    Consumer,
    MessageTypeSpec,
    Permission,
    PluginContext,
    Provided,
    mount_plugin,
)
from veriseal_hello import events, service
from veriseal_hello.models import HELLO_READ, NAME, NEW_COUNTRY


@hookimpl
def ledger_migrations() -> PluginMigrations:
    return PluginMigrations(prefix=NAME, package="veriseal_hello.migrations")


@hookimpl
def register_permissions() -> list[Permission]:
    return [
        Permission(HELLO_READ, frozenset({Role.PLATFORM_ADMIN}), "Read scan counts", "查看扫码统计")
    ]


@hookimpl
def register_message_types() -> list[MessageTypeSpec]:
    return [
        MessageTypeSpec(
            NEW_COUNTRY, "Scanned in a new country", "新的扫码国家或地区",
            (Channel.INBOX, Channel.EMAIL),
        )
    ]  # fmt: skip


@hookimpl
def provide_services(ctx: PluginContext) -> list[Provided[Any]]:
    return service.services(ctx)


@hookimpl
def event_consumers() -> list[Consumer]:
    return events.consumers()


@hookimpl
def register_commands(cli: Any) -> None:
    from veriseal_hello.cli import group  # noqa: PLC0415 (click: CLI only)

    cli.add_command(group)


@hookimpl
def register_routes(app: Any, ctx: PluginContext) -> None:
    from veriseal_hello.api import ROUTES  # noqa: PLC0415 (aiohttp: server only)

    mount_plugin(app, ctx, ROUTES)  # access rule, typed input and OpenAPI, like the core's
