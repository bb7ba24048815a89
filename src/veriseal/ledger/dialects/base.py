"""The :class:`Dialect` interface: every SQL difference between the backends, in one place.

Services and stores write portable SQL with ``?`` placeholders (the backends translate
them) and ask their transaction's dialect (``tx.dialect``, or the shortcuts on
:class:`~veriseal.ledger.base.Tx`) for whatever cannot be written once:

=====================  ===============================  ==================================
need                   SQLite                           PostgreSQL
=====================  ===============================  ==================================
advisory lock          nothing: ``BEGIN IMMEDIATE``     ``pg_advisory_xact_lock``
                       already excludes every writer
row locks              nothing (same reason)            ``FOR UPDATE [SKIP LOCKED]``
ids for a bulk append  ``MAX(id) + 1 ...`` (safe under  ``nextval`` of the id sequence
                       the single writer)
full-text search       an FTS5 table ``<table>_fts``    a ``search TSVECTOR`` column
                       keyed by ``rowid = id``          with a GIN index
timestamps             ISO-8601 text in UTC             ``TIMESTAMPTZ``
=====================  ===============================  ==================================

Upserts (``INSERT ... ON CONFLICT (...) DO UPDATE SET c = excluded.c`` / ``DO NOTHING``)
and ``INSERT ... RETURNING id`` are spelt alike by both (SQLite 3.35+); the helpers
still build them here so table and column names are checked in one place.

Contract of every helper: table and column names are identifiers (letters, digits,
``_``; never user input, which is always a bound parameter) or ``ValueError``;
statements run in the caller's transaction, so they commit or roll back with it.
The database's own clock is never used: SQLite has no time type (its
``CURRENT_TIMESTAMP`` text does not even sort with the stored form), so timestamps are
bound parameters from the caller's clock and read back with :meth:`Dialect.timestamp`.
"""

from __future__ import annotations

import abc
import datetime as dt
import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from veriseal.ledger.dialects.search import SearchTerm, document_tokens

if TYPE_CHECKING:
    from veriseal.ledger.base import Tx

#: What an advisory lock is keyed by: one 64-bit integer, a text (hashed by the server),
#: or a (namespace, key) pair of 32-bit integers. Namespaces in use by the core: 5
#: (print jobs, per batch), 1450993251 (lifecycle writes, per brand); text keys are
#: ``<owner>:<what>`` (``sscc:<prefix>``; a plugin starts them with its table prefix).
LockKey = int | str | tuple[int, int]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


T = TypeVar("T")


def _padded(items: Sequence[T]) -> list[T]:
    """``items`` (at least one) padded to a power of two with its last: a statement per
    width, so a handful of statements serve every size (each prepared once)."""
    width = 1 << (len(items) - 1).bit_length()
    return [*items, *[items[-1]] * (width - len(items))]


@functools.lru_cache(maxsize=64)
def _in_list(column: str, width: int) -> str:
    return f"{column} IN ({', '.join('?' * width)})"


@functools.lru_cache(maxsize=64)
def _pairs_or(first: str, second: str, width: int) -> str:
    return "(" + " OR ".join([f"({first} = ? AND {second} = ?)"] * width) + ")"


def identifier(name: str) -> str:
    """``name`` if it is a plain SQL identifier, else ``ValueError`` (names are
    interpolated into SQL, so only code may supply them, never input)."""
    if not _NAME.match(name):
        raise ValueError(f"not an SQL identifier: {name!r}")
    return name


class Dialect(abc.ABC):
    """The SQL one backend speaks where the two differ. Stateless: one instance per
    backend (:data:`~veriseal.ledger.dialects.SQLITE`, ``POSTGRES``), shared by all
    its transactions.

    Compare dialects by identity or, inside ``veriseal.ledger`` only, by :attr:`name`;
    comparing one with a string raises ``TypeError``, so code written against the old
    ``ledger.dialect == "postgres"`` fails loudly instead of silently taking the
    SQLite branch. Code outside the ledger never needs the name: it calls the helpers.
    """

    #: ``"sqlite"`` or ``"postgres"``: names the migrations folder.
    name: ClassVar[str]
    #: Appended to a ``SELECT`` that must lock its rows until the transaction ends.
    for_update: ClassVar[str]
    #: Appended to a ``SELECT`` (or a sub-select) that claims rows for a worker: rows
    #: another transaction holds are skipped, not waited for.
    skip_locked: ClassVar[str]
    #: Creates the migration bookkeeping table if absent (the one table no file creates).
    schema_migrations_ddl: ClassVar[str]
    #: Whether one server process is the ledger's only writer of scans (SQLite: one
    #: writer, ``veriseal serve`` refuses more workers), so what it remembers of them
    #: needs no confirming (veriseal.scanning.memory).
    one_writer: ClassVar[bool]
    #: Whether ``scans`` and ``stream_events`` are partitioned by month (PostgreSQL,
    #: migration 0020; :mod:`veriseal.ledger.partition_store`).
    partitioned: ClassVar[bool]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            raise TypeError(
                "a Dialect is not a string: call its helpers (or compare .name inside"
                " veriseal.ledger)"
            )
        return self is other

    def __hash__(self) -> int:
        return id(self)

    # -- locks ---------------------------------------------------------------------------
    @abc.abstractmethod
    async def advisory_lock(self, tx: Tx, key: LockKey) -> None:
        """Wait for, then hold until ``tx`` ends, the lock named ``key``: two write
        transactions locking the same key run one after the other, across processes.
        Call it inside a write transaction, before reading what the lock protects."""

    # -- ids -------------------------------------------------------------------------------
    @abc.abstractmethod
    async def reserve_ids(self, tx: Tx, table: str, n: int) -> list[int]:
        """``n`` fresh, increasing ids for ``table``'s integer primary key ``id``, for
        rows the caller inserts with explicit ids in the same write transaction ``tx``
        (one ``executemany`` instead of a round trip per row); ``tx`` must be a write
        transaction. Ids may have gaps (a rolled-back reservation on PostgreSQL). On
        SQLite an id is taken only by inserting its row: reserve and insert in one
        transaction. ``[]`` for ``n <= 0``."""

    async def insert_returning_id(
        self, tx: Tx, table: str, values: Mapping[str, Any], *, search: str | None = None
    ) -> int:
        """Insert one row of ``values`` (column -> value) into ``table`` and return its
        ``id``. With ``search``, the text is indexed for :meth:`search_match` in the same
        transaction (the table must be searchable: see :meth:`search_match`)."""
        cols = [identifier(c) for c in values]
        marks = ["?"] * len(cols)
        args = list(values.values())
        tokens = None if search is None else document_tokens(search)
        inline = None if tokens is None else self._search_column(tokens)
        if inline is not None:
            column, mark, arg = inline
            cols.append(column)
            marks.append(mark)
            args.append(arg)
        row = await tx.fetchrow(
            f"INSERT INTO {identifier(table)} ({', '.join(cols)})"
            f" VALUES ({', '.join(marks)}) RETURNING id",
            *args,
        )
        assert row is not None  # an INSERT ... RETURNING returns its row
        row_id = int(row["id"])
        if tokens:
            await self._index_search(tx, table, row_id, tokens)
        return row_id

    # -- many keys in one statement ------------------------------------------------------
    def any_of(self, column: str, sql_type: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A condition (and its arguments) true for the rows whose ``column`` (of SQL type
        ``sql_type``: BIGINT, TEXT) equals one of ``values`` (at least one). Here: an IN
        list padded to a power of two with its last value, so a handful of statements
        serve every size."""
        padded = _padded(values)
        return _in_list(identifier(column), len(padded)), padded

    def pairs_of(
        self, columns: tuple[tuple[str, str], tuple[str, str]], pairs: Sequence[tuple[Any, Any]]
    ) -> tuple[str, list[Any]]:
        """A condition (and its arguments) true for the rows whose two ``columns`` (each a
        (name, SQL type) pair) equal one of ``pairs`` (at least one). Here: an OR of
        equalities, padded to a power of two as in :meth:`any_of` (SQLite answers each
        with its primary key)."""
        (first, _), (second, _) = columns
        padded = _padded(pairs)
        where = _pairs_or(identifier(first), identifier(second), len(padded))
        return where, [value for pair in padded for value in pair]

    # -- upserts ---------------------------------------------------------------------------
    def upsert_sql(
        self,
        table: str,
        columns: Sequence[str],
        key: Sequence[str],
        update: Sequence[str] | None = None,
    ) -> str:
        """``INSERT INTO table (columns) VALUES (?, ...)`` that, when a row with the same
        ``key`` (the columns of a primary key or unique index) exists, sets the
        ``update`` columns to the new values instead (default: every column not in
        ``key``); ``update=()`` keeps the existing row (``DO NOTHING``)."""
        cols = [identifier(c) for c in columns]
        keys = [identifier(c) for c in key]
        if not keys or not set(keys) <= set(cols):
            raise ValueError(f"upsert key {list(key)} must be some of the columns {cols}")
        changed = [c for c in cols if c not in keys] if update is None else list(update)
        sets = ", ".join(f"{identifier(c)} = excluded.{c}" for c in changed)
        action = f"DO UPDATE SET {sets}" if changed else "DO NOTHING"
        return (
            f"INSERT INTO {identifier(table)} ({', '.join(cols)})"
            f" VALUES ({', '.join('?' * len(cols))}) ON CONFLICT ({', '.join(keys)}) {action}"
        )

    async def upsert(
        self,
        tx: Tx,
        table: str,
        values: Mapping[str, Any],
        key: Sequence[str],
        update: Sequence[str] | None = None,
    ) -> None:
        """Insert ``values`` or, on a conflict over ``key``, update (see :meth:`upsert_sql`)."""
        await tx.execute(self.upsert_sql(table, list(values), key, update), *values.values())

    # -- full-text search ------------------------------------------------------------------
    @abc.abstractmethod
    def search_match(
        self, table: str, alias: str, terms: Sequence[SearchTerm]
    ) -> tuple[str, list[Any]]:
        """A condition (and its arguments) true for the rows of ``table`` (aliased
        ``alias`` in the query) whose indexed text holds every term of ``terms`` (from
        :func:`~veriseal.ledger.dialects.search.search_terms`; a CJK phrase as adjacent
        tokens). ``terms`` must not be empty (``ValueError``).

        A searchable table has an integer key ``id`` and, in its migrations,
        SQLite: ``CREATE VIRTUAL TABLE <table>_fts USING fts5(tokens, content='',
        tokenize='unicode61 remove_diacritics 0')``; PostgreSQL: a column
        ``search TSVECTOR NOT NULL`` with ``CREATE INDEX ... USING GIN (search)``.
        Rows get their text through :meth:`insert_returning_id` (``search=``)."""

    @abc.abstractmethod
    async def replace_search(self, tx: Tx, table: str, row_id: int, search: str) -> None:
        """Replace the indexed text of the row ``row_id`` of ``table`` by ``search``, in
        ``tx``: for rows whose text changes after they were inserted. On SQLite the
        ``<table>_fts`` table must NOT be contentless (``content=''`` forbids deleting a
        row's tokens): create it as ``fts5(tokens, tokenize='unicode61
        remove_diacritics 0')``."""

    @abc.abstractmethod
    def _search_column(self, tokens: Sequence[str]) -> tuple[str, str, Any] | None:
        """(column, value SQL, argument) stored with the row itself, or None."""

    @abc.abstractmethod
    async def _index_search(self, tx: Tx, table: str, row_id: int, tokens: Sequence[str]) -> None:
        """Index a row's non-empty ``tokens`` after the row was inserted."""

    # -- schema ----------------------------------------------------------------------------
    @abc.abstractmethod
    async def has_table(self, tx: Tx, table: str) -> bool:
        """True iff ``table`` exists."""

    # -- values ------------------------------------------------------------------------------
    def timestamp(self, value: Any) -> dt.datetime:
        """A stored timestamp (SQLite: ISO-8601 text; PostgreSQL: ``datetime``) as an
        aware datetime in UTC."""
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC)
        return dt.datetime.fromisoformat(str(value)).astimezone(dt.UTC)

    @abc.abstractmethod
    def epoch_seconds(self, expr: str) -> str:
        """SQL for the whole seconds since 1970 of the stored timestamp ``expr`` (a
        column or expression the caller writes), for time arithmetic inside a query."""

    def encode_json(self, value: Any) -> str:
        """A JSON column's stored form. Both dialects keep JSON as ``TEXT`` (compact,
        UTF-8, keys sorted: equal values store equal text), never ``JSONB``, so a
        stored document reads back byte for byte."""
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def decode_json(self, value: str | bytes) -> Any:
        """A JSON column's value, parsed."""
        return json.loads(value)
