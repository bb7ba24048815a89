"""A real engine with the territories and commerce plugins over each backend
(``ledger_url`` from tests/conftest.py): a brand with two catalogue products in a
category tree, a batch of each, a dealer network imported from CSV with approved
real-name verifications and territories, and a user (with its principal) for each role
that takes part in ordering."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.territories.conftest import approve
from veriseal.accounts.models import SYSTEM, Principal, Role
from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.extend import PluginContext
from veriseal.extend.stream import worker_for
from veriseal.models import Batch, Brand
from veriseal_commerce.service import Commerce
from veriseal_commerce.service import of as commerce_of
from veriseal_territories.service import Territories
from veriseal_territories.service import of as territories_of

TEA = "09506000134352"  # Beverages/Tea/Green
WINE = "09506000134369"  # Beverages/Wine
DEALERS_CSV = """code,name,kind,parent,contact,phone,regions,status
GD01,华南总代,distributor,,张三,13800000001,CN-GD,active
ZJ01,浙江总代,distributor,,李四,13800000002,330000,active
GZ-R1,广州门店,retailer,GD01,王五,13800000003,440100,active
"""


@dataclass
class Shop:
    """The world the commerce tests run in (see the module docstring)."""

    engine: Engine
    ctx: PluginContext
    c: Commerce
    t: Territories
    brand: Brand
    batches: dict[str, Batch]  # by GTIN: 1,000 items each, lot "L1"
    tmp: Path
    #: by role name: "admin", "operator", "gd" (GD01's distributor), "zj" (ZJ01's),
    #: "shop" (GZ-R1's retailer)
    people: dict[str, Principal] = field(default_factory=dict)
    orgs: dict[str, int] = field(default_factory=dict)  # dealer code -> org id
    keys: dict[int, Any] = field(default_factory=dict)  # the brand's keys by slot

    def codes(self, gtin: str, first: int, count: int) -> list[str]:
        """Printed URIs of items ``first .. first+count-1`` of the GTIN's batch."""
        batch = self.batches[gtin]
        material = self.engine.keys.material(self.keys[batch.key_slot])
        with Minter(self.brand, batch, material) as m:
            chunk = m.chunk(first, first + count)
        width = chunk.uris.shape[1]
        raw = chunk.uris.tobytes().decode()
        return [raw[i * width : (i + 1) * width] for i in range(count)]

    async def drain(self) -> int:
        """Run the event stream's consumers until they have caught up (what
        ``veriseal serve``'s worker does after each commit)."""
        return await worker_for(self.engine).drain()


@asynccontextmanager
async def open_engine(ledger_url: str, tmp_path: Path, plugins: tuple[str, ...]
                      ) -> AsyncIterator[Engine]:  # fmt: skip
    """A real engine on ``ledger_url`` with a fresh key file and ``plugins`` enabled."""
    key_file = tmp_path / "test.key"
    create_key_file(key_file)
    cfg = Config(None, ledger_url, KeySource(key_file=key_file), plugins=plugins)
    eng = await Engine.open(cfg)
    try:
        yield eng
    finally:
        await eng.close()


@pytest.fixture
async def engine(ledger_url: str, tmp_path: Path) -> AsyncIterator[Engine]:
    async with open_engine(ledger_url, tmp_path, ("territories", "commerce")) as eng:
        yield eng


async def _person(engine: Engine, role: Role, org_id: int | None, n: int) -> Principal:
    user = await engine.accounts.create_user(
        SYSTEM, contact=f"1371111{n:04d}", display_name=f"{role} {n}", role=role, org_id=org_id
    )
    return await engine.accounts.principal(user)


@pytest.fixture
async def shop(engine: Engine, tmp_path: Path) -> Shop:
    return await make_shop(engine, tmp_path)


async def make_shop(engine: Engine, tmp_path: Path) -> Shop:
    """The world of the module docstring on ``engine``."""
    brand = await engine.brands.create("acme", "Acme Tea", "id.acme.example")
    await engine.catalogue.add(
        make_product(brand, TEA, "绿茶 Green tea", category="Beverages/Tea/Green")
    )
    await engine.catalogue.add(
        make_product(brand, WINE, "黄酒 Rice wine", category="Beverages/Wine")
    )
    batches = {
        gtin: await engine.batches.create(brand, BatchRequest(gtin=gtin, lot="L1", size=1000))
        for gtin in (TEA, WINE)
    }
    ctx = engine.plugins.context("commerce")
    t = territories_of(engine.plugins.context("territories"))
    s = Shop(engine, ctx, commerce_of(ctx), t, brand, batches, tmp_path)
    s.keys = {k.slot: k for k in await engine.keys.list(brand)}
    report = await t.dealers.import_csv(SYSTEM, brand.id, DEALERS_CSV)
    assert (report.created, report.errors) == (3, [])
    for code in ("GD01", "ZJ01", "GZ-R1"):
        s.orgs[code] = (await t.dealers.find(brand.id, code)).org_id
    for n, code in enumerate(("GD01", "ZJ01", "GZ-R1"), 1):
        await approve(engine, s.orgs[code], n)
    await t.grants.grant(SYSTEM, brand.id, "GD01", "*", "CN-GD")
    await t.grants.grant(SYSTEM, brand.id, "ZJ01", "*", "CN-ZJ")
    await t.grants.grant(SYSTEM, brand.id, "GZ-R1", "*", "440100")
    root = (await engine.accounts.brand_org(brand)).id
    s.people["admin"] = await _person(engine, Role.BRAND_ADMIN, root, 1)
    s.people["operator"] = await _person(engine, Role.FACTORY_OPERATOR, root, 2)
    s.people["gd"] = await _person(engine, Role.DISTRIBUTOR, s.orgs["GD01"], 3)
    s.people["zj"] = await _person(engine, Role.DISTRIBUTOR, s.orgs["ZJ01"], 4)
    s.people["shop"] = await _person(engine, Role.RETAILER, s.orgs["GZ-R1"], 5)
    return s
