"""Fresh ledgers for the benchmarks: a SQLite file, or a PostgreSQL database on the
server at 127.0.0.1:5432 (``VERISEAL_TEST_PG`` names another) made for the run and
dropped after it."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg

from veriseal.ledger import Ledger, open_ledger

PG_ADMIN = os.environ.get("VERISEAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def fresh_ledger(backend: str, tmp: Path, name: str) -> tuple[Ledger, str | None]:
    """A migrated, empty ledger: ``tmp/<name>.sqlite3`` or the database ``name`` (made
    anew); with the database's name to :func:`drop` (``None`` for SQLite)."""
    if backend == "sqlite":
        led = await open_ledger(f"sqlite:///{tmp / f'{name}.sqlite3'}")
        await led.migrate()
        return led, None
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    led = await open_ledger(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
    await led.migrate()
    return led, name


async def drop(name: str | None) -> None:
    """Drop the database :func:`fresh_ledger` made (nothing for SQLite)."""
    if name:
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
