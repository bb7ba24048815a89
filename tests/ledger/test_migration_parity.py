"""The two dialects' migrations build the same schema: the core's and every bundled
plugin's, applied to a fresh SQLite file and a fresh PostgreSQL database, then read
back from each catalog (tests/ledger/schema.py) and compared.

Types are compared through :data:`TYPES` (SQLite's storage classes against the
PostgreSQL types that store the same values); intended differences are listed, each
with its reason, in :data:`ONLY_SQLITE` / :data:`ONLY_POSTGRES`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger.schema import (
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
    postgres_schema,
    sqlite_schema,
)
from veriseal.ledger import open_ledger
from veriseal.ledger.migrate import PluginMigrations

#: The bundled plugins whose migrations ship for both dialects.
PLUGINS = [PluginMigrations(prefix="territories", package="veriseal_territories.migrations")]

#: SQLite declared type -> the PostgreSQL types that may store the same values.
TYPES: dict[str, set[str]] = {
    # integers, and booleans (SQLite has no boolean: 0/1)
    "integer": {"bigint", "integer", "smallint", "boolean"},
    # text, and timestamps / dates (SQLite keeps ISO-8601 text in UTC; see sqlite.py)
    "text": {"text", "timestamp with time zone", "date"},
    "blob": {"bytea"},
    "real": {"double precision", "real"},
}

#: Objects only one dialect has, on purpose: "table", "table.column" or "index:name".
ONLY_SQLITE = {
    # full-text search: SQLite indexes the tokens in an FTS5 table (and the shadow tables
    # FTS5 keeps its index in); PostgreSQL in a tsvector column (see ledger/dialects)
    "notify_messages_fts",
    "notify_messages_fts_config",
    "notify_messages_fts_data",
    "notify_messages_fts_docsize",
    "notify_messages_fts_idx",
    "product_search_fts",  # product search (not contentless: tokens are replaced)
    "product_search_fts_config",
    "product_search_fts_content",
    "product_search_fts_data",
    "product_search_fts_docsize",
    "product_search_fts_idx",
}
ONLY_POSTGRES = {
    "ledger_periods",  # when each partitioned table entered a month (0020: no partitions in SQLite)
    "notify_messages.search",  # the tsvector twin of notify_messages_fts
    "index:notify_messages_search",  # its GIN index
    "product_search.search",  # the tsvector twin of product_search_fts
    "index:product_search_tokens",  # its GIN index
}


def _compare_table(name: str, lite: Table, pg: Table) -> list[str]:
    out = []
    for col in sorted(set(lite.columns) | set(pg.columns)):
        where = f"{name}.{col}"
        a, b = lite.columns.get(col), pg.columns.get(col)
        if a is None or b is None:
            if where not in (ONLY_POSTGRES if a is None else ONLY_SQLITE):
                out.append(f"{where}: only in {'postgres' if a is None else 'sqlite'}")
            continue
        if b.type not in TYPES.get(a.type, set()):
            out.append(f"{where}: type {a.type} (sqlite) vs {b.type} (postgres)")
        if col in lite.boolean_checks and b.type != "boolean":
            out.append(f"{where}: CHECK (IN (0, 1)) (sqlite) vs {b.type} (postgres)")
        if a.not_null != b.not_null:
            out.append(f"{where}: NOT NULL {a.not_null} (sqlite) vs {b.not_null} (postgres)")
    for what in ("primary_key", "uniques", "foreign_keys", "checks", "named_checks"):
        a_val, b_val = getattr(lite, what), getattr(pg, what)
        if a_val != b_val:
            out.append(f"{name}: {what} {a_val!r} (sqlite) vs {b_val!r} (postgres)")
    return out


def differences(lite: Schema, pg: Schema) -> list[str]:
    """Every difference between the two schemas that is not listed as intended."""
    out = []
    for name in sorted(set(lite.tables) | set(pg.tables)):
        a, b = lite.tables.get(name), pg.tables.get(name)
        if a is None or b is None:
            if name not in (ONLY_POSTGRES if a is None else ONLY_SQLITE):
                out.append(f"table {name}: only in {'postgres' if a is None else 'sqlite'}")
            continue
        out += _compare_table(name, a, b)
    for name in sorted(set(lite.indexes) | set(pg.indexes)):
        a_ix, b_ix = lite.indexes.get(name), pg.indexes.get(name)
        if a_ix is None or b_ix is None:
            if f"index:{name}" not in (ONLY_POSTGRES if a_ix is None else ONLY_SQLITE):
                out.append(f"index {name}: only in {'postgres' if a_ix is None else 'sqlite'}")
        elif a_ix != b_ix:
            out.append(f"index {name}: {a_ix} (sqlite) vs {b_ix} (postgres)")
    return out


async def _schemas(tmp_path: Path, pg_url: str) -> tuple[Schema, Schema]:
    found = []
    for url, read in (
        (f"sqlite:///{tmp_path / 'parity.sqlite3'}", sqlite_schema),
        (pg_url, postgres_schema),
    ):
        ledger = await open_ledger(url)
        try:
            await ledger.migrate(PLUGINS)
            async with ledger.read() as tx:
                found.append(await read(tx))
        finally:
            await ledger.close()
    return found[0], found[1]


@pytest.mark.postgres
async def test_both_dialects_migrate_to_the_same_schema(tmp_path: Path, pg_url: str) -> None:
    lite, pg = await _schemas(tmp_path, pg_url)
    assert len(lite.tables) > 30 and "territories_dealers" in lite.tables
    assert differences(lite, pg) == []


def _schema(**changes: object) -> Schema:
    table = Table(
        columns={"id": Column("integer", True), "at": Column("text", True)},
        primary_key=("id",),
        foreign_keys={ForeignKey(("id",), "other", ("id",), "no action")},
        checks=1,
    )
    for name, value in changes.items():
        setattr(table, name, value)
    return Schema({"t": table}, {"t_at": ("t", Index(("at",), False, False))})


def test_the_comparison_reports_each_kind_of_difference() -> None:
    """The parity test can fail: every kind of difference is reported."""
    pg = _schema(
        columns={"id": Column("bigint", True), "at": Column("timestamp with time zone", True)}
    )
    assert differences(_schema(), pg) == []
    cases = {
        "t.at: type": {"columns": {"id": Column("integer", True), "at": Column("blob", True)}},
        "t.at: NOT NULL": {"columns": {"id": Column("integer", True), "at": Column("text", False)}},
        "t.extra: only in sqlite": {
            "columns": {**_schema().tables["t"].columns, "extra": Column("text", False)}
        },
        "t: primary_key": {"primary_key": ("at",)},
        "t: uniques": {"uniques": {("at",)}},
        "t: foreign_keys": {"foreign_keys": set()},
        "t: checks": {"checks": 2},
        "t: named_checks": {"named_checks": {"at_is_iso"}},
        "t.id: CHECK": {"boolean_checks": {"id"}},
    }
    for expected, change in cases.items():
        found = differences(_schema(**change), pg)
        assert len(found) == 1 and found[0].startswith(expected), (expected, found)
    lite = _schema()
    lite.indexes["t_at"] = ("t", Index(("at",), True, False))
    assert differences(lite, pg)[0].startswith("index t_at:")
    lite.indexes["t_more"] = ("t", Index(("id",), False, False))
    assert "index t_more: only in sqlite" in differences(lite, pg)
    del pg.tables["t"]
    assert differences(_schema(), pg)[0] == "table t: only in sqlite"
