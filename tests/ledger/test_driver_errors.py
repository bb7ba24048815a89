"""A driver's message never leaves the ledger: it is logged, the error has a fixed text.

Failures are provoked for real on each backend (a statement the database refuses, a
duplicate, a connection the server dropped, text PostgreSQL cannot store); the error's
message and details must hold nothing of what the driver said, while the log must.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.conftest import PG_ADMIN
from veriseal.errors import Conflict, StorageError, TextInvalid, VerisealError
from veriseal.ledger import Ledger, open_ledger
from veriseal.ledger.failures import CONFLICT_MESSAGE, STORAGE_MESSAGE
from veriseal.models import ScanQuery


def _shown(exc: VerisealError) -> str:
    """Everything of the error a client would see (the JSON body)."""
    return repr(exc.to_dict())


async def test_a_refused_statement_shows_a_fixed_message(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(StorageError) as caught:
        async with ledger.read() as tx:
            await tx.fetch("SELECT secret_column FROM no_such_table_xyz")
    exc = caught.value
    assert exc.message == STORAGE_MESSAGE
    assert "no_such_table_xyz" not in _shown(exc) and "secret_column" not in _shown(exc)
    # the operator finds the driver's text in the log, under the incident id shown
    logged = [r.getMessage() for r in caplog.records if r.name == "veriseal.ledger"]
    assert any(exc.details["incident"] in m and "no_such_table_xyz" in m for m in logged)


async def test_a_duplicate_shows_no_table_or_column(ledger: Ledger) -> None:
    await ledger.create_brand("acme", "Acme", "id.acme.example")
    with pytest.raises(Conflict) as caught:
        await ledger.create_brand("acme", "Acme again", "id.acme.example")
    assert caught.value.message == CONFLICT_MESSAGE
    assert "brands" not in _shown(caught.value) and "slug" not in _shown(caught.value)


async def test_text_no_backend_stores_is_refused_before_the_driver(ledger: Ledger) -> None:
    """A read with a NUL: PostgreSQL's driver would say 'invalid byte sequence ...'."""
    for bad in ("C00\x00N", "\ud800"):
        with pytest.raises(TextInvalid) as caught:
            await ledger.list_scans(None, ScanQuery(code=bad))
        assert "byte sequence" not in _shown(caught.value)
        assert "utf-8" not in _shown(caught.value).lower()


@pytest.mark.postgres
async def test_a_dropped_connection_shows_a_fixed_message(pg_url: str) -> None:
    ledger = await open_ledger(pg_url)
    try:
        await ledger.migrate()

        async def slow_read() -> None:
            async with ledger.read() as tx:
                await tx.fetch("SELECT pg_sleep(30) AS slept")

        reading = asyncio.create_task(slow_read())
        admin = await asyncpg.connect(PG_ADMIN)
        try:  # the server drops the connection mid-statement (a restart, a failover)
            for _ in range(100):
                killed = await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = $1 AND query LIKE '%pg_sleep(30)%'"
                    " AND pid <> pg_backend_pid()",
                    pg_url.rsplit("/", 1)[1],
                )
                if killed:
                    break
                await asyncio.sleep(0.05)
        finally:
            await admin.close()
        with pytest.raises(StorageError) as caught:
            await asyncio.wait_for(reading, 10)
        assert caught.value.message == STORAGE_MESSAGE
        assert "terminat" not in _shown(caught.value).lower()
        assert "connection" not in _shown(caught.value).lower()
    finally:
        await ledger.close()
