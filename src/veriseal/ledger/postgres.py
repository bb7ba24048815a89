"""PostgreSQL backend (asyncpg): a connection pool, one transaction per call.

Batch sequence numbers are allocated under a row lock on the key (``FOR UPDATE``), so
concurrent batch creations under one key get distinct, gap-free numbers, also across
processes; creations under different keys do not wait for each other. The SQL that
differs from SQLite's is in :mod:`veriseal.ledger.dialects.postgres`.

Errors: a unique violation is ``Conflict``; everything else the driver raises (lost
connection, refused connection, timeouts, other server errors) is ``StorageError``, with
a fixed message: the driver's text is logged only (:mod:`veriseal.ledger.failures`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import asyncpg

from veriseal.errors import StorageError
from veriseal.ledger import failures
from veriseal.ledger.base import Row, Tx
from veriseal.ledger.dialects import POSTGRES
from veriseal.ledger.sql import SqlLedger
from veriseal.ledger.text import check, storable


@lru_cache(maxsize=512)
def _placeholders(sql: str) -> str:
    """``?`` -> ``$1, $2, ...`` (our SQL has no literal question marks)."""
    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _m: f"${next(counter)}", sql)


def _map_error(exc: Exception) -> Exception:
    """The ledger's error for a driver error; the driver's text goes to the log only."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return failures.conflict("PostgreSQL", exc)
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return failures.integrity_violation("PostgreSQL", exc)
    return failures.storage_error("PostgreSQL", exc)


#: What the driver raises for a failed statement or connection. InternalClientError
#: included: asyncpg raises it on a connection the server dropped mid-use.
_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)


def _checked(args: Sequence[Any]) -> Sequence[Any]:
    """``args``, after refusing text PostgreSQL cannot store (NUL, unpaired surrogates:
    :mod:`veriseal.ledger.text`) before the driver sees it."""
    for value in args:
        if type(value) is str and not storable(value):
            check(value)
        elif type(value) is list:  # an array parameter (Dialect.any_of, pairs_of)
            for item in value:
                if type(item) is str and not storable(item):
                    check(item)
    return args


class _PgTx(Tx):
    dialect = POSTGRES

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        try:
            return list(await self._conn.fetch(_placeholders(sql), *_checked(args)))
        except _ERRORS as exc:
            raise _map_error(exc) from None

    async def execute(self, sql: str, *args: Any) -> None:
        try:
            await self._conn.execute(_placeholders(sql), *_checked(args))
        except _ERRORS as exc:
            raise _map_error(exc) from None

    async def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> None:
        try:
            await self._conn.executemany(_placeholders(sql), [_checked(row) for row in args])
        except _ERRORS as exc:
            raise _map_error(exc) from None


async def _reset(conn: Any) -> None:
    """What a connection needs before it goes back to the pool. asyncpg's default reset
    is one more round trip per acquire (unlisten, unlock advisory locks, RESET ALL, ...)
    and tripled the cost of a one-row read (measured, benchmarks/bench_scan_path.py).
    The ledger keeps no session state (no LISTEN, no session SET, only
    transaction-scoped advisory locks), so only an open transaction must be ended."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class PostgresLedger(SqlLedger):
    """The ledger in a PostgreSQL database. Obtain one with :meth:`open`."""

    dialect = POSTGRES

    def __init__(self, url: str, pool: Any) -> None:
        self.url = url
        self._pool = pool

    @classmethod
    async def open(cls, url: str) -> PostgresLedger:
        """Connect a pool to ``url`` (``postgresql://user@host:port/db``).

        ``StorageError`` if the server cannot be reached or refuses us. Does not migrate.
        """
        try:
            # asyncpg prepares every statement; PostgreSQL's *generic* plan for one is fixed
            # after a few runs, e.g. a sequential scan chosen while scans was still empty,
            # which then slows down with every row. Custom plans cost little here and use
            # the indexes at any table size.
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=10,
                server_settings={"plan_cache_mode": "force_custom_plan"},
                reset=_reset,
            )
        except (*_ERRORS, ValueError) as exc:
            raise StorageError(f"cannot connect to PostgreSQL: {exc}") from None
        return cls(url, pool)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """A transaction on a pooled connection, committed on normal exit."""
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
    async def hot_write(self) -> AsyncIterator[Tx]:
        """A group of scans' transaction (:meth:`ScanStore.append_scans`), on generic
        plans: its statements are inserts and primary-key lookups, whose plans do not
        depend on the values, and re-planning each row (``force_custom_plan``, see
        :meth:`open`) cost PostgreSQL a quarter of every insert, more on the partitioned
        scans (measured 53 vs 41 us a row on one table, 75 vs 53 on partitions).
        ``SET LOCAL`` ends with the transaction."""
        async with self.write() as tx:
            await tx.execute("SET LOCAL plan_cache_mode = auto")
            yield tx

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """A pooled connection in autocommit: each statement sees the last commit."""
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
