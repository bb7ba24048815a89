"""veriseal-hello: the smallest useful Veriseal plugin (see README.md).

It uses nothing but ``veriseal``'s public names and the SDK, ``veriseal.extend``: its
own table through ``ctx.db``, a command through ``with_context``, a route through
``mount_plugin`` and ``plugin_context``, and an action of its own, ``hello.read``.
"""

from __future__ import annotations

from typing import Any

import click
from aiohttp import web

from veriseal import (
    Action,
    Call,
    Endpoint,
    Forbidden,
    PluginMigrations,
    Role,
    Scan,
    hookimpl,
)
from veriseal.extend import (
    Database,
    Options,
    Permission,
    PluginContext,
    echo_json,
    mount_plugin,
    plugin_context,
    with_context,
)

NAME = "hello"
#: Reading the per-country counts: they span every brand, so the platform admin's.
HELLO_READ = Action("hello.read")


@hookimpl
def ledger_migrations() -> PluginMigrations:
    return PluginMigrations(prefix=NAME, package="veriseal_hello.migrations")


@hookimpl
def register_permissions() -> list[Permission]:
    return [
        Permission(HELLO_READ, frozenset({Role.PLATFORM_ADMIN}), "Read scan counts", "查看扫码统计")
    ]


@hookimpl
async def scan_recorded(ctx: PluginContext, scan: Scan) -> None:
    country = scan.scan.region.country if scan.scan.region else ""
    async with ctx.db.write() as tx:
        await tx.execute(
            "INSERT INTO hello_scan_counts (scan_id, country) VALUES (?, ?)", scan.id, country
        )


async def counts(db: Database) -> dict[str, int]:
    async with db.read() as tx:
        rows = await tx.fetch(
            "SELECT country, COUNT(*) AS n FROM hello_scan_counts GROUP BY country ORDER BY country"
        )
    return {r["country"]: int(r["n"]) for r in rows}


@hookimpl
def register_commands(cli: Any) -> None:
    @cli.group()
    def hello() -> None:
        """The hello plugin."""

    @hello.command("counts")
    @click.pass_context
    def show(click_ctx: click.Context) -> None:
        """Scans recorded since the plugin was enabled, by country."""

        async def go(ctx: PluginContext) -> None:
            echo_json(await counts(ctx.db))

        opts: Options = click_ctx.find_root().obj  # the root object: veriseal's global options
        with_context(opts, NAME, go)


async def counts_route(call: Call) -> dict[str, int]:
    """Every route names the token scope it needs and checks the caller's role: these
    counts span every brand, so they are the platform admin's to read."""
    ctx = plugin_context(call, NAME)
    ctx.require(call.who, HELLO_READ)
    if call.who.brand_id is not None:
        raise Forbidden("the counts cover every brand: for the platform admin")
    return await counts(ctx.db)


ROUTES = [
    Endpoint("GET", "/api/v1/hello/counts", counts_route, HELLO_READ,
             "Scans recorded since the plugin was enabled, by country", tag="hello"),
]  # fmt: skip


@hookimpl
def register_routes(app: web.Application, ctx: PluginContext) -> None:
    mount_plugin(app, ctx, ROUTES)  # access rule, typed input and OpenAPI, like the core's
