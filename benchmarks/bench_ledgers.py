"""Fresh ledgers for the benchmarks: a SQLite file, or a PostgreSQL database on the
server at 127.0.0.1:5432 (``VERISEAL_TEST_PG`` names another) made for the run and
dropped after it."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg

from veriseal.ledger import Ledger, open_ledger

PG_ADMIN = os.environ.get("VERISEAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def fresh_url(
    backend: str, tmp: Path, name: str, admin: str = PG_ADMIN
) -> tuple[str, str | None]:
    """The URL of an empty ledger (not migrated): ``tmp/<name>.sqlite3`` or the database
    ``name`` (made anew on the server ``admin`` reaches), for an
    :class:`~veriseal.engine.Engine` that migrates its plugins' tables too; with the
    database's name to :func:`drop` (``None`` for SQLite)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'{name}.sqlite3'}", None
    return await fresh_database(name, admin), name


async def fresh_database(name: str, admin: str = PG_ADMIN) -> str:
    """The URL of the PostgreSQL database ``name``, made anew (empty) on the server
    ``admin`` reaches; :func:`drop` drops it."""
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin.rsplit("/", 1)[0] + f"/{name}"


async def fresh_ledger(backend: str, tmp: Path, name: str) -> tuple[Ledger, str | None]:
    """A migrated, empty ledger: ``tmp/<name>.sqlite3`` or the database ``name`` (made
    anew); with the database's name to :func:`drop` (``None`` for SQLite)."""
    url, dropped = await fresh_url(backend, tmp, name)
    led = await open_ledger(url)
    await led.migrate()
    return led, dropped


async def drop(*names: str | None, admin: str = PG_ADMIN) -> None:
    """Drop the databases :func:`fresh_url` made (``None``: SQLite, nothing to drop)."""
    if not any(names):
        return
    conn = await asyncpg.connect(admin)
    try:
        for name in filter(None, names):
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
