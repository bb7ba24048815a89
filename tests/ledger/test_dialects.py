"""The dialect helpers on both backends: what each must do, whatever SQL it takes.

Every test runs on SQLite and PostgreSQL (the ``ledger`` fixture): the helpers are the
one place the two differ, so the same assertions hold on both.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from veriseal.errors import Conflict
from veriseal.ledger import Ledger
from veriseal.ledger.dialects import POSTGRES, SQLITE, LockKey, identifier, search_terms

# portable DDL: the same statement creates the table on both backends
KV = "CREATE TABLE t_kv (k TEXT PRIMARY KEY, v TEXT NOT NULL, n INTEGER NOT NULL)"
JOBS = "CREATE TABLE t_jobs (id INTEGER PRIMARY KEY, owner TEXT)"
T0 = dt.datetime(2026, 11, 25, 8, 0, 1, 250_000, tzinfo=dt.UTC)


async def _message(ledger: Ledger, text: str) -> int:
    async with ledger.write() as tx:
        return await tx.insert_returning_id(
            "notify_messages",
            {
                "user_id": 1,
                "mtype": "t",
                "title": text,
                "body": "",
                "data": "{}",
                "in_inbox": True,
                "is_read": False,
                "created_at": T0,
            },
            search=text,
        )


async def _found(ledger: Ledger, query: str) -> list[int]:
    async with ledger.read() as tx:
        cond, args = tx.dialect.search_match("notify_messages", "m", search_terms(query))
        rows = await tx.fetch(f"SELECT m.id FROM notify_messages m WHERE {cond} ORDER BY id", *args)
    return [int(r["id"]) for r in rows]


async def test_the_backend_and_its_transactions_share_one_dialect(ledger: Ledger) -> None:
    assert ledger.dialect in (SQLITE, POSTGRES)
    async with ledger.read() as tx:
        assert tx.dialect is ledger.dialect
    async with ledger.write() as tx:
        assert tx.dialect is ledger.dialect


def test_a_dialect_is_not_a_string() -> None:
    """Code still comparing ``ledger.dialect == "postgres"`` fails instead of quietly
    taking the other branch."""
    with pytest.raises(TypeError):
        assert POSTGRES != "postgres"
    assert str(POSTGRES) == "postgres" and str(SQLITE) == "sqlite"
    assert POSTGRES != SQLITE and {POSTGRES: 1}[POSTGRES] == 1


@pytest.mark.parametrize("name", ["", "1x", "t; DROP TABLE brands", "a.b", "x y", "名"])
def test_only_identifiers_reach_the_sql(name: str) -> None:
    with pytest.raises(ValueError):
        identifier(name)
    with pytest.raises(ValueError):
        SQLITE.upsert_sql(name, ["k"], ["k"])
    with pytest.raises(ValueError):
        POSTGRES.upsert_sql("t", [name], [name])


async def test_insert_returning_id_returns_increasing_ids(ledger: Ledger) -> None:
    first = await _message(ledger, "one")
    second = await _message(ledger, "two")
    assert second > first
    async with ledger.read() as tx:
        row = await tx.fetchrow("SELECT title FROM notify_messages WHERE id = ?", second)
    assert row is not None and row["title"] == "two"


async def test_full_text_search_finds_words_and_cjk_phrases(ledger: Ledger) -> None:
    hit = await _message(ledger, "发现窜货行为 iPhone15")
    apart = await _message(ledger, "窜 and 货 apart")
    silent = await _message(ledger, "")  # indexed with no tokens: never found
    assert await _found(ledger, "窜货") == [hit]
    assert await _found(ledger, "IPHONE15 行为") == [hit]
    assert await _found(ledger, "窜") == [hit, apart]
    assert await _found(ledger, "apart 货") == [apart]
    assert await _found(ledger, "missing") == []
    assert silent not in await _found(ledger, "a")
    with pytest.raises(ValueError):
        ledger.dialect.search_match("notify_messages", "m", [])


async def test_reserve_ids_hands_out_fresh_increasing_ids(ledger: Ledger) -> None:
    """Rows inserted with reserved ids in the same transaction; later reservations and
    ordinary inserts get higher ids."""
    before = await _message(ledger, "before")
    async with ledger.write() as tx:
        assert await tx.reserve_ids("notify_reads", 0) == []
        ids = await tx.reserve_ids("notify_reads", 3)
        assert ids == sorted(set(ids)) and len(ids) == 3
        await tx.executemany(
            "INSERT INTO notify_reads (id, message_id, is_read, at) VALUES (?, ?, ?, ?)",
            [(i, before, True, T0) for i in ids],
        )
    async with ledger.write() as tx:
        again = await tx.reserve_ids("notify_reads", 2)
    assert min(again) > max(ids)
    async with ledger.write() as tx:
        plain = await tx.insert_returning_id(
            "notify_reads", {"message_id": before, "is_read": False, "at": T0}
        )
    assert plain > max(ids)


async def test_upsert_inserts_updates_or_keeps(ledger: Ledger) -> None:
    async with ledger.write() as tx:
        await tx.execute(KV)
    async with ledger.write() as tx:
        await tx.upsert("t_kv", {"k": "a", "v": "first", "n": 1}, key=["k"])
        await tx.upsert("t_kv", {"k": "a", "v": "second", "n": 2}, key=["k"])
        await tx.upsert("t_kv", {"k": "b", "v": "b1", "n": 1}, key=["k"], update=["n"])
        await tx.upsert("t_kv", {"k": "b", "v": "b2", "n": 5}, key=["k"], update=["n"])
        await tx.upsert("t_kv", {"k": "c", "v": "c1", "n": 1}, key=["k"], update=())
        await tx.upsert("t_kv", {"k": "c", "v": "c2", "n": 9}, key=["k"], update=())
    async with ledger.read() as tx:
        rows = {r["k"]: (r["v"], r["n"]) for r in await tx.fetch("SELECT * FROM t_kv")}
    assert rows == {"a": ("second", 2), "b": ("b1", 5), "c": ("c1", 1)}
    with pytest.raises(Conflict):  # a plain insert still conflicts
        async with ledger.write() as tx:
            await tx.execute("INSERT INTO t_kv (k, v, n) VALUES (?, ?, ?)", "a", "x", 0)
    with pytest.raises(ValueError):
        ledger.dialect.upsert_sql("t_kv", ["k", "v"], ["n"])


@pytest.mark.parametrize("key", [0x7465737401, "test:lock", (77, 12)])
async def test_advisory_lock_serialises_writers(ledger: Ledger, key: LockKey) -> None:
    """The second writer to take a key waits for the first to commit, so it sees the
    first one's row (on SQLite the write transaction alone already ensures it)."""
    async with ledger.write() as tx:
        await tx.execute(KV)
    held = asyncio.Event()

    async def first() -> None:
        async with ledger.write() as tx:
            await tx.advisory_lock(key)
            held.set()
            await asyncio.sleep(0.2)
            await tx.execute("INSERT INTO t_kv (k, v, n) VALUES ('first', '', 1)")

    async def second() -> int:
        await held.wait()
        async with ledger.write() as tx:
            await tx.advisory_lock(key)
            row = await tx.fetchrow("SELECT COUNT(*) AS n FROM t_kv")
            assert row is not None
            return int(row["n"])

    _, seen = await asyncio.gather(first(), second())
    assert seen == 1


async def test_skip_locked_claims_never_overlap(ledger: Ledger) -> None:
    """Two workers claiming at once get different rows: on PostgreSQL the second skips
    the row the first holds; on SQLite it waits for the first's commit."""
    async with ledger.write() as tx:
        await tx.execute(JOBS)
        await tx.executemany("INSERT INTO t_jobs (id) VALUES (?)", [(1,), (2,), (3,)])
    started = asyncio.Event()

    async def claim(owner: str, hold: float) -> list[int]:
        async with ledger.write() as tx:
            rows = await tx.fetch(
                "UPDATE t_jobs SET owner = ? WHERE id IN (SELECT id FROM t_jobs"
                f" WHERE owner IS NULL ORDER BY id LIMIT 1{tx.dialect.skip_locked})"
                " RETURNING id",
                owner,
            )
            started.set()
            await asyncio.sleep(hold)
        return [int(r["id"]) for r in rows]

    async def later() -> list[int]:
        await started.wait()
        return await claim("b", 0)

    a, b = await asyncio.gather(claim("a", 0.2), later())
    assert len(a) == 1 and len(b) == 1 and a != b


async def test_timestamps_read_back_and_count_epoch_seconds(ledger: Ledger) -> None:
    mid = await _message(ledger, "clock")
    async with ledger.read() as tx:
        sql = f"SELECT created_at, {tx.dialect.epoch_seconds('created_at')} AS s"
        row = await tx.fetchrow(f"{sql} FROM notify_messages WHERE id = ?", mid)
    assert row is not None
    assert ledger.dialect.timestamp(row["created_at"]) == T0
    assert int(row["s"]) == int(T0.timestamp())


def test_json_is_stored_as_stable_text() -> None:
    for dialect in (SQLITE, POSTGRES):
        text = dialect.encode_json({"b": [1, "窜"], "a": None})
        assert text == '{"a":null,"b":[1,"窜"]}'
        assert dialect.decode_json(text) == {"a": None, "b": [1, "窜"]}
