"""SQLite's side of :class:`~veriseal.ledger.dialects.base.Dialect`.

SQLite has one writer: every write transaction is ``BEGIN IMMEDIATE`` (see
:mod:`veriseal.ledger.sqlite`), which excludes every other writer, in this process and
any other, until it ends. So advisory and row locks are already held by the time a
statement runs (they are no-ops here), and ``MAX(id) + 1`` is a free id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from veriseal.ledger.dialects.base import Dialect, LockKey, identifier
from veriseal.ledger.dialects.search import SearchTerm, document_tokens

if TYPE_CHECKING:
    from veriseal.ledger.base import Tx


def fts5_document(text: str) -> str:
    """The text stored in an FTS5 table (tokens contain no separator, so unicode61 keeps
    each one whole)."""
    return " ".join(document_tokens(text))


def fts5_query(terms: Sequence[SearchTerm]) -> str:
    """An FTS5 MATCH expression: every term as a quoted phrase, ANDed. Tokens hold only
    letters and digits, so quoting cannot be broken out of."""
    return " AND ".join('"' + " ".join(t.tokens) + '"' for t in terms)


class SqliteDialect(Dialect):
    """SQLite 3.35+ (``RETURNING``), with FTS5."""

    name: ClassVar[str] = "sqlite"
    for_update: ClassVar[str] = ""
    one_writer: ClassVar[bool] = True
    partitioned: ClassVar[bool] = False
    skip_locked: ClassVar[str] = ""
    schema_migrations_ddl: ClassVar[str] = (
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )

    async def advisory_lock(self, tx: Tx, key: LockKey) -> None:
        # BEGIN IMMEDIATE already holds the database's one write lock
        return None

    async def reserve_ids(self, tx: Tx, table: str, n: int) -> list[int]:
        if n <= 0:
            return []
        # the write transaction excludes every other writer: MAX + 1 onwards are free
        row = await tx.fetchrow(
            f"SELECT COALESCE(MAX(id), 0) + 1 AS first FROM {identifier(table)}"
        )
        assert row is not None  # an aggregate always returns a row
        first = int(row["first"])
        return list(range(first, first + n))

    def search_match(
        self, table: str, alias: str, terms: Sequence[SearchTerm]
    ) -> tuple[str, list[Any]]:
        if not terms:
            raise ValueError("a search needs at least one term")
        fts = identifier(table) + "_fts"
        return (
            f"{identifier(alias)}.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?)",
            [fts5_query(terms)],
        )

    async def replace_search(self, tx: Tx, table: str, row_id: int, search: str) -> None:
        await tx.execute(f"DELETE FROM {identifier(table)}_fts WHERE rowid = ?", row_id)
        tokens = document_tokens(search)
        if tokens:
            await self._index_search(tx, table, row_id, tokens)

    def _search_column(self, tokens: Sequence[str]) -> tuple[str, str, Any] | None:
        return None  # the tokens go to the FTS table, after the row

    async def _index_search(self, tx: Tx, table: str, row_id: int, tokens: Sequence[str]) -> None:
        await tx.execute(
            f"INSERT INTO {identifier(table)}_fts (rowid, tokens) VALUES (?, ?)",
            row_id,
            " ".join(tokens),
        )

    async def has_table(self, tx: Tx, table: str) -> bool:
        found = await tx.fetchrow(
            "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?", table
        )
        return found is not None

    def epoch_seconds(self, expr: str) -> str:
        # strftime reads the stored ISO-8601 form, offset and fractional seconds included
        return f"CAST(strftime('%s', {expr}) AS INTEGER)"
