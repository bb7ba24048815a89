"""Production batches: creation (one row, whatever the size), lookup, recall, manifest."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from veriseal.catalog import manifest
from veriseal.catalog.errors import LotNotLinkable
from veriseal.catalog.keys import KeyService
from veriseal.codes import pin
from veriseal.codes.gtin import normalize_gtin
from veriseal.codes.layout import MAX_BATCH_SIZE
from veriseal.errors import BatchNotFound, InvalidInput
from veriseal.i18n import bilingual, register
from veriseal.ledger.base import Ledger
from veriseal.models import Batch, BatchStatus, Brand, KeyStatus, NewBatch, Profile

# GS1 CSET 82 minus characters that need escaping in URIs and CSV: lots stay readable
# on labels and safe in every output format.
_LOT = re.compile(r"^[A-Za-z0-9._-]{1,20}$")
# Path segments that URL parsers remove (RFC 3986 section 5.2.4; browsers also treat
# %2E as a dot), so no spelling of these lots survives in a Digital Link path.
_DOT_SEGMENTS = frozenset((".", ".."))


register(
    {
        "batch.lot_dot_segment": (
            "lot {lot!r} cannot be used: browsers and scanners remove '.' and '..' from a"
            " link's path, so its codes could not be verified; choose another lot",
            "批号 {lot!r} 不可用：浏览器和扫码工具会从链接路径中删除 '.' 和 '..'，"
            "其码将无法验证；请使用其他批号",
        ),
    }
)


@dataclass(frozen=True)
class BatchRequest:
    """Options of a new batch (an options object rather than a long argument list)."""

    gtin: str
    lot: str
    size: int
    profile: Profile = Profile.COMPACT
    pin_digits: int = 0
    production_date: dt.date | None = None  # default: today (UTC)
    factory: str = ""
    line: str = ""


def check_lot(lot: str) -> str:
    """The lot, stripped; ``InvalidInput`` unless it is 1-20 of ``A-Z a-z 0-9 . _ -``,
    ``LotNotLinkable`` for ``.`` and ``..``."""
    lot = lot.strip()
    if not _LOT.match(lot):
        raise InvalidInput(f"lot {lot!r}: use 1-20 letters, digits, '.', '_' or '-' (GS1 AI 10)")
    if lot in _DOT_SEGMENTS:
        raise LotNotLinkable(bilingual("batch.lot_dot_segment", lot=lot), lot=lot)
    return lot


class BatchService:
    def __init__(self, ledger: Ledger, keys: KeyService) -> None:
        self._ledger = ledger
        self._keys = keys

    async def create(self, brand: Brand, req: BatchRequest) -> Batch:
        """Record a batch under the brand's active key and sign its manifest.

        Writes exactly one batch row: codes are derived on demand. Raises
        ``InvalidInput`` for a bad size, lot or PIN length, ``ProductNotFound`` for an
        unknown GTIN, ``Conflict`` if the lot exists for the product.
        """
        if not 1 <= req.size <= MAX_BATCH_SIZE:
            raise InvalidInput(f"batch size must be 1..{MAX_BATCH_SIZE:,}")
        if req.pin_digits:
            pin.check_digits(req.pin_digits)
        product = await self._ledger.get_product(brand.id, normalize_gtin(req.gtin))
        lot = check_lot(req.lot)
        produced = req.production_date or dt.datetime.now(dt.UTC).date()
        expiry = (
            produced + dt.timedelta(days=product.shelf_life_days)
            if product.shelf_life_days
            else None
        )
        key = await self._keys.active(brand)
        material = self._keys.material(key)
        new = NewBatch(
            brand_id=brand.id,
            gtin=product.gtin,
            lot=lot,
            key_slot=key.slot,
            profile=req.profile,
            pin_digits=req.pin_digits,
            size=req.size,
            production_date=produced,
            expiry_date=expiry,
            factory=req.factory.strip(),
            line=req.line.strip(),
        )

        def seal(batch_id: int, seq: int) -> tuple[bytes, bytes]:
            return manifest.seal(
                material, manifest.manifest_fields(brand, key.kid, new, batch_id, seq)
            )

        return await self._ledger.create_batch(new, seal)

    async def get(self, brand: Brand, ref: str | int) -> Batch:
        """A batch by id (``12``) or by ``GTIN/LOT``; only within ``brand``."""
        text = str(ref).strip()
        if "/" in text:
            gtin, lot = text.split("/", 1)
            return await self._ledger.get_batch_by_lot(brand.id, normalize_gtin(gtin), lot)
        # ASCII digits only: int() also reads '١' (Arabic-Indic one) as 1
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            raise InvalidInput(f"batch {text[:40]!r}: give its number or GTIN/LOT")
        batch = await self._ledger.get_batch(int(text))
        if batch.brand_id != brand.id:
            raise BatchNotFound(f"brand {brand.slug} has no batch {text}")
        return batch

    async def list(self, brand: Brand) -> list[Batch]:
        return await self._ledger.list_batches(brand.id)

    async def set_status(self, batch: Batch, status: BatchStatus) -> Batch:
        return await self._ledger.set_batch_status(batch.id, status)

    async def manifest_document(self, brand: Brand, batch: Batch) -> dict[str, Any]:
        keys = {k.slot: k for k in await self._keys.list(brand)}
        return manifest.document(batch, keys[batch.key_slot].kid)

    async def key_usable(self, brand: Brand, batch: Batch) -> bool:
        keys = {k.slot: k for k in await self._keys.list(brand)}
        return keys[batch.key_slot].status is not KeyStatus.REVOKED
