"""PostgreSQL backend (asyncpg): a connection pool, one transaction per call.

Batch sequence numbers are allocated under a row lock on the key (``FOR UPDATE``), so
concurrent batch creations under one key get distinct, gap-free numbers.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import asyncpg

from veriseal.errors import Conflict, StorageError
from veriseal.ledger import rows
from veriseal.ledger.sql import SqlLedger, Tx


@lru_cache(maxsize=512)
def _placeholders(sql: str) -> str:
    """``?`` -> ``$1, $2, ...`` (our SQL has no literal question marks)."""
    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _m: f"${next(counter)}", sql)


def _map_error(exc: Exception) -> Exception:
    if isinstance(exc, asyncpg.UniqueViolationError):
        return Conflict(f"already exists ({exc.detail or exc})")
    return StorageError(f"PostgreSQL: {exc}")


_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


class _PgTx(Tx):
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[rows.Row]:
        try:
            return list(await self._conn.fetch(_placeholders(sql), *args))
        except _ERRORS as exc:
            raise _map_error(exc) from None

    async def execute(self, sql: str, *args: Any) -> None:
        try:
            await self._conn.execute(_placeholders(sql), *args)
        except _ERRORS as exc:
            raise _map_error(exc) from None

    async def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> None:
        try:
            await self._conn.executemany(_placeholders(sql), args)
        except _ERRORS as exc:
            raise _map_error(exc) from None


class PostgresLedger(SqlLedger):
    dialect = "postgres"
    lock_key_sql = "SELECT slot FROM keys WHERE brand_id = ? AND slot = ? FOR UPDATE"
    next_batch_id_sql = "SELECT nextval(pg_get_serial_sequence('batches', 'id')) AS id"

    def __init__(self, url: str, pool: Any) -> None:
        self.url = url
        self._pool = pool

    @classmethod
    async def open(cls, url: str) -> PostgresLedger:
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=10)
        except (*_ERRORS, ValueError) as exc:
            raise StorageError(f"cannot connect to PostgreSQL: {exc}") from None
        return cls(url, pool)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        try:
            conn = await self._pool.acquire()
        except _ERRORS as exc:
            raise _map_error(exc) from None
        try:
            async with conn.transaction():
                yield _PgTx(conn)
        except _ERRORS as exc:  # a failed COMMIT
            raise _map_error(exc) from None
        finally:
            await self._pool.release(conn)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        try:
            conn = await self._pool.acquire()
        except _ERRORS as exc:
            raise _map_error(exc) from None
        try:
            yield _PgTx(conn)
        finally:
            await self._pool.release(conn)

    async def close(self) -> None:
        await self._pool.close()
