"""PostgreSQL's side of :class:`~veriseal.ledger.dialects.base.Dialect`.

Several processes may write at once, so exclusion is explicit: transaction-scoped
advisory locks (released at COMMIT or ROLLBACK, never leaked into the pool: the pool's
reset keeps no session locks) and row locks; ids come from each table's sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from veriseal.ledger.dialects.base import Dialect, LockKey, identifier
from veriseal.ledger.dialects.search import SearchTerm, document_tokens

if TYPE_CHECKING:
    from veriseal.ledger.base import Tx

#: PostgreSQL positions stop at 16,383; later tokens are still indexed, at that position.
MAX_POSITION = 16_383


def tsvector_literal(text: str) -> str:
    """A PostgreSQL ``tsvector`` literal (``'tok':1,5 'other':2``) of ``text``."""
    return _tsvector(document_tokens(text))


def _tsvector(tokens: Sequence[str]) -> str:
    positions: dict[str, list[int]] = {}
    for i, tok in enumerate(tokens, start=1):
        positions.setdefault(tok, []).append(min(i, MAX_POSITION))
    return " ".join(
        f"'{tok}':{','.join(str(p) for p in sorted(set(ps))[:256])}"
        for tok, ps in positions.items()
    )


def tsquery_literal(terms: Sequence[SearchTerm]) -> str:
    """A PostgreSQL ``tsquery`` literal: terms ANDed, a phrase's tokens joined by ``<->``."""
    return " & ".join("(" + " <-> ".join(f"'{t}'" for t in g.tokens) + ")" for g in terms)


_ARRAYS = {"BIGINT": "BIGINT[]", "TEXT": "TEXT[]", "INTEGER": "INTEGER[]"}


def _array_type(sql_type: str) -> str:
    """The array type of ``sql_type`` (one of a known few: it is written into SQL)."""
    try:
        return _ARRAYS[sql_type.upper()]
    except KeyError:
        raise ValueError(f"no array type for {sql_type!r}") from None


class PostgresDialect(Dialect):
    """PostgreSQL 12+."""

    name: ClassVar[str] = "postgres"
    for_update: ClassVar[str] = " FOR UPDATE"
    one_writer: ClassVar[bool] = False
    partitioned: ClassVar[bool] = True
    skip_locked: ClassVar[str] = " FOR UPDATE SKIP LOCKED"
    schema_migrations_ddl: ClassVar[str] = (
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
    )

    async def advisory_lock(self, tx: Tx, key: LockKey) -> None:
        # the three forms are PostgreSQL's own key spaces: (int4, int4) pairs never
        # collide with int8 keys, and text is hashed to an int4 (collisions only make
        # two unrelated writers wait for each other, never run together wrongly)
        if isinstance(key, tuple):
            namespace, sub = key
            await tx.execute(
                "SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), CAST(? AS INTEGER))",
                namespace,
                sub,
            )
        elif isinstance(key, str):
            await tx.execute("SELECT pg_advisory_xact_lock(hashtext(?))", key)
        else:
            await tx.execute("SELECT pg_advisory_xact_lock(CAST(? AS BIGINT))", key)

    async def reserve_ids(self, tx: Tx, table: str, n: int) -> list[int]:
        if n <= 0:
            return []
        # the sequence's name looked up once per statement (a scalar subquery), not per
        # id: in the select list it was evaluated for every row (4x the time, 100,000 ids)
        found = await tx.fetch(
            "SELECT nextval(CAST((SELECT pg_get_serial_sequence("
            f"'{identifier(table)}', 'id')) AS REGCLASS)) AS id"
            " FROM generate_series(1, CAST(? AS INTEGER))",
            n,
        )
        return sorted(int(r["id"]) for r in found)

    # One array per column instead of a parameter per value: one statement for every
    # size, and PostgreSQL plans it in a fraction of an OR chain's time (a 64-pair OR
    # chain re-planned per call cost 1.25 ms, the unnest 0.53 ms; measured with
    # asyncpg on a 200,000-row primary key, issue 20).
    def any_of(self, column: str, sql_type: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        return f"{identifier(column)} = ANY(CAST(? AS {_array_type(sql_type)}))", [list(values)]

    def pairs_of(
        self, columns: tuple[tuple[str, str], tuple[str, str]], pairs: Sequence[tuple[Any, Any]]
    ) -> tuple[str, list[Any]]:
        (first, first_type), (second, second_type) = columns
        where = (
            f"({identifier(first)}, {identifier(second)}) IN (SELECT * FROM unnest("
            f"CAST(? AS {_array_type(first_type)}), CAST(? AS {_array_type(second_type)})))"
        )
        return where, [[p[0] for p in pairs], [p[1] for p in pairs]]

    def search_match(
        self, table: str, alias: str, terms: Sequence[SearchTerm]
    ) -> tuple[str, list[Any]]:
        if not terms:
            raise ValueError("a search needs at least one term")
        identifier(table)
        # the literal is built from tokens of letters and digits (see search.py), and
        # cast from text so PostgreSQL's own parser never re-tokenizes it
        return (
            f"{identifier(alias)}.search @@ CAST(CAST(? AS TEXT) AS tsquery)",
            [tsquery_literal(terms)],
        )

    async def replace_search(self, tx: Tx, table: str, row_id: int, search: str) -> None:
        await tx.execute(
            f"UPDATE {identifier(table)} SET search = CAST(CAST(? AS TEXT) AS tsvector)"
            " WHERE id = ?",
            tsvector_literal(search),
            row_id,
        )

    def _search_column(self, tokens: Sequence[str]) -> tuple[str, str, Any] | None:
        return ("search", "CAST(CAST(? AS TEXT) AS tsvector)", _tsvector(tokens))

    async def _index_search(self, tx: Tx, table: str, row_id: int, tokens: Sequence[str]) -> None:
        return None  # stored with the row (_search_column)

    async def has_table(self, tx: Tx, table: str) -> bool:
        found = await tx.fetchrow("SELECT to_regclass(?) IS NOT NULL AS found", table)
        return found is not None and bool(found["found"])

    def epoch_seconds(self, expr: str) -> str:
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {expr})) AS BIGINT)"
