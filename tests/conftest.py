"""Fixtures shared by the suite: a real ledger on every backend.

``ledger_url`` is parametrized over ``sqlite`` (a file in tmp_path) and ``postgres`` (a
fresh database on the server at 127.0.0.1:5432, user postgres, dropped afterwards). The
PostgreSQL half FAILS when the server is unreachable, so CI cannot pass without it;
``VERISEAL_SKIP_POSTGRES=1`` skips it deliberately on a machine without PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from veriseal.ledger import Ledger, open_ledger

PG_ADMIN = os.environ.get("VERISEAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    if os.environ.get("VERISEAL_SKIP_POSTGRES") == "1":
        pytest.skip("VERISEAL_SKIP_POSTGRES=1")
    name = f"veriseal_test_{secrets.token_hex(6)}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL at {PG_ADMIN} is required by the suite: {exc}")
    base = PG_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def ledger(ledger_url: str) -> AsyncIterator[Ledger]:
    led = await open_ledger(ledger_url)
    await led.migrate()
    try:
        yield led
    finally:
        await led.close()
