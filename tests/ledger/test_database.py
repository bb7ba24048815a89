"""The plugins' Database on both backends: transactions and dialect helpers, nothing of
the core ledger's business interface."""

from __future__ import annotations

import datetime as dt

import pytest

from veriseal.ledger import Ledger
from veriseal.ledger.base import Tx
from veriseal.ledger.database import Database

#: A plugin's migration, in each dialect (an auto-assigned id is spelt differently).
DDL = {
    "sqlite": "CREATE TABLE hello_notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
    "postgres": "CREATE TABLE hello_notes (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)",
}


def test_a_database_offers_transactions_and_helpers_only() -> None:
    public = {name for name in dir(Database) if not name.startswith("_")}
    assert public == {"dialect", "lock_key", "prefix", "read", "table", "write"}


@pytest.mark.parametrize("prefix", ["", "Hello", "hello-world", "1st", "hello world"])
async def test_the_prefix_must_be_a_lower_case_name(ledger: Ledger, prefix: str) -> None:
    with pytest.raises(ValueError):
        ledger.database(prefix)


async def test_names_are_in_the_owners_namespace(ledger: Ledger) -> None:
    db = ledger.database("hello")
    assert db.prefix == "hello"
    assert db.table("notes") == "hello_notes"
    assert db.lock_key("daily") == "hello:daily"
    assert db.dialect is ledger.dialect
    with pytest.raises(ValueError):
        db.table("notes; DROP TABLE brands")


async def test_write_commits_and_a_failed_block_changes_nothing(ledger: Ledger) -> None:
    db = ledger.database("hello")
    async with db.write() as tx:
        await tx.execute(DDL[tx.dialect.name])
    async with db.write() as tx:
        assert isinstance(tx, Tx) and tx.dialect is db.dialect
        first = await tx.insert_returning_id(db.table("notes"), {"body": "kept"})
    with pytest.raises(RuntimeError):
        async with db.write() as tx:
            await tx.insert_returning_id(db.table("notes"), {"body": "rolled back"})
            raise RuntimeError("the block fails")
    async with db.read() as tx:
        rows = await tx.fetch("SELECT id, body FROM hello_notes ORDER BY id")
    assert [(r["id"], r["body"]) for r in rows] == [(first, "kept")]


async def test_a_core_write_can_share_the_plugins_transaction(ledger: Ledger) -> None:
    """The Tx is the core's own type, so a core store can write in the same transaction
    (and roll back with it)."""
    db = ledger.database("hello")
    async with db.write() as tx:
        await tx.execute(DDL[tx.dialect.name])
    with pytest.raises(RuntimeError):
        async with db.write() as tx:
            await tx.execute("INSERT INTO hello_notes (id, body) VALUES (1, 'x')")
            await tx.execute(
                "INSERT INTO brands (slug, name, resolver, created_at) VALUES (?, ?, ?, ?)",
                "acme",
                "ACME",
                "https://id.example",
                dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            )
            raise RuntimeError("fail after both writes")
    async with db.read() as tx:
        assert await tx.fetchrow("SELECT 1 AS x FROM hello_notes") is None
        assert await tx.fetchrow("SELECT 1 AS x FROM brands") is None
