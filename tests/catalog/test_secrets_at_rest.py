"""Key secrets never reach storage in clear; a batch of any size is one row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.products import make_product
from veriseal.config import Config, sqlite_url
from veriseal.engine import Engine

from .conftest import GTIN


async def test_no_clear_secret_in_the_sqlite_files(tmp_path: Path) -> None:
    key_file = tmp_path / "k.key"
    create_key_file(key_file)
    db = tmp_path / "ledger.sqlite3"
    cfg = Config(path=None, db_url=sqlite_url(db), key_source=KeySource(key_file=key_file))
    async with await Engine.open(cfg) as engine:
        brand = await engine.brands.create("acme", "Acme", "id.acme.example")
        await engine.keys.rotate(brand)
        await engine.catalogue.add(make_product(brand, GTIN, "Tea"))
        await engine.batches.create(brand, BatchRequest(gtin=GTIN, lot="L1", size=5_000_000))
        materials = [
            engine.keys.material(k, allow_revoked=True) for k in await engine.keys.list(brand)
        ]
        derived = [m.secret for m in materials] + [bytes(m.signing_key) for m in materials]
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("ledger.sqlite3*"))
    assert len(derived) == 4
    for secret in derived:
        assert secret not in stored
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    assert counts["batches"] == 1  # five million codes, one row
    # no table grew with the batch size (the migrations log grows with the schema only)
    counts.pop("schema_migrations")
    assert max(counts.values()) < 10, counts
