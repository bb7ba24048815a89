"""An Engine over each real ledger backend (see tests/conftest.py for ``ledger_url``), for
the catalog tests and the scanning tests that reuse it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.models import Brand

GTIN = "09506000134352"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "test.key"
    create_key_file(path)
    return path


@pytest.fixture
async def engine(ledger_url: str, key_file: Path) -> AsyncIterator[Engine]:
    cfg = Config(path=None, db_url=ledger_url, key_source=KeySource(key_file=key_file))
    eng = await Engine.open(cfg)
    try:
        yield eng
    finally:
        await eng.close()


@pytest.fixture
async def brand(engine: Engine) -> Brand:
    b = await engine.brands.create("acme", "Acme Tea 阿克米茶业", "id.acme.example")
    await engine.catalogue.add(
        make_product(b, GTIN, "Green tea", shelf_life_days=365, category="Beverages/Tea/Green")
    )
    return b
