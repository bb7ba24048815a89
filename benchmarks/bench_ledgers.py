"""Fresh ledgers for the benchmarks: a SQLite file, or a PostgreSQL database on the
server at 127.0.0.1:5432 (``VERISEAL_TEST_PG`` names another) made for the run and
dropped after it."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg

from veriseal.ledger import Ledger, open_ledger

PG_ADMIN = os.environ.get("VERISEAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def fresh_url(backend: str, tmp: Path, name: str) -> tuple[str, str | None]:
    """The URL of an empty ledger (not migrated): ``tmp/<name>.sqlite3`` or the database
    ``name`` (made anew), for an :class:`~veriseal.engine.Engine` that migrates its
    plugins' tables too; with the database's name to :func:`drop` (``None`` for SQLite)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'{name}.sqlite3'}", None
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", name


async def fresh_ledger(backend: str, tmp: Path, name: str) -> tuple[Ledger, str | None]:
    """A migrated, empty ledger: ``tmp/<name>.sqlite3`` or the database ``name`` (made
    anew); with the database's name to :func:`drop` (``None`` for SQLite)."""
    url, dropped = await fresh_url(backend, tmp, name)
    led = await open_ledger(url)
    await led.migrate()
    return led, dropped


async def drop(name: str | None) -> None:
    """Drop the database :func:`fresh_ledger` made (nothing for SQLite)."""
    if name:
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
