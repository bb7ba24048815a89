"""``veriseal init``, ``veriseal migrate`` and ``veriseal brand``."""

from __future__ import annotations

import os
from pathlib import Path

import click

from veriseal import config as config_mod
from veriseal.catalog.brands import check_resolver, check_slug
from veriseal.catalog.keys import create_key_file
from veriseal.engine import Engine
from veriseal.errors import InvalidInput
from veriseal.extend import manager as plugins
from veriseal.i18n import t
from veriseal.ledger import open_ledger
from veriseal.ledger.provision import ensure_database
from veriseal_cli.context import Options, echo_json, pass_opts, run, with_engine


@click.command()
@click.option("--brand", "slug", required=True, help="Brand id: lower-case letters, digits, '-'.")
@click.option("--name", required=True, help="Brand name shown to consumers.")
@click.option("--resolver", required=True, help="Host of the code links, e.g. id.acme.example.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for a new config, SQLite ledger and key file (default: the config's folder).",
)
@pass_opts
def init(opts: Options, slug: str, name: str, resolver: str, directory: Path | None) -> None:
    """Create the ledger (if needed) and a brand with its first key.

    Run again with another --brand to add a tenant to the same ledger. A PostgreSQL
    database named by --db that does not exist yet is created. Nothing (config, key
    file) is written unless the ledger opens.
    """
    path = config_mod.config_path(opts.config)
    if directory is not None and not opts.config:
        path = directory.absolute() / config_mod.DEFAULT_FILE
        opts.config = str(path)
    base = path.parent

    async def go() -> None:
        check_slug(slug)  # bad arguments fail before anything is written, too
        check_resolver(resolver)
        if not name.strip():
            raise InvalidInput("a brand needs a name")
        if not path.exists():
            db = (
                opts.db
                or os.environ.get("VERISEAL_DB")
                or config_mod.sqlite_url(base / "veriseal.sqlite3")
            )
            await _check_ledger(db, opts.lang)  # before anything is written
            base.mkdir(parents=True, exist_ok=True)
            key_file: str | None = None
            if not os.environ.get("VERISEAL_PASSPHRASE"):
                key_file = "veriseal.key"
                key_path = base / key_file
                if not key_path.exists():
                    create_key_file(key_path)
                click.echo(t("cli.key_file", opts.lang, path=key_path))
            config_mod.write(path, db, key_file, slug)
            click.echo(t("cli.config_written", opts.lang, path=path))
        else:
            await _check_ledger(opts.load().db_url, opts.lang)
        engine = await Engine.open(opts.load())
        try:
            click.echo(t("cli.ledger_ready", opts.lang, url=engine.config.db_url))
            brand = await engine.brands.create(slug, name, resolver)
            key = await engine.keys.active(brand)
            click.echo(t("cli.brand_created", opts.lang, slug=brand.slug, kid=key.kid))
            # users and dealers hang below it: `users add --org ID` works at once
            root = await engine.accounts.brand_org(brand)
            click.echo(t("cli.root_org", opts.lang, id=root.id))
        finally:
            await engine.close()

    run(opts, go)


async def _check_ledger(url: str, lang: str | None) -> None:
    """Create a missing PostgreSQL database, then open and close the ledger: a bad URL
    or an unreachable server fails here, before init writes a config or a key file."""
    if await ensure_database(url):
        click.echo(t("cli.database_created", lang, url=url.rsplit("@", maxsplit=1)[-1]))
    ledger = await open_ledger(url)
    await ledger.close()


@click.command()
@pass_opts
def migrate(opts: Options) -> None:
    """Apply pending ledger schema migrations."""

    async def go() -> None:
        config = opts.load()
        sources = plugins.Plugins(plugins.load(config.plugins)).migrations()
        ledger = await open_ledger(config.db_url)
        try:
            applied = await ledger.migrate(sources)
        finally:
            await ledger.close()
        if applied:
            click.echo(t("cli.migrated", opts.lang, names=", ".join(applied)))
        else:
            click.echo(t("cli.up_to_date", opts.lang))

    run(opts, go)


@click.group()
def brand() -> None:
    """Brands (tenants) in this ledger."""


@brand.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_opts
def brand_list(opts: Options, as_json: bool) -> None:
    """List brands."""

    async def go(engine: Engine) -> None:
        brands = await engine.brands.list()
        if as_json:
            echo_json([{"slug": b.slug, "name": b.name, "resolver": b.resolver} for b in brands])
            return
        for b in brands:
            click.echo(f"{b.slug}\t{b.name}\t{b.resolver}")

    with_engine(opts, go)
