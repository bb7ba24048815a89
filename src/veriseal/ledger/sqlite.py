"""SQLite backend (aiosqlite): the embedded default.

One writer connection, serialised by an asyncio lock, writing in ``BEGIN IMMEDIATE``
transactions; a separate reader connection, so reads never see a write half done (WAL
lets it read the last committed state while a write is under way). ``synchronous=FULL``
makes a committed transaction survive power loss, not only a process crash.
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

from veriseal.errors import Conflict, StorageError
from veriseal.ledger import rows
from veriseal.ledger.sql import SqlLedger, Tx

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _map_error(exc: sqlite3.Error) -> Exception:
    if isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc):
        return Conflict(f"already exists ({exc})")
    return StorageError(f"SQLite: {exc}")


class _SqliteTx(Tx):
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[rows.Row]:
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
    dialect = "sqlite"

    def __init__(self, url: str, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.url = url
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> SqliteLedger:
        """Open (creating folders and file as needed) the ledger at ``path``."""
        file = Path(path)
        if file.is_dir():
            # checked here: aiosqlite would fail in its worker thread, which outlives the
            # error and reports it again later
            raise StorageError(f"cannot open SQLite ledger {file}: it is a folder")
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            writer = await _connect(file)
            reader = await _connect(file)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open SQLite ledger {file}: {exc}") from None
        return cls(f"sqlite:///{file.absolute()}", writer, reader)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
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
                raise _map_error(exc) from None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        yield _SqliteTx(self._reader)

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()


async def _connect(file: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(file, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    for pragma in _PRAGMAS:
        await conn.execute(pragma)
    return conn
