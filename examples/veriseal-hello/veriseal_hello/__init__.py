"""veriseal-hello: the smallest useful Veriseal plugin (see README.md)."""

from __future__ import annotations

from typing import Any

import click
from aiohttp import web

from veriseal import (
    Action,
    Call,
    Endpoint,
    Engine,
    Forbidden,
    PluginMigrations,
    Scan,
    hookimpl,
    mount,
    require_permission,
)
from veriseal_cli.context import echo_json, with_engine


@hookimpl
def ledger_migrations() -> PluginMigrations:
    return PluginMigrations(prefix="hello", package="veriseal_hello.migrations")


@hookimpl
async def scan_recorded(engine: Engine, scan: Scan) -> None:
    country = scan.scan.region.country if scan.scan.region else ""
    async with engine.ledger.write() as tx:
        await tx.execute(
            "INSERT INTO hello_scan_counts (scan_id, country) VALUES (?, ?)", scan.id, country
        )


async def counts(ledger: Any) -> dict[str, int]:
    async with ledger.read() as tx:
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
    def show(ctx: click.Context) -> None:
        """Scans recorded since the plugin was enabled, by country."""

        async def go(engine: Engine) -> None:
            echo_json(await counts(engine.ledger))

        with_engine(ctx.find_root().obj, go)  # the root object: veriseal's global options


async def counts_route(call: Call) -> dict[str, int]:
    """Every route names the token scope it needs and checks the caller's role: these
    counts span every brand, so they are the platform admin's to read."""
    require_permission(call.who, Action.SCANS_READ)
    if call.who.brand_id is not None:
        raise Forbidden("the counts cover every brand: for the platform admin")
    return await counts(call.engine.ledger)


ROUTES = [
    Endpoint("GET", "/api/v1/hello/counts", counts_route, Action.SCANS_READ,
             "Scans recorded since the plugin was enabled, by country", tag="hello"),
]  # fmt: skip
ENGINE = web.AppKey("hello_engine", Engine)


@hookimpl
def register_routes(app: web.Application, engine: Engine) -> None:
    app[ENGINE] = engine
    mount(app, ROUTES, ENGINE)  # access rule, typed input and OpenAPI, like the core's
