"""One contract suite for every ledger backend, against real databases."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from veriseal.errors import (
    BatchNotFound,
    BrandNotFound,
    ConfigError,
    Conflict,
    KeyNotFound,
    ProductNotFound,
    StorageError,
)
from veriseal.ledger import Ledger, open_ledger
from veriseal.models import (
    BatchStatus,
    Brand,
    KeyRecord,
    KeyStatus,
    NewBatch,
    Product,
    Profile,
)

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


async def test_migrate_is_idempotent(ledger: Ledger) -> None:
    assert await ledger.migrate() == []
    assert await ledger.schema_version() == ["0001_core"]


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


async def test_batch_status_changes_are_kept(ledger: Ledger) -> None:
    brand = await brand_with_product(ledger)
    b = await ledger.create_batch(new_batch(brand, "A"), seal)
    assert (
        await ledger.set_batch_status(b.id, BatchStatus.RECALLED)
    ).status is BatchStatus.RECALLED
    assert (await ledger.get_batch(b.id)).status is BatchStatus.RECALLED
    with pytest.raises(BatchNotFound):
        await ledger.set_batch_status(12345, BatchStatus.RECALLED)


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
