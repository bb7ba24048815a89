"""A brand with staff of every role, a second brand, a product and a batch, on each
ledger backend: the principals the brand-operations services are checked against."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from veriseal.accounts.models import SYSTEM, OrgKind, Principal, Role
from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.extend.stream import worker_for
from veriseal.models import Batch, Brand, NewScan, Region, ScanChannel

GTIN = "09506000134352"
LETTERS = {
    "P": Role.PLATFORM_ADMIN, "B": Role.BRAND_ADMIN, "F": Role.FACTORY_OPERATOR,
    "D": Role.DISTRIBUTOR, "R": Role.RETAILER, "I": Role.INSPECTOR, "C": Role.CONSUMER,
}  # fmt: skip


@dataclass
class World:
    engine: Engine
    brand: Brand
    other: Brand  # a second brand, with its own admin ("other")
    batch: Batch
    who: dict[str, Principal]  # by role letter (P B F D R I C), and "other"


async def staff(engine: Engine, brand: Brand, letter: str, tag: str = "") -> Principal:
    role = LETTERS[letter]
    root = await engine.accounts.brand_org(brand)
    org = root.id
    if role in (Role.DISTRIBUTOR, Role.RETAILER):
        org = (await engine.accounts.create_org(SYSTEM, root.id, OrgKind.DISTRIBUTOR,
                                                f"D{letter}{tag}")).id  # fmt: skip
        if role is Role.RETAILER:
            org = (await engine.accounts.create_org(SYSTEM, org, OrgKind.RETAILER, "Shop")).id
    user = await engine.accounts.create_user(
        SYSTEM,
        contact=f"{letter.lower()}{tag}@{brand.slug}.example",
        display_name=f"{letter}{tag}",
        role=role,
        org_id=None if role in (Role.PLATFORM_ADMIN, Role.CONSUMER) else org,
    )
    return await engine.accounts.principal(user)


async def build_world(engine: Engine) -> World:
    brand = await engine.brands.create("acme", "Acme", "id.acme.example")
    other = await engine.brands.create("rival", "Rival", "id.rival.example")
    await engine.catalogue.add(make_product(brand, GTIN, "Tea", shelf_life_days=365))
    batch = await engine.batches.create(brand, BatchRequest(GTIN, "L1", 40))
    who = {letter: await staff(engine, brand, letter) for letter in LETTERS}
    who["other"] = await staff(engine, other, "B", "x")
    return World(engine, brand, other, batch, who)


def open_config(ledger_url: str, tmp_path: Path, **settings: object) -> Config:
    key = tmp_path / "k.key"
    if not key.exists():
        create_key_file(key)
    return Config(None, ledger_url, KeySource(key_file=key), print_spool=tmp_path / "spool",
                  **settings)  # type: ignore[arg-type]  # fmt: skip


@pytest.fixture
async def world(ledger_url: str, tmp_path: Path) -> AsyncIterator[World]:
    engine = await Engine.open(open_config(ledger_url, tmp_path))
    try:
        yield await build_world(engine)
    finally:
        await engine.close()


def scan(
    brand: Brand | None,
    at: dt.datetime,
    outcome: str = "genuine",
    province: str | None = "CN-GD",
    channel: ScanChannel = ScanChannel.WEB,
    code: str = "C",
    batch: Batch | None = None,
) -> NewScan:
    region = None if province is None else Region(province.split("-")[0], province, "Town")
    return NewScan(
        at=at, code=code, outcome=outcome, reason="", channel=channel, actor="anonymous",
        brand_id=None if brand is None else brand.id,
        gtin=None if batch is None else batch.gtin,
        batch_id=None if batch is None else batch.id,
        index=None if batch is None else 0, region=region,
    )  # fmt: skip


async def record(engine: Engine, scans: Sequence[NewScan]) -> list[int]:
    return await engine.ledger.append_scans(scans)


async def drain(engine: Engine) -> int:
    """Run the event-stream consumers until they have caught up (the dashboard's too)."""
    return await worker_for(engine).drain()
