"""Demo data: a brand, a product and three small batches a newcomer can scan at once.

Idempotent: seeding an already seeded ledger only reads what is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import segno

from veriseal.batches import BatchRequest
from veriseal.catalogue import make_product
from veriseal.engine import Engine
from veriseal.errors import NotFound
from veriseal.minting import Minter
from veriseal.models import Batch, Brand, Profile

DEMO_BRAND = "demo"
DEMO_GTIN = "09506000134352"  # the GTIN GS1 uses in its own Digital Link examples
DEMO_BATCHES = (
    ("DEMO-C1", Profile.COMPACT, 0),
    ("DEMO-PIN", Profile.COMPACT, 6),
    ("DEMO-S1", Profile.SIGNED, 0),
)


@dataclass(frozen=True)
class DemoCode:
    lot: str
    profile: str
    uri: str
    pin: str | None


async def _batch(
    engine: Engine, brand: Brand, lot: str, profile: Profile, pin_digits: int
) -> Batch:
    try:
        return await engine.batches.get(brand, f"{DEMO_GTIN}/{lot}")
    except NotFound:
        req = BatchRequest(
            gtin=DEMO_GTIN,
            lot=lot,
            size=1000,
            profile=profile,
            pin_digits=pin_digits,
            factory="Demo factory",
            line="L1",
        )
        return await engine.batches.create(brand, req)


async def seed(engine: Engine, resolver: str) -> list[DemoCode]:
    """Create (or find) the demo brand and return one scannable code per demo batch."""
    try:
        brand = await engine.brands.get(DEMO_BRAND)
    except NotFound:
        brand = await engine.brands.create(DEMO_BRAND, "Veriseal Demo Tea 演示茶业", resolver)
    try:
        await engine.catalogue.get(brand, DEMO_GTIN)
    except NotFound:
        await engine.catalogue.add(
            make_product(
                brand,
                DEMO_GTIN,
                "Longjing Green Tea 龙井绿茶",
                spec="250 g",
                manufacturer="Demo Tea Co.",
                shelf_life_days=540,
                category="Beverages/Tea/Green",
            )
        )
    out = []
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    for lot, profile, pin_digits in DEMO_BATCHES:
        batch = await _batch(engine, brand, lot, profile, pin_digits)
        material = engine.keys.material(keys[batch.key_slot])
        with Minter(brand, batch, material) as minter:
            chunk = minter.chunk(0, 1)
        pin = chunk.pins.tobytes().decode() if chunk.pins is not None else None
        out.append(DemoCode(lot, str(profile), chunk.uris.tobytes().decode(), pin))
    return out


def write_label(uri: str, path: Path) -> Path:
    """A PNG QR label of ``uri`` (segno; scale 8, quiet zone 4)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    segno.make_qr(uri, error="m").save(str(path), scale=8, border=4)
    return path
