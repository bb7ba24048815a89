"""A real engine with the territories plugin over each backend (``ledger_url`` from
tests/conftest.py), a brand with a catalogue product, a batch, a small dealer network
with approved enterprise verifications, and helpers to mint codes."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from veriseal.accounts.identity import USCC_ALPHABET, uscc_check
from veriseal.accounts.models import SYSTEM, Role
from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.extend.stream import worker_for
from veriseal.models import Batch, Brand
from veriseal_territories.service import Territories, of

GTIN = "09506000134352"
OTHER_GTIN = "09506000134369"
DEALERS_CSV = """code,name,kind,parent,contact,phone,regions,status
GD01,华南总代,distributor,,张三,13800000001,CN-GD,active
ZJ01,浙江总代,distributor,,李四,13800000002,330000,active
GZ-R1,广州门店,retailer,GD01,王五,13800000003,CN-GD/Guangzhou,active
"""
GUANGZHOU = (23.1291, 113.2644)
SHENZHEN = (22.5431, 114.0579)
HANGZHOU = (30.2741, 120.1551)
CHANGSHA = (28.2282, 112.9388)  # Hunan: nobody's territory


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 400), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def uscc(n: int) -> str:
    first = f"91440100MA{n:07d}"
    assert all(c in USCC_ALPHABET for c in first)
    return first + uscc_check(first)


async def approve(engine: Engine, org_id: int, n: int) -> None:
    """Give the dealer org an approved enterprise verification (real KYC flow)."""
    user = await engine.accounts.create_user(
        SYSTEM,
        contact=f"1390000{n:04d}",
        display_name=f"dealer {n}",
        role=Role.DISTRIBUTOR,
        org_id=org_id,
    )
    principal = await engine.accounts.principal(user)
    sub = await engine.kyc.submit_enterprise(principal, f"Dealer {n} Co.", uscc(n), jpeg())
    await engine.kyc.review(SYSTEM, sub.id, True, "ok")


@dataclass
class World:
    engine: Engine
    t: Territories
    brand: Brand
    batch: Batch
    tmp: Path

    def codes(self, first: int, count: int) -> list[str]:
        """Printed URIs of items first..first+count-1 of the batch (set by the fixture)."""
        raise NotImplementedError

    async def dealer_org(self, code: str) -> int:
        return (await self.t.dealers.find(self.brand.id, code)).org_id


@pytest.fixture
async def engine(ledger_url: str, tmp_path: Path) -> AsyncIterator[Engine]:
    key_file = tmp_path / "test.key"
    create_key_file(key_file)
    cfg = Config(None, ledger_url, KeySource(key_file=key_file), plugins=("territories",))
    eng = await Engine.open(cfg)
    try:
        yield eng
    finally:
        await eng.close()


@pytest.fixture
async def world(engine: Engine, tmp_path: Path) -> World:
    brand = await engine.brands.create("acme", "Acme Tea", "id.acme.example")
    await engine.catalogue.add(
        make_product(brand, GTIN, "Green tea", category="Beverages/Tea/Green")
    )
    await engine.catalogue.add(
        make_product(brand, OTHER_GTIN, "Rice wine", category="Beverages/Wine")
    )
    batch = await engine.batches.create(brand, BatchRequest(gtin=GTIN, lot="L1", size=1000))
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    material = engine.keys.material(keys[batch.key_slot])
    t = of(engine.plugins.context("territories"))
    w = World(engine, t, brand, batch, tmp_path)

    def codes(first: int, count: int) -> list[str]:
        with Minter(brand, batch, material) as m:
            chunk = m.chunk(first, first + count)
        width = chunk.uris.shape[1]
        raw = chunk.uris.tobytes().decode()
        return [raw[i * width : (i + 1) * width] for i in range(count)]

    w.codes = codes  # type: ignore[method-assign]
    return w


@pytest.fixture
async def network(world: World) -> World:
    """Three dealers imported from CSV; GD01 and ZJ01 verified and granted."""
    report = await world.t.dealers.import_csv(SYSTEM, world.brand.id, DEALERS_CSV)
    assert (report.created, report.errors) == (3, [])
    for n, code in enumerate(("GD01", "ZJ01"), 1):
        await approve(world.engine, await world.dealer_org(code), n)
    await world.t.grants.grant(SYSTEM, world.brand.id, "GD01", "category:Beverages/Tea", "CN-GD")
    await world.t.grants.grant(SYSTEM, world.brand.id, "ZJ01", "*", "CN-ZJ")
    return world


async def single_sightings(w: World) -> None:
    """Tolerances under which one sighting is an alert: for tests of the plumbing
    (workflow, export, clones) rather than of the evidence rules."""
    await w.t.diversion.set_tolerances(
        SYSTEM, w.brand.id, suspect_score=1, strong_score=1, min_devices=1
    )


async def drain(engine: Engine) -> int:
    """Run the event stream's consumers (the diversion checks among them) until they
    have caught up: what ``veriseal serve``'s worker does after a scan commits. Tests
    that expect a diversion alert after a scan call this explicitly."""
    return await worker_for(engine).drain()
