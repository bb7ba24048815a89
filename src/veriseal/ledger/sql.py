"""The SQL ledger shared by both backends, over a four-method transaction interface.

Queries are written once with ``?`` placeholders; a backend supplies :class:`Tx` objects
(which translate placeholders, encode values and map driver errors to
``Conflict`` / ``StorageError``) carrying their :class:`~veriseal.ledger.dialects.Dialect`
for what the two dialects spell differently. Each public method is one transaction: it
commits fully or changes nothing.

Status changes follow rule 7 of ARCHITECTURE.md: the change is appended to
``key_events`` / ``batch_events`` and the denormalised ``status`` column updated in the
same transaction, so the current state is always the latest appended fact.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from veriseal.codes.layout import MAX_SEQ
from veriseal.errors import (
    BatchNotFound,
    BrandNotFound,
    CategoryNotFound,
    Conflict,
    KeyNotFound,
    KeySpaceExhausted,
    ProductNotFound,
)
from veriseal.ledger import partition_store, rows
from veriseal.ledger.alert_store import AlertStore
from veriseal.ledger.base import Ledger, ManifestSealer, Tx
from veriseal.ledger.catalog_sql import (
    categories_from_paths,
    category_chain,
    ensure_category_path,
    reindex_products,
)
from veriseal.ledger.migrate import Migration, migrations, plugin_migrations
from veriseal.ledger.scan_store import ScanStore
from veriseal.models import (
    Batch,
    BatchStatus,
    Brand,
    KeyRecord,
    KeyStatus,
    NewBatch,
    Product,
)

if TYPE_CHECKING:
    from veriseal.ledger.migrate import PluginMigrations

_M = TypeVar("_M", bound=Callable[..., Awaitable[Any]])

_BATCH_COLS = (
    "id, brand_id, gtin, lot, key_slot, seq, profile, pin_digits, size, production_date,"
    " expiry_date, factory, line, status, manifest, manifest_sig, created_at"
)


#: Data steps of core migrations: run right after the file's statements, in the same
#: transaction (see :mod:`veriseal.ledger.migrate`). Like a file, a released step MUST
#: NOT change what it writes.
DATA_STEPS: dict[str, Callable[[Tx], Awaitable[None]]] = {
    "0018_categories": categories_from_paths,
}

#: Arbitrary but fixed key of the advisory lock that serialises migrate() ("veriseas").
_MIGRATION_LOCK = 0x7665726973656173


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _bumps_metadata(method: _M) -> _M:
    """Mark a write of metadata: bump ``metadata_version`` once it has committed."""

    @functools.wraps(method)
    async def wrapper(self: SqlLedger, *args: Any, **kwargs: Any) -> Any:
        result = await method(self, *args, **kwargs)
        self.metadata_version += 1
        return result

    return wrapper  # type: ignore[return-value]


class SqlLedger(ScanStore, AlertStore, Ledger):
    """:class:`Ledger` over SQL; a backend supplies transactions and its dialect."""

    # -- lifecycle ---------------------------------------------------------------------
    async def migrate(self, plugins: Sequence[PluginMigrations] = ()) -> list[str]:
        applied: list[str] = []
        todo: list[Migration] = list(migrations(self.dialect.name))
        for source in plugins:  # read (and checked) before the transaction opens
            todo += plugin_migrations(source, self.dialect.name)
        # One transaction for all pending files: both dialects have transactional DDL, so
        # a failing migration leaves the schema exactly as it was.
        async with self.write() as tx:
            # concurrent migrate() calls (several app instances starting) queue here
            await tx.advisory_lock(_MIGRATION_LOCK)
            await tx.execute(tx.dialect.schema_migrations_ddl)
            done = {r["name"] for r in await tx.fetch("SELECT name FROM schema_migrations")}
            for name, statements in todo:
                if name in done:
                    continue
                for statement in statements:
                    await tx.execute(statement)
                step = DATA_STEPS.get(name)
                if step is not None:
                    await step(tx)
                await tx.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    name,
                    _now(),
                )
                applied.append(name)
        await self.maintain()
        return applied

    async def maintain(self, now: dt.datetime | None = None) -> list[str]:
        if not self.dialect.partitioned:
            return []
        async with self.write() as tx:
            created = await partition_store.ensure(tx, now or _now())
            if await partition_store.partitioned(tx, "scans"):
                self.scan_months = await partition_store.entered(tx, "scans")
        return created

    async def partitions(self) -> list[partition_store.Partition]:
        if not self.dialect.partitioned:
            return []
        async with self.read() as tx:
            return await partition_store.partitions(tx)

    async def schema_version(self) -> list[str]:
        async with self.read() as tx:
            if not await tx.dialect.has_table(tx, "schema_migrations"):
                return []  # never migrated
            found = await tx.fetch("SELECT name FROM schema_migrations ORDER BY name")
        return [r["name"] for r in found]

    # -- brands ------------------------------------------------------------------------
    @_bumps_metadata
    async def create_brand(self, slug: str, name: str, resolver: str) -> Brand:
        async with self.write() as tx:
            await tx.execute(
                "INSERT INTO brands (slug, name, resolver, created_at) VALUES (?, ?, ?, ?)",
                slug,
                name,
                resolver,
                _now(),
            )
            row = await tx.fetchrow("SELECT * FROM brands WHERE slug = ?", slug)
        assert row is not None
        return rows.brand(row)

    async def _one_brand(self, where: str, value: Any) -> Brand:
        async with self.read() as tx:
            row = await tx.fetchrow(f"SELECT * FROM brands WHERE {where} = ?", value)
        if row is None:
            raise BrandNotFound(f"no brand {value!r}")
        return rows.brand(row)

    async def get_brand(self, slug: str) -> Brand:
        return await self._one_brand("slug", slug)

    async def get_brand_by_id(self, brand_id: int) -> Brand:
        return await self._one_brand("id", brand_id)

    async def list_brands(self) -> list[Brand]:
        async with self.read() as tx:
            return [rows.brand(r) for r in await tx.fetch("SELECT * FROM brands ORDER BY id")]

    # -- keys --------------------------------------------------------------------------
    @_bumps_metadata
    async def add_key(self, key: KeyRecord, retire_active: bool) -> None:
        async with self.write() as tx:
            if retire_active:
                active = await tx.fetch(
                    "SELECT slot FROM keys WHERE brand_id = ? AND status = ?",
                    key.brand_id,
                    str(KeyStatus.ACTIVE),
                )
                # stamped with the new key's creation time: the rotation is one instant
                for r in active:
                    await self._key_status(
                        tx, key.brand_id, r["slot"], KeyStatus.RETIRED, key.created_at
                    )
            await tx.execute(
                "INSERT INTO keys (brand_id, slot, kid, public_key, sealed_secret, status,"
                " created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                key.brand_id,
                key.slot,
                key.kid,
                key.public_key,
                key.sealed_secret,
                str(key.status),
                key.created_at,
                key.revoked_at,
            )
            await tx.execute(
                "INSERT INTO key_events (brand_id, slot, status, at) VALUES (?, ?, ?, ?)",
                key.brand_id,
                key.slot,
                str(key.status),
                key.created_at,
            )

    async def list_keys(self, brand_id: int) -> list[KeyRecord]:
        async with self.read() as tx:
            found = await tx.fetch("SELECT * FROM keys WHERE brand_id = ? ORDER BY slot", brand_id)
        return [rows.key(r) for r in found]

    @staticmethod
    async def _key_status(
        tx: Tx, brand_id: int, slot: int, status: KeyStatus, at: dt.datetime
    ) -> None:
        """Append the key event and update the current status, in the caller's tx.

        ``revoked_at`` keeps the FIRST revocation: it dates when codes stopped verifying.
        """
        revoked = at if status is KeyStatus.REVOKED else None
        await tx.execute(
            "UPDATE keys SET status = ?, revoked_at = COALESCE(?, revoked_at)"
            " WHERE brand_id = ? AND slot = ?",
            str(status),
            revoked,
            brand_id,
            slot,
        )
        await tx.execute(
            "INSERT INTO key_events (brand_id, slot, status, at) VALUES (?, ?, ?, ?)",
            brand_id,
            slot,
            str(status),
            at,
        )

    @_bumps_metadata
    async def set_key_status(
        self, brand_id: int, slot: int, status: KeyStatus, at: dt.datetime
    ) -> KeyRecord:
        async with self.write() as tx:
            sql = "SELECT * FROM keys WHERE brand_id = ? AND slot = ?"
            if await tx.fetchrow(sql, brand_id, slot) is None:
                raise KeyNotFound(f"no key in slot {slot}")
            await self._key_status(tx, brand_id, slot, status, at)
            row = await tx.fetchrow(sql, brand_id, slot)
        assert row is not None
        return rows.key(row)

    # -- products ----------------------------------------------------------------------
    @_bumps_metadata
    async def add_products(self, products: Sequence[Product]) -> int:
        if not products:
            return 0
        gtins = [p.gtin for p in products]
        seen: set[str] = set()
        for gtin in gtins:
            if gtin in seen:
                raise Conflict(f"GTIN {gtin} appears twice in the import", gtin=gtin)
            seen.add(gtin)
        async with self.write() as tx:
            # Checked before inserting so the Conflict names the GTIN portably; the unique
            # index still guards a concurrent writer (its Conflict is just less specific).
            taken: set[str] = set()
            for start in range(0, len(gtins), 500):  # under SQLite's 999-parameter limit
                part = gtins[start : start + 500]
                marks = ", ".join("?" * len(part))
                found = await tx.fetch(f"SELECT gtin FROM products WHERE gtin IN ({marks})", *part)
                taken.update(r["gtin"] for r in found)
            first = next((g for g in gtins if g in taken), None)
            if first is not None:
                raise Conflict(f"GTIN {first} is already registered", gtin=first)
            await tx.executemany(
                "INSERT INTO products (gtin, brand_id, name, spec, manufacturer,"
                " shelf_life_days, category) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        p.gtin,
                        p.brand_id,
                        p.name,
                        p.spec,
                        p.manufacturer,
                        p.shelf_life_days,
                        p.category_path,
                    )
                    for p in products
                ],
            )
            await self._place_in_tree(tx, products)
            await reindex_products(tx, gtins)
        return len(products)

    @staticmethod
    async def _place_in_tree(tx: Tx, products: Sequence[Product]) -> None:
        """Point each new product at its category: ``category_id`` when given (it must be
        a category of the product's brand), else the node of its ``category`` path
        (created as needed); ``products.category`` then holds that node's path."""
        # the category store's lock: a concurrent rename or move cannot interleave
        for brand_id in sorted({p.brand_id for p in products if p.category or p.category_id}):
            await tx.advisory_lock(f"categories:{brand_id}")
        for p in products:
            if p.category_id is not None:
                chain = await category_chain(tx, p.category_id)
                if not chain or chain[-1]["brand_id"] != p.brand_id:
                    raise CategoryNotFound(f"no category {p.category_id} in this brand")
                names = [str(r["name"]) for r in chain]
                leaf: int | None = p.category_id
            else:
                names = list(p.category)
                leaf = await ensure_category_path(tx, p.brand_id, names)
            if leaf is not None:
                await tx.execute(
                    "UPDATE products SET category_id = ?, category = ? WHERE gtin = ?",
                    leaf,
                    "/".join(names),
                    p.gtin,
                )

    async def get_product(self, brand_id: int, gtin: str) -> Product:
        async with self.read() as tx:
            row = await tx.fetchrow(
                "SELECT * FROM products WHERE brand_id = ? AND gtin = ?", brand_id, gtin
            )
        if row is None:
            raise ProductNotFound(f"no product with GTIN {gtin}")
        return rows.product(row)

    async def find_product(self, gtin: str) -> Product:
        async with self.read() as tx:
            row = await tx.fetchrow("SELECT * FROM products WHERE gtin = ?", gtin)
        if row is None:
            raise ProductNotFound(f"no product with GTIN {gtin}")
        return rows.product(row)

    async def list_products(
        self, brand_id: int, gtins: Collection[str] | None = None
    ) -> list[Product]:
        async with self.read() as tx:
            if gtins is None:
                found = await tx.fetch(
                    "SELECT * FROM products WHERE brand_id = ? ORDER BY gtin", brand_id
                )
            else:
                wanted, found = sorted(set(gtins)), []
                for i in range(0, len(wanted), 500):  # far below any parameter limit
                    part = wanted[i : i + 500]
                    found += await tx.fetch(
                        f"SELECT * FROM products WHERE brand_id = ?"
                        f" AND gtin IN ({', '.join('?' * len(part))}) ORDER BY gtin",
                        brand_id,
                        *part,
                    )
        return [rows.product(r) for r in found]

    # -- batches -----------------------------------------------------------------------
    @_bumps_metadata
    async def create_batch(self, new: NewBatch, seal: ManifestSealer) -> Batch:
        async with self.write() as tx:
            # The lock makes MAX(seq)+1 safe: no other transaction can allocate under this
            # (brand, slot) until we commit or roll back, so seqs are distinct and gap-free.
            if tx.dialect.for_update:  # else the write transaction excludes every writer
                await tx.execute(
                    f"SELECT slot FROM keys WHERE brand_id = ? AND slot = ?{tx.dialect.for_update}",
                    new.brand_id,
                    new.key_slot,
                )
            taken = await tx.fetchrow(
                "SELECT id FROM batches WHERE brand_id = ? AND gtin = ? AND lot = ?",
                new.brand_id,
                new.gtin,
                new.lot,
            )
            if taken is not None:
                raise Conflict(
                    f"lot {new.lot} of {new.gtin} exists already (batch {taken['id']})",
                    batch_id=taken["id"],
                )
            top = await tx.fetchrow(
                "SELECT MAX(seq) AS seq FROM batches WHERE brand_id = ? AND key_slot = ?",
                new.brand_id,
                new.key_slot,
            )
            seq = 0 if top is None or top["seq"] is None else int(top["seq"]) + 1
            if seq > MAX_SEQ:
                raise KeySpaceExhausted(
                    f"key slot {new.key_slot} has minted its last batch: rotate the key",
                    key_slot=new.key_slot,
                )
            # ids may have gaps (a rolled-back creation on PostgreSQL); seqs may not
            (batch_id,) = await tx.reserve_ids("batches", 1)
            body, signature = seal(batch_id, seq)
            now = _now()
            await tx.execute(
                f"INSERT INTO batches ({_BATCH_COLS}) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                batch_id,
                new.brand_id,
                new.gtin,
                new.lot,
                new.key_slot,
                seq,
                str(new.profile),
                new.pin_digits,
                new.size,
                new.production_date,
                new.expiry_date,
                new.factory,
                new.line,
                str(BatchStatus.ACTIVE),
                body,
                signature,
                now,
            )
            await tx.execute(
                "INSERT INTO batch_events (batch_id, status, at) VALUES (?, ?, ?)",
                batch_id,
                str(BatchStatus.ACTIVE),
                now,
            )
            row = await tx.fetchrow(f"SELECT {_BATCH_COLS} FROM batches WHERE id = ?", batch_id)
        assert row is not None
        return rows.batch(row)

    async def _one_batch(self, where: str, *args: Any) -> Batch:
        async with self.read() as tx:
            row = await tx.fetchrow(f"SELECT {_BATCH_COLS} FROM batches WHERE {where}", *args)
        if row is None:
            raise BatchNotFound(f"no batch {'/'.join(str(a) for a in args)}")
        return rows.batch(row)

    async def get_batch(self, batch_id: int) -> Batch:
        return await self._one_batch("id = ?", batch_id)

    async def get_batch_by_seq(self, brand_id: int, key_slot: int, seq: int) -> Batch:
        return await self._one_batch(
            "brand_id = ? AND key_slot = ? AND seq = ?", brand_id, key_slot, seq
        )

    async def get_batch_by_lot(self, brand_id: int, gtin: str, lot: str) -> Batch:
        return await self._one_batch("brand_id = ? AND gtin = ? AND lot = ?", brand_id, gtin, lot)

    async def list_batches(self, brand_id: int) -> list[Batch]:
        async with self.read() as tx:
            found = await tx.fetch(
                f"SELECT {_BATCH_COLS} FROM batches WHERE brand_id = ? ORDER BY id", brand_id
            )
        return [rows.batch(r) for r in found]

    @_bumps_metadata
    async def set_batch_status(self, batch_id: int, status: BatchStatus) -> Batch:
        async with self.write() as tx:
            if await tx.fetchrow("SELECT id FROM batches WHERE id = ?", batch_id) is None:
                raise BatchNotFound(f"no batch {batch_id}")
            await tx.execute("UPDATE batches SET status = ? WHERE id = ?", str(status), batch_id)
            await tx.execute(
                "INSERT INTO batch_events (batch_id, status, at) VALUES (?, ?, ?)",
                batch_id,
                str(status),
                _now(),
            )
        return await self.get_batch(batch_id)
