"""What a migrated ledger's schema holds, read from each backend's catalog in one shape.

SQLite: ``sqlite_master`` and the ``pragma_*`` table functions; PostgreSQL:
``information_schema`` and ``pg_catalog``. :class:`Schema` keeps only what both can
state: tables; columns (declared type, NOT NULL, primary key); indexes created by
migrations (name, columns, unique, partial); unique constraints, foreign keys (columns,
referenced table and columns, ON DELETE) and CHECK constraints (how many per table, and
the names migrations gave them). SQLite's ``CHECK (c IN (0, 1))`` is its spelling of a
boolean column, so it is recorded with the column's type, not as a check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from veriseal.ledger.base import Row, Tx


@dataclass(frozen=True)
class Column:
    type: str  # as declared (SQLite) / information_schema.data_type (PostgreSQL), lower case
    not_null: bool


@dataclass(frozen=True)
class Index:
    columns: tuple[str, ...]  # an expression's text for an expression column
    unique: bool
    partial: bool


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    ref_columns: tuple[str, ...]
    on_delete: str  # "no action", "cascade", "set null", "restrict", "set default"


@dataclass
class Table:
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    uniques: set[tuple[str, ...]] = field(default_factory=set)
    foreign_keys: set[ForeignKey] = field(default_factory=set)
    checks: int = 0
    named_checks: set[str] = field(default_factory=set)
    #: SQLite columns whose CHECK (c IN (0, 1)) stands in for PostgreSQL's BOOLEAN type
    #: (not counted in ``checks``)
    boolean_checks: set[str] = field(default_factory=set)


@dataclass
class Schema:
    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, tuple[str, Index]] = field(default_factory=dict)  # name -> (table, ...)


_NAMED_CHECK = re.compile(r"\bCONSTRAINT\s+(\w+)\s+CHECK\b", re.IGNORECASE)
_CHECK = re.compile(r"\bCHECK\s*\(", re.IGNORECASE)
_BOOLEAN_CHECK = re.compile(r"\bCHECK\s*\(\s*(\w+)\s+IN\s*\(\s*0\s*,\s*1\s*\)\s*\)", re.IGNORECASE)
_PG_ACTIONS = {
    "a": "no action",
    "r": "restrict",
    "c": "cascade",
    "n": "set null",
    "d": "set default",
}


def _without_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


async def sqlite_schema(tx: Tx) -> Schema:
    schema = Schema()
    tables = await tx.fetch(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    for t in tables:
        name, sql = t["name"], _without_comments(t["sql"] or "")
        table = schema.tables[name] = Table()
        pk: list[tuple[int, str]] = []
        for c in await tx.fetch("SELECT * FROM pragma_table_info(?)", name):
            table.columns[c["name"]] = Column(str(c["type"]).lower(), bool(c["notnull"] or c["pk"]))
            if c["pk"]:
                pk.append((int(c["pk"]), c["name"]))
        table.primary_key = tuple(col for _, col in sorted(pk))
        table.boolean_checks = set(_BOOLEAN_CHECK.findall(sql))
        table.checks = len(_CHECK.findall(sql)) - len(_BOOLEAN_CHECK.findall(sql))
        table.named_checks = {n.lower() for n in _NAMED_CHECK.findall(sql)}
        fks: dict[int, list[dict[str, object]]] = {}
        for fk in await tx.fetch("SELECT * FROM pragma_foreign_key_list(?)", name):
            fks.setdefault(int(fk["id"]), []).append(dict(fk))
        for parts in fks.values():
            parts.sort(key=lambda p: int(str(p["seq"])))
            ref = str(parts[0]["table"])
            to = [p["to"] for p in parts]
            if None in to:  # REFERENCES t: the referenced table's primary key
                ref_pk = await tx.fetch(
                    "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", ref
                )
                to = [r["name"] for r in ref_pk]
            table.foreign_keys.add(
                ForeignKey(
                    tuple(str(p["from"]) for p in parts),
                    ref,
                    tuple(str(c) for c in to),
                    str(parts[0]["on_delete"]).lower(),
                )
            )
        for ix in await tx.fetch("SELECT * FROM pragma_index_list(?)", name):
            info = await tx.fetch(
                "SELECT name FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno", ix["name"]
            )
            cols = tuple(str(r["name"]) if r["name"] is not None else "<expr>" for r in info)
            if ix["origin"] == "u":
                table.uniques.add(cols)
            elif ix["origin"] == "c":
                schema.indexes[ix["name"]] = (
                    name,
                    Index(cols, bool(ix["unique"]), bool(ix["partial"])),
                )
    return schema


_PG_CONSTRAINTS = (
    "SELECT con.conname, con.contype::text AS contype, rel.relname AS tbl, ref.relname AS ref,"
    " con.confdeltype::text AS confdeltype,"
    " ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i)"
    "   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i)"
    "   AS cols,"
    " ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i)"
    "   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)"
    "   AS ref_cols"
    " FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid"
    " JOIN pg_namespace ns ON ns.oid = rel.relnamespace"
    " LEFT JOIN pg_class ref ON ref.oid = con.confrelid"
    # a partitioned table's own constraints: those PostgreSQL copies onto (or towards)
    # each partition carry the parent constraint's id
    " WHERE ns.nspname = 'public' AND NOT rel.relispartition AND con.conparentid = 0"
)
_PG_INDEXES = (
    "SELECT i.relname AS name, t.relname AS tbl, x.indisunique AS uniq,"
    " x.indpred IS NOT NULL AS partial,"
    " ARRAY(SELECT COALESCE(a.attname::text, '<expr>')"
    "   FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, i)"
    "   LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n"
    "   WHERE k.i <= x.indnkeyatts ORDER BY k.i) AS cols"
    " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
    " JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace ns ON ns.oid = t.relnamespace"
    " WHERE ns.nspname = 'public' AND NOT t.relispartition"
    # indexes that back a primary key or unique constraint are compared as those
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid"
    "   AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u'))"
)


async def _pg_tables(tx: Tx, schema: Schema) -> None:
    """The public schema's base tables with their columns; a partitioned table once,
    without its partitions (migration 0020)."""
    for t in await tx.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        " AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = table_name"
        "   AND c.relispartition) ORDER BY table_name"
    ):
        schema.tables[t["table_name"]] = Table()
    for c in await tx.fetch(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
    ):
        if c["table_name"] in schema.tables:
            schema.tables[c["table_name"]].columns[c["column_name"]] = Column(
                str(c["data_type"]).lower(), c["is_nullable"] == "NO"
            )


def _pg_constraint(table: Table, con: Row) -> None:
    """Record one ``pg_constraint`` row (primary key, unique, foreign key or check)."""
    cols = tuple(con["cols"])
    if con["contype"] == "p":
        table.primary_key = cols
    elif con["contype"] == "u":
        table.uniques.add(cols)
    elif con["contype"] == "f":
        action = _PG_ACTIONS[con["confdeltype"]]
        table.foreign_keys.add(ForeignKey(cols, con["ref"], tuple(con["ref_cols"]), action))
    elif con["contype"] == "c":
        table.checks += 1
        # unnamed checks get <table>_<column>_check; only a migration's name counts
        if not con["conname"].endswith("_check"):
            table.named_checks.add(con["conname"])


async def postgres_schema(tx: Tx) -> Schema:
    schema = Schema()
    await _pg_tables(tx, schema)
    for con in await tx.fetch(_PG_CONSTRAINTS):
        _pg_constraint(schema.tables[con["tbl"]], con)
    for ix in await tx.fetch(_PG_INDEXES):
        schema.indexes[ix["name"]] = (
            ix["tbl"],
            Index(tuple(ix["cols"]), bool(ix["uniq"]), bool(ix["partial"])),
        )
    return schema
