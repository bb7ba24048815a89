"""One contract suite for every ledger backend, against real databases.

Every test runs on SQLite (a file in tmp_path) and PostgreSQL (a fresh database): see
the ``ledger_url`` / ``ledger`` fixtures in tests/conftest.py. Most tests use only the
:class:`Ledger` interface; the few that must see what the interface does not expose
(the appended event rows, a key space near its end) reach through ``SqlLedger``'s
transactions, which both backends share.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from veriseal.codes.layout import MAX_SEQ
from veriseal.errors import (
    BatchNotFound,
    BrandNotFound,
    ConfigError,
    Conflict,
    IntegrityViolation,
    KeyNotFound,
    KeySpaceExhausted,
    ProductNotFound,
    StorageError,
)
from veriseal.ledger import Ledger, open_ledger
from veriseal.ledger.migrate import migrations
from veriseal.ledger.sql import SqlLedger
from veriseal.models import (
    BatchStatus,
    Brand,
    KeyRecord,
    KeyStatus,
    NewBatch,
    Product,
    Profile,
)

#: Both dialects carry the same migrations under the same names (tested below).
ALL = [m.name for m in migrations("sqlite")]
NOW = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)


def key(brand: Brand, slot: int, status: KeyStatus = KeyStatus.ACTIVE) -> KeyRecord:
    return KeyRecord(
        brand.id,
        slot,
        f"{brand.slug}.{slot}",
        bytes([slot]) * 32,
        b"sealed" + bytes([slot]),
        status,
        NOW,
    )


def new_batch(brand: Brand, lot: str, slot: int = 0, gtin: str = "09506000134352") -> NewBatch:
    return NewBatch(
        brand.id,
        gtin,
        lot,
        slot,
        Profile.COMPACT,
        0,
        1000,
        dt.date(2026, 1, 2),
        dt.date(2027, 1, 2),
        "F1",
        "L1",
    )


def seal(batch_id: int, seq: int) -> tuple[bytes, bytes]:
    return f'{{"id":{batch_id},"seq":{seq}}}'.encode(), b"sig-%d" % seq


async def brand_with_product(
    ledger: Ledger, slug: str = "acme", gtin: str = "09506000134352"
) -> Brand:
    brand = await ledger.create_brand(slug, slug.title(), f"id.{slug}.example")
    await ledger.add_key(key(brand, 0), retire_active=False)
    await ledger.add_products([Product(brand.id, gtin, "Tea", category=("Beverages", "Tea"))])
    return brand


async def rows_of(ledger: Ledger, sql: str, *args: object) -> list[tuple[object, ...]]:
    """White-box read of tables the interface does not expose."""
    assert isinstance(ledger, SqlLedger)
    async with ledger.read() as tx:
        return [tuple(r.values()) for r in await tx.fetch(sql, *args)]


async def test_migrate_is_idempotent(ledger: Ledger) -> None:
    assert await ledger.migrate() == []
    assert await ledger.schema_version() == ALL


async def test_schema_version_of_a_fresh_database(ledger_url: str) -> None:
    led = await open_ledger(ledger_url)  # open_ledger does not migrate
    try:
        assert await led.schema_version() == []
        assert await led.migrate() == ALL
        assert await led.schema_version() == ALL
    finally:
        await led.close()


async def test_concurrent_migrations_apply_each_file_once(ledger_url: str) -> None:
    a, b = await open_ledger(ledger_url), await open_ledger(ledger_url)
    try:
        applied = await asyncio.gather(a.migrate(), b.migrate())
        assert sorted(applied, key=len) == [[], ALL]
        assert await a.schema_version() == ALL
    finally:
        await a.close()
        await b.close()


async def test_brands(ledger: Ledger) -> None:
    a = await ledger.create_brand("acme", "Acme 阿克米", "id.acme.example")
    b = await ledger.create_brand("bolt", "Bolt", "id.bolt.example")
    assert a.id != b.id and a.created_at.tzinfo is not None
    assert await ledger.get_brand("acme") == a
    assert await ledger.get_brand_by_id(b.id) == b
    assert [x.slug for x in await ledger.list_brands()] == ["acme", "bolt"]
    with pytest.raises(Conflict):
        await ledger.create_brand("acme", "Again", "x.example")
    with pytest.raises(BrandNotFound):
        await ledger.get_brand("nope")
    with pytest.raises(BrandNotFound):
        await ledger.get_brand_by_id(999)


async def test_keys_rotate_and_revoke(ledger: Ledger) -> None:
    brand = await ledger.create_brand("acme", "Acme", "id.acme.example")
    await ledger.add_key(key(brand, 0), retire_active=False)
    await ledger.add_key(key(brand, 1), retire_active=True)
    keys = await ledger.list_keys(brand.id)
    assert [(k.slot, k.status) for k in keys] == [(0, KeyStatus.RETIRED), (1, KeyStatus.ACTIVE)]
    assert keys[0].sealed_secret == b"sealed\x00" and keys[0].public_key == bytes(32)
    revoked = await ledger.set_key_status(brand.id, 0, KeyStatus.REVOKED, NOW)
    assert revoked.status is KeyStatus.REVOKED and revoked.revoked_at == NOW
    with pytest.raises(Conflict):
        await ledger.add_key(key(brand, 1), retire_active=False)
    with pytest.raises(KeyNotFound):
        await ledger.set_key_status(brand.id, 7, KeyStatus.REVOKED, NOW)
    # the failed add changed nothing: slot 1 is still the one active key
    assert [k.status for k in await ledger.list_keys(brand.id)] == [
        KeyStatus.REVOKED,
        KeyStatus.ACTIVE,
    ]
    # every status each key took is appended, in order, beside the current status
    events = await rows_of(
        ledger, "SELECT slot, status FROM key_events WHERE brand_id = ? ORDER BY id", brand.id
    )
    assert events == [(0, "active"), (0, "retired"), (1, "active"), (0, "revoked")]


async def test_timestamps_come_back_as_the_same_instant_in_utc(ledger: Ledger) -> None:
    brand = await ledger.create_brand("acme", "Acme", "id.acme.example")
    beijing = dt.timezone(dt.timedelta(hours=8))
    local = dt.datetime(2026, 11, 25, 16, 0, tzinfo=beijing)
    await ledger.add_key(
        KeyRecord(brand.id, 0, "acme.0", bytes(32), b"s", KeyStatus.ACTIVE, local), False
    )
    await ledger.set_key_status(brand.id, 0, KeyStatus.REVOKED, local)
    (stored,) = await ledger.list_keys(brand.id)
    assert stored.created_at == NOW and stored.created_at.utcoffset() == dt.timedelta(0)
    assert stored.revoked_at == NOW


async def test_products_all_or_nothing(ledger: Ledger) -> None:
    acme = await brand_with_product(ledger)
    bolt = await ledger.create_brand("bolt", "Bolt", "id.bolt.example")
    batch = [
        Product(bolt.id, "04006381333931", "Water", shelf_life_days=30),
        Product(bolt.id, "09506000134352", "Clash"),
    ]  # GTIN owned by acme
    with pytest.raises(Conflict, match="09506000134352"):
        await ledger.add_products(batch)
    assert await ledger.list_products(bolt.id) == []
    assert await ledger.add_products(batch[:1]) == 1
    found = await ledger.find_product("04006381333931")
    assert (found.brand_id, found.shelf_life_days) == (bolt.id, 30)
    tea = await ledger.get_product(acme.id, "09506000134352")
    assert tea.category == ("Beverages", "Tea")
    with pytest.raises(ProductNotFound):
        await ledger.get_product(bolt.id, "09506000134352")  # another brand's product
    with pytest.raises(ProductNotFound):
        await ledger.find_product("00000000000000")
    twice = [Product(bolt.id, "96385074", "A"), Product(bolt.id, "96385074", "B")]
    with pytest.raises(Conflict, match="96385074"):
        await ledger.add_products(twice)
    assert [p.gtin for p in await ledger.list_products(bolt.id)] == ["04006381333931"]
    assert await ledger.add_products([]) == 0
    # only the GTINs asked for, of this brand (another brand's and unknown ones absent)
    asked = ["09506000134352", "04006381333931", "00000000000000", "04006381333931"]
    assert [p.gtin for p in await ledger.list_products(bolt.id, asked)] == ["04006381333931"]
    assert [p.gtin for p in await ledger.list_products(acme.id, asked)] == ["09506000134352"]
    assert await ledger.list_products(acme.id, []) == []


async def test_batches_seq_per_key_slot(ledger: Ledger) -> None:
    brand = await brand_with_product(ledger)
    seen: list[tuple[int, int]] = []

    def sealer(batch_id: int, seq: int) -> tuple[bytes, bytes]:
        seen.append((batch_id, seq))
        return seal(batch_id, seq)

    b0 = await ledger.create_batch(new_batch(brand, "A"), sealer)
    b1 = await ledger.create_batch(new_batch(brand, "B"), sealer)
    await ledger.add_key(key(brand, 1), retire_active=True)
    c0 = await ledger.create_batch(new_batch(brand, "C", slot=1), sealer)
    assert [(b.seq, b.key_slot) for b in (b0, b1, c0)] == [(0, 0), (1, 0), (0, 1)]
    assert seen == [(b0.id, 0), (b1.id, 1), (c0.id, 0)]
    assert b1.manifest == f'{{"id":{b1.id},"seq":1}}'.encode() and b1.manifest_sig == b"sig-1"
    assert b0.expiry_date == dt.date(2027, 1, 2) and b0.status is BatchStatus.ACTIVE
    assert await ledger.get_batch_by_seq(brand.id, 1, 0) == c0
    assert await ledger.get_batch_by_lot(brand.id, "09506000134352", "B") == b1
    assert await ledger.get_batch(b0.id) == b0
    assert [b.lot for b in await ledger.list_batches(brand.id)] == ["A", "B", "C"]
    with pytest.raises(Conflict):
        await ledger.create_batch(new_batch(brand, "A"), seal)
    with pytest.raises(BatchNotFound):
        await ledger.get_batch_by_seq(brand.id, 0, 9)

    # a failing sealer leaves no batch behind
    def broken(_i: int, _s: int) -> tuple[bytes, bytes]:
        raise RuntimeError("HSM unavailable")

    with pytest.raises(RuntimeError):
        await ledger.create_batch(new_batch(brand, "D"), broken)
    assert len(await ledger.list_batches(brand.id)) == 3
    d = await ledger.create_batch(new_batch(brand, "D", slot=1), seal)
    assert d.seq == 1  # no gap from the failed attempt


async def test_concurrent_batches_get_distinct_gap_free_seqs(ledger: Ledger) -> None:
    brand = await brand_with_product(ledger)
    made = await asyncio.gather(
        *(ledger.create_batch(new_batch(brand, f"L{i}"), seal) for i in range(20))
    )
    assert sorted(b.seq for b in made) == list(range(20))
    assert len({b.id for b in made}) == 20
    # each manifest was sealed with the id and seq its batch got
    assert all(b.manifest == f'{{"id":{b.id},"seq":{b.seq}}}'.encode() for b in made)


async def test_two_ledgers_on_one_database_share_the_seq_space(ledger_url: str) -> None:
    """Two ledger objects stand in for two processes: the database, not an in-process
    lock, must keep the seqs distinct and gap-free, per slot."""
    first, second = await open_ledger(ledger_url), await open_ledger(ledger_url)
    try:
        await first.migrate()
        brand = await brand_with_product(first)
        await first.add_key(key(brand, 1), retire_active=True)
        made = await asyncio.gather(
            *(
                (first, second)[i % 2].create_batch(new_batch(brand, f"L{i}", slot=i % 3 % 2), seal)
                for i in range(24)
            )
        )
        for slot in (0, 1):
            seqs = sorted(b.seq for b in made if b.key_slot == slot)
            assert seqs == list(range(len(seqs)))
        assert len({b.id for b in made}) == 24
    finally:
        await first.close()
        await second.close()


async def test_key_space_exhausted(ledger: Ledger) -> None:
    brand = await brand_with_product(ledger)
    assert isinstance(ledger, SqlLedger)
    # 2**20 real batches would take minutes: plant the last one directly
    async with ledger.write() as tx:
        await tx.execute(
            "INSERT INTO batches (id, brand_id, gtin, lot, key_slot, seq, profile, pin_digits,"
            " size, production_date, expiry_date, factory, line, status, manifest,"
            " manifest_sig, created_at) VALUES (?, ?, ?, 'LAST', 0, ?, 'compact', 0, 1, ?,"
            " NULL, 'F', 'L', 'active', ?, ?, ?)",
            1,
            brand.id,
            "09506000134352",
            MAX_SEQ,
            dt.date(2026, 1, 1),
            b"m",
            b"s",
            NOW,
        )
    with pytest.raises(KeySpaceExhausted):
        await ledger.create_batch(new_batch(brand, "ONE-TOO-MANY"), seal)
    assert [b.lot for b in await ledger.list_batches(brand.id)] == ["LAST"]


async def test_batch_must_name_its_own_brands_product_and_key(ledger: Ledger) -> None:
    """Schema integrity, not a business rule: services check first; the schema makes
    sure a bug cannot store a batch under another brand's GTIN or a missing key."""
    acme = await brand_with_product(ledger)
    bolt = await ledger.create_brand("bolt", "Bolt", "id.bolt.example")
    await ledger.add_key(key(bolt, 0), retire_active=False)
    with pytest.raises(IntegrityViolation):
        await ledger.create_batch(new_batch(bolt, "A"), seal)  # acme's GTIN
    with pytest.raises(IntegrityViolation):
        await ledger.create_batch(new_batch(acme, "A", slot=5), seal)  # no key in slot 5
    assert await ledger.list_batches(acme.id) == await ledger.list_batches(bolt.id) == []


async def test_batch_status_changes_are_kept(ledger: Ledger) -> None:
    brand = await brand_with_product(ledger)
    b = await ledger.create_batch(new_batch(brand, "A"), seal)
    assert (
        await ledger.set_batch_status(b.id, BatchStatus.RECALLED)
    ).status is BatchStatus.RECALLED
    assert (await ledger.get_batch(b.id)).status is BatchStatus.RECALLED
    assert (await ledger.set_batch_status(b.id, BatchStatus.ACTIVE)).status is BatchStatus.ACTIVE
    with pytest.raises(BatchNotFound):
        await ledger.set_batch_status(12345, BatchStatus.RECALLED)
    events = await rows_of(
        ledger, "SELECT status FROM batch_events WHERE batch_id = ? ORDER BY id", b.id
    )
    assert events == [("active",), ("recalled",), ("active",)]


async def test_writes_survive_reopen(ledger_url: str) -> None:
    first = await open_ledger(ledger_url)
    await first.migrate()
    brand = await brand_with_product(first)
    b = await first.create_batch(new_batch(brand, "A"), seal)
    await first.close()
    again = await open_ledger(ledger_url)
    try:
        assert await again.migrate() == []
        assert await again.get_batch(b.id) == b
        assert [k.slot for k in await again.list_keys(brand.id)] == [0]
    finally:
        await again.close()


async def test_bad_urls_and_unreachable_servers_are_coded_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        await open_ledger("mysql://localhost/x")
    with pytest.raises(StorageError):
        await open_ledger("postgresql://postgres@127.0.0.1:1/nothing")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(StorageError):
        await open_ledger(str(tmp_path / "a-file" / "ledger.sqlite3"))
    (tmp_path / "dir.sqlite3").mkdir()
    with pytest.raises(StorageError):
        await open_ledger(str(tmp_path / "dir.sqlite3"))
    for bad in ("", "sqlite:", "sqlite://host/ledger.db", "postgresql+asyncpg://x/y"):
        with pytest.raises(ConfigError):
            await open_ledger(bad)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///{tmp}/a/ledger.db",  # absolute (tmp starts with "/": 4 slashes)
        "sqlite://{tmp}/a/ledger.db",  # absolute, 3 slashes
        "sqlite:rel/a/ledger.db",  # relative to the working directory
        "{tmp}/a/ledger.db",  # plain path
        "rel/a/ledger.db",
    ],
)
async def test_sqlite_url_forms(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    led = await open_ledger(url.format(tmp=tmp_path))
    try:
        expected = tmp_path / ("rel" if "rel/" in url else "") / "a" / "ledger.db"
        assert expected.is_file()  # parent folders created
        assert led.url == f"sqlite://{expected}"
    finally:
        await led.close()


async def test_sqlite_durability_settings(tmp_path: Path) -> None:
    led = await open_ledger(str(tmp_path / "ledger.db"))
    assert isinstance(led, SqlLedger)
    try:
        for connection in (led.write(), led.read()):  # the writer and the reader
            async with connection as tx:
                mode = await tx.fetchrow("PRAGMA journal_mode")
                sync = await tx.fetchrow("PRAGMA synchronous")
                fks = await tx.fetchrow("PRAGMA foreign_keys")
                busy = await tx.fetchrow("PRAGMA busy_timeout")
            assert mode is not None and sync is not None and fks is not None
            assert busy is not None
            assert list(mode.values()) == ["wal"]
            assert list(sync.values()) == [2]  # FULL
            assert list(fks.values()) == [1]
            assert next(iter(busy.values())) > 0
    finally:
        await led.close()


def test_dialects_have_the_same_migrations() -> None:
    assert ALL[:2] == ["0001_core", "0002_scans"]
    assert [m.name for m in migrations("postgres")] == ALL
