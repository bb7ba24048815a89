"""SQLite backend (aiosqlite): the embedded default.

One writer connection, serialised by an asyncio lock, writing in ``BEGIN IMMEDIATE``
transactions (the write lock is taken up front, so another process writing the same file
waits up to ``busy_timeout`` instead of failing half-way); a separate reader connection,
so reads never see a write half done (WAL lets it read the last committed state while a
write is under way). ``synchronous=FULL`` makes a committed transaction survive power
loss, not only a process crash.

Stored forms: timestamps are ISO-8601 text in UTC (``2026-11-25T08:00:00+00:00``, so
text order is time order), dates ISO dates, bytes BLOBs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from enum import Enum
from pathlib import Path
from typing import Any

import aiosqlite

from veriseal.errors import Conflict, IntegrityViolation, StorageError
from veriseal.ledger.base import Row, Tx
from veriseal.ledger.sql import SqlLedger

#: Milliseconds a writer waits for another process's write lock before StorageError.
BUSY_TIMEOUT_MS = 10_000

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)

_UNIQUE_ERRORS = {"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}


def _encode(value: Any) -> Any:
    """Python value -> SQLite value (see the module docstring for the stored forms)."""
    if isinstance(value, dt.datetime):
        # a naive datetime is taken as local time, as asyncpg does for timestamptz
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _map_error(exc: sqlite3.Error) -> Exception:
    name = getattr(exc, "sqlite_errorname", "")
    if name in _UNIQUE_ERRORS or (
        isinstance(exc, sqlite3.IntegrityError) and "UNIQUE constraint" in str(exc)
    ):
        return Conflict(f"already exists ({exc})")
    if isinstance(exc, sqlite3.IntegrityError):
        return IntegrityViolation(f"SQLite: {exc}")
    return StorageError(f"SQLite: {exc}")


class _SqliteTx(Tx):
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        try:
            async with self._conn.execute(sql, [_encode(a) for a in args]) as cur:
                return [dict(r) for r in await cur.fetchall()]
        except sqlite3.Error as exc:
            raise _map_error(exc) from None

    async def execute(self, sql: str, *args: Any) -> None:
        try:
            await self._conn.execute(sql, [_encode(a) for a in args])
        except sqlite3.Error as exc:
            raise _map_error(exc) from None

    async def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> None:
        try:
            await self._conn.executemany(sql, [[_encode(a) for a in row] for row in args])
        except sqlite3.Error as exc:
            raise _map_error(exc) from None


class SqliteLedger(SqlLedger):
    """The ledger in one SQLite file. Obtain one with :meth:`open`."""

    dialect = "sqlite"
    schema_migrations_ddl = (
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    has_schema_migrations_sql = (
        "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    )

    def __init__(
        self, url: str, writer: aiosqlite.Connection, reader: aiosqlite.Connection
    ) -> None:
        self.url = url
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()  # one write transaction at a time on the writer

    @classmethod
    async def open(cls, path: str | Path) -> SqliteLedger:
        """Open (creating parent folders and the file as needed) the ledger at ``path``.

        ``StorageError`` if the file cannot be opened. Does not migrate.
        """
        file = Path(path).absolute()
        if file.is_dir():
            # checked here: aiosqlite would fail in its worker thread, which outlives the
            # error and reports it again later
            raise StorageError(f"cannot open SQLite ledger {file}: it is a folder")
        writer: aiosqlite.Connection | None = None
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            writer = await _connect(file)
            reader = await _connect(file)
        except (OSError, sqlite3.Error) as exc:
            if writer is not None:
                await writer.close()
            raise StorageError(f"cannot open SQLite ledger {file}: {exc}") from None
        return cls(f"sqlite://{file}", writer, reader)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """A ``BEGIN IMMEDIATE`` transaction on the single writer connection."""
        async with self._lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _map_error(exc) from None
            try:
                yield _SqliteTx(self._writer)
            except BaseException:
                await self._writer.rollback()
                raise
            try:
                await self._writer.commit()
            except sqlite3.Error as exc:
                # a failed COMMIT leaves the transaction open: end it, or the next
                # BEGIN IMMEDIATE fails with "transaction within a transaction"
                await self._writer.rollback()
                raise _map_error(exc) from None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """The reader connection (autocommit: each statement sees the last commit)."""
        yield _SqliteTx(self._reader)

    async def allocate_scan_ids(self, tx: Tx, n: int) -> list[int]:
        # The writer lock and BEGIN IMMEDIATE exclude every other writer: max + 1 is free.
        row = await tx.fetchrow("SELECT COALESCE(MAX(id), 0) + 1 AS first FROM scans")
        assert row is not None
        first = int(row["first"])
        return list(range(first, first + n))

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()


async def _connect(file: Path) -> aiosqlite.Connection:
    # isolation_level=None: no implicit transactions; write() issues BEGIN IMMEDIATE itself
    conn = await aiosqlite.connect(file, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        for pragma in _PRAGMAS:
            await conn.execute(pragma)
    except BaseException:
        await conn.close()
        raise
    return conn
