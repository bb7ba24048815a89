"""SQLite backend (aiosqlite): the embedded default.

One writer connection, serialised by an asyncio lock, writing in ``BEGIN IMMEDIATE``
transactions (the write lock is taken up front, so another process writing the same file
waits up to ``busy_timeout`` instead of failing half-way); a separate reader connection,
so reads never see a write half done (WAL lets it read the last committed state while a
write is under way). ``synchronous=FULL`` makes a committed transaction survive power
loss, not only a process crash.

The scan hot path (``hot_write()`` / ``hot_read()``: a group of scans appended, a code's
history read) runs its short indexed statements on the event loop's own thread, on two
more connections, and hands only the COMMIT (the fsync) to a thread. Measured on the
verify endpoint: every aiosqlite round trip costs a thread hop, and the worker thread's
Python work competes for the GIL with the loop, stretching the loop's socket sends and
reads; going inline more than doubled the scans recorded per second. Every write
transaction, inline or not, holds the same asyncio lock, so one process never has two
write transactions open. The hot writer does not checkpoint the WAL inside its COMMIT
(SQLite's default every 1,000 pages, which made one group's commit wait for the
database file's fsync): every ``_CHECKPOINT_EVERY`` hot commits a passive checkpoint
runs in a background thread on its own connection, blocking neither writers nor
readers, followed by a short one under the write lock so the WAL can start over.

Stored forms: timestamps are ISO-8601 text in UTC (``2026-11-25T08:00:00+00:00``, so
text order is time order), dates ISO dates, bytes BLOBs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from enum import Enum
from pathlib import Path
from typing import Any, cast

import aiosqlite

from veriseal.errors import StorageError
from veriseal.ledger import failures
from veriseal.ledger.base import Row, Tx
from veriseal.ledger.dialects import SQLITE
from veriseal.ledger.sql import SqlLedger
from veriseal.ledger.text import check, storable
from veriseal.ledger.write_lock import WriteLock

log = logging.getLogger("veriseal.ledger")

#: Milliseconds a writer waits for another process's write lock before StorageError.
BUSY_TIMEOUT_MS = 10_000

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)

#: Hot commits between two background WAL checkpoints.
_CHECKPOINT_EVERY = 64

#: Milliseconds an inline (event-loop) read may wait for a WAL recovery or reset.
_HOT_READ_BUSY_MS = 200

_UNIQUE_ERRORS = {"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}


_PLAIN = frozenset({int, float, bytes, type(None)})  # stored as they are


def _encode(value: Any) -> Any:
    """Python value -> SQLite value (see the module docstring for the stored forms).
    Text no backend can store is refused here, before the driver sees it
    (:mod:`veriseal.ledger.text`)."""
    kind = type(value)
    if kind is str:  # most values: a type test and an O(1) isascii (a scan row has 20)
        return value if storable(value) else check(value)
    if kind in _PLAIN:
        return value
    if isinstance(value, dt.datetime):
        # a naive datetime is taken as local time, as asyncpg does for timestamptz
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _encode(value.value)
    if isinstance(value, str):
        return check(value)
    return value


def _map_error(exc: sqlite3.Error) -> Exception:
    """The ledger's error for a driver error; the driver's text goes to the log only."""
    name = getattr(exc, "sqlite_errorname", "")
    if name in _UNIQUE_ERRORS or (
        isinstance(exc, sqlite3.IntegrityError) and "UNIQUE constraint" in str(exc)
    ):
        return failures.conflict("SQLite", exc)
    if isinstance(exc, sqlite3.IntegrityError):
        return failures.integrity_violation("SQLite", exc)
    return failures.storage_error("SQLite", exc)


def _create_private(file: Path) -> None:
    """Create a missing ledger file readable by its owner only (0600): it holds e-mail
    addresses, phone numbers, password hashes and scan locations. SQLite creates the
    ``-wal`` and ``-shm`` files with the database file's mode, so they follow. An
    existing file keeps the mode its owner gave it."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class _DriverErrors:
    """``with _MAPPED:``: a driver error leaves as the ledger's error (Conflict, ...)."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, _tb: Any
    ) -> None:
        if isinstance(exc, sqlite3.Error):
            raise _map_error(exc) from None


_MAPPED = _DriverErrors()


def _params(args: Sequence[Any]) -> list[Any]:
    # The common kinds inline (a group commit encodes ~32 values per scan): a call to
    # _encode per value was a measurable share of the append (issue 20).
    out = []
    for value in args:
        kind = type(value)
        if (kind is str and value.isascii() and "\x00" not in value) or kind in _PLAIN:
            out.append(value)
        else:
            out.append(_encode(value))
    return out


#: ``[(description, names, first)]``: the statement whose rows were built last, its
#: column names and, when a name repeats, the position of each name's first column (None
#: otherwise). One tuple replaced whole, so a thread reading it sees a matching set.
_NAMES: list[tuple[Any, tuple[str, ...], tuple[int, ...] | None]] = [((), (), None)]


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    """The row factory of every ledger connection: a row as the dict ``Tx.fetch``
    returns, a repeated column name taking its first column's value (as
    ``dict(sqlite3.Row)`` did). ``dict(sqlite3.Row)`` looked each column up by name,
    case-insensitively (quadratic in the columns): a 23-column scan row took 4.3 us
    against 2.3 us zipped with the names, which are built once per statement (its
    ``description`` is one object for all its rows, and holding it keeps its identity
    from being reused)."""
    seen, names, first = _NAMES[0]
    description = cursor.description
    if description is not seen:
        names = tuple(d[0] for d in description)
        first = None
        if len(set(names)) < len(names):
            first = tuple(i for i, n in enumerate(names) if n not in names[:i])
        _NAMES[0] = (description, names, first)
    if first is None:
        return dict(zip(names, row, strict=True))
    return {names[i]: row[i] for i in first}


class _SqliteTx(Tx):
    """Statements on an aiosqlite connection: each one ONE hop to its thread, which runs
    the statement to its end before the connection takes the next.

    Why one hop: a SELECT stepped but not yet finished holds a read transaction on its
    connection, and every statement started on that connection meanwhile reads the same
    snapshot. The reader connection is shared by all concurrent requests; with execute
    and fetch as two hops, another request's statements slipped in between and read a
    snapshot older than a write already acknowledged to that request (a user created
    a moment ago answered 404). Finished statements leave no read transaction open, so
    every read sees every commit made before it started.
    """

    dialect = SQLITE

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        with _MAPPED:
            return cast(list[Row], await self._conn.execute_fetchall(sql, _params(args)))

    async def execute(self, sql: str, *args: Any) -> None:
        with _MAPPED:  # run to the end too (a RETURNING nobody reads included)
            await self._conn.execute_fetchall(sql, _params(args))

    async def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> None:
        with _MAPPED:
            await self._conn.executemany(sql, [_params(row) for row in args])


class _InlineTx(Tx):
    """Statements run at once on the calling thread (the event loop's): for short
    indexed statements only, which take microseconds."""

    dialect = SQLITE

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        with _MAPPED:
            return self._conn.execute(sql, _params(args)).fetchall()

    async def execute(self, sql: str, *args: Any) -> None:
        with _MAPPED:
            self._conn.execute(sql, _params(args))

    async def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> None:
        with _MAPPED:
            self._conn.executemany(sql, [_params(row) for row in args])


class SqliteLedger(SqlLedger):
    """The ledger in one SQLite file. Obtain one with :meth:`open`."""

    dialect = SQLITE

    def __init__(
        self,
        url: str,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        hot: tuple[sqlite3.Connection, sqlite3.Connection, sqlite3.Connection],
    ) -> None:
        self.url = url
        self._writer = writer
        self._reader = reader
        self._hot_writer, self._hot_reader, self._checkpoint_conn = hot
        # the hot writer's COMMITs (and a BEGIN that must wait for another process)
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="veriseal-sqlite-commit")
        self._checkpointer = ThreadPoolExecutor(1, thread_name_prefix="veriseal-sqlite-wal")
        self._checkpointing: asyncio.Task[None] | None = None
        self._since_checkpoint = 0
        # one write transaction at a time, on either writer; the scans' group first
        self._lock = WriteLock()

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
        opened: list[aiosqlite.Connection | sqlite3.Connection] = []
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            _create_private(file)
            writer = await _connect(file)
            opened.append(writer)
            reader = await _connect(file)
            opened.append(reader)
            # Inline statements must not sleep in SQLite's busy handler on the loop's
            # thread: the writer learns at once that another process writes (and then
            # waits in a thread, _begin_waiting); a WAL reader only ever waits, briefly,
            # while a connection recovers or resets the WAL.
            hot_writer = _connect_inline(file, busy_ms=0)
            opened.append(hot_writer)
            hot_reader = _connect_inline(file, busy_ms=_HOT_READ_BUSY_MS)
            opened.append(hot_reader)
            hot_writer.execute("PRAGMA wal_autocheckpoint=0")  # see the module docstring
            checkpoint = _connect_inline(file, busy_ms=0)
        except (OSError, sqlite3.Error) as exc:
            for conn in opened:
                await conn.close() if isinstance(conn, aiosqlite.Connection) else conn.close()
            raise StorageError(f"cannot open SQLite ledger {file}: {exc}") from None
        return cls(f"sqlite://{file}", writer, reader, (hot_writer, hot_reader, checkpoint))

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """A ``BEGIN IMMEDIATE`` transaction on the single writer connection."""
        async with self._lock.hold():
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

    @asynccontextmanager
    async def hot_write(self) -> AsyncIterator[Tx]:
        """A ``BEGIN IMMEDIATE`` transaction whose statements run inline; the COMMIT runs
        in the commit thread, so the loop serves other requests during the fsync."""
        conn = self._hot_writer
        loop = asyncio.get_running_loop()
        async with self._lock.hold(hot=True):  # before waiting consumers: see write_lock
            try:
                try:
                    conn.execute("BEGIN IMMEDIATE")  # busy_timeout 0: never blocks the loop
                except sqlite3.OperationalError as exc:
                    if not exc.sqlite_errorname.startswith("SQLITE_BUSY"):
                        raise
                    # another process is writing: wait for it in a thread
                    await self._in_commit_thread(loop, _begin_waiting, conn)
            except sqlite3.Error as exc:
                raise _map_error(exc) from None
            try:
                yield _InlineTx(conn)
            except BaseException:
                conn.rollback()
                raise
            try:
                await self._in_commit_thread(loop, conn.commit)
            except sqlite3.Error as exc:
                conn.rollback()  # a failed COMMIT leaves the transaction open
                raise _map_error(exc) from None
        self._since_checkpoint += 1
        if self._since_checkpoint >= _CHECKPOINT_EVERY and (
            self._checkpointing is None or self._checkpointing.done()
        ):
            self._since_checkpoint = 0
            self._checkpointing = loop.create_task(self._checkpoint_round(loop))

    async def _checkpoint_round(self, loop: asyncio.AbstractEventLoop) -> None:
        """Copy the WAL into the database file while scans go on, then once more, briefly,
        under the write lock: SQLite starts the WAL over only when a write transaction
        begins with every frame copied, which never happens while writes continue."""
        await loop.run_in_executor(self._checkpointer, _checkpoint, self._checkpoint_conn)
        async with self._lock.hold():  # only the frames committed meanwhile are left
            await loop.run_in_executor(self._checkpointer, _checkpoint, self._checkpoint_conn)

    async def _in_commit_thread(self, loop: asyncio.AbstractEventLoop, fn: Any, *args: Any) -> None:
        done = loop.run_in_executor(self._committer, fn, *args)
        try:
            await asyncio.shield(done)
        except asyncio.CancelledError:
            # The thread goes on with the connection: let it finish before the lock is
            # released, or the next transaction would use the connection concurrently.
            await done
            raise

    @asynccontextmanager
    async def hot_read(self) -> AsyncIterator[Tx]:
        """The inline reader connection (autocommit, WAL: never waits for a writer)."""
        yield _InlineTx(self._hot_reader)

    async def close(self) -> None:
        if self._checkpointing is not None:
            await self._checkpointing
        await self._reader.close()
        await self._writer.close()
        self._committer.shutdown(wait=True)
        self._checkpointer.shutdown(wait=True)
        self._hot_reader.close()
        self._hot_writer.close()
        self._checkpoint_conn.close()


def _connect_inline(file: Path, busy_ms: int) -> sqlite3.Connection:
    # check_same_thread=False: the writer's COMMIT runs in the commit thread, never at
    # the same time as a statement (the write lock orders them).
    conn = sqlite3.connect(file, isolation_level=None, check_same_thread=False)
    try:
        conn.row_factory = _dict_row
        for pragma in _PRAGMAS:
            conn.execute(pragma)
        conn.execute(f"PRAGMA busy_timeout={busy_ms}")
    except BaseException:
        conn.close()
        raise
    return conn


def _checkpoint(conn: sqlite3.Connection) -> None:
    """Copy committed WAL pages into the database file (background thread). PASSIVE:
    whatever readers or a writer hold is left for the next round."""
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error as exc:  # the data is safe in the WAL; only its size grows
        log.warning("WAL checkpoint failed: %s", exc)


def _begin_waiting(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE`` with the usual busy timeout (run in the commit thread)."""
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        conn.execute("BEGIN IMMEDIATE")
    finally:
        conn.execute("PRAGMA busy_timeout=0")


async def _connect(file: Path) -> aiosqlite.Connection:
    # isolation_level=None: no implicit transactions; write() issues BEGIN IMMEDIATE itself
    conn = await aiosqlite.connect(file, isolation_level=None)
    try:
        # aiosqlite types it as a class; sqlite3 takes any callable
        conn.row_factory = _dict_row  # type: ignore[assignment]
        for pragma in _PRAGMAS:
            await conn.execute(pragma)
    except BaseException:
        await conn.close()
        raise
    return conn
