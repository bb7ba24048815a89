"""The console's batches: list and read (line operators and brand admins), create
(``batches.write``), activate a range or a whole batch (``line.operate``).

Reading a batch needs ``line.operate`` or ``batches.write``: the factory operator sees
the batches it prints and activates, the brand admin those it creates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from veriseal.accounts.models import Principal
from veriseal.accounts.permissions import Action
from veriseal.brandops.scope import actor, brand_for, check_brand
from veriseal.catalog.batches import BatchRequest, BatchService
from veriseal.catalog.products import Catalogue
from veriseal.errors import BatchNotFound
from veriseal.ledger.base import Ledger
from veriseal.lifecycle.activation import ActivationService, StateChange
from veriseal.lifecycle.events import Where
from veriseal.lifecycle.index_ranges import IndexRange, make
from veriseal.models import Batch, Brand, Product

#: Who may read a brand's batches.
READERS = (Action.LINE_OPERATE, Action.BATCHES_WRITE)


def batch_record(b: Batch) -> dict[str, Any]:
    """A batch as the JSON API shows it (the manifest is ``veriseal batch manifest``'s)."""
    return {
        "id": b.id,
        "gtin": b.gtin,
        "lot": b.lot,
        "size": b.size,
        "profile": str(b.profile),
        "pin_digits": b.pin_digits,
        "key_slot": b.key_slot,
        "production_date": b.production_date.isoformat(),
        "expiry_date": b.expiry_date.isoformat() if b.expiry_date else None,
        "factory": b.factory,
        "line": b.line,
        "status": str(b.status),
        "created_at": b.created_at.isoformat(),
    }


class BatchDesk:
    """Principal-checked batch operations (the CLI keeps calling the services below)."""

    def __init__(
        self,
        ledger: Ledger,
        batches: BatchService,
        catalogue: Catalogue,
        activation: ActivationService,
    ) -> None:
        self._ledger = ledger
        self._batches = batches
        self._catalogue = catalogue
        self._activation = activation

    async def brand(self, principal: Principal, slug: str | None = None) -> Brand:
        """The brand the principal works on (``slug``: the platform admin's choice)."""
        return await brand_for(self._ledger, principal, READERS, slug)

    async def all(
        self,
        principal: Principal,
        brand: Brand,
        *,
        before_id: int | None = None,
        limit: int | None = None,
    ) -> list[Batch]:
        """The brand's batches, newest first (ids below ``before_id``, at most
        ``limit``). A brand makes batches by the hundred, not the million: the list is
        read whole and cut here."""
        check_brand(principal, READERS, brand)
        found = [
            b
            for b in reversed(await self._batches.list(brand))
            if before_id is None or b.id < before_id
        ]
        return found if limit is None else found[:limit]

    async def get(self, principal: Principal, brand: Brand, batch_id: int) -> Batch:
        """One batch of the brand; ``BatchNotFound`` for another brand's (its existence
        is nobody else's business)."""
        check_brand(principal, READERS, brand)
        batch = await self._ledger.get_batch(batch_id)
        if batch.brand_id != brand.id:
            raise BatchNotFound(f"brand {brand.slug} has no batch {batch_id}")
        return batch

    async def products(self, principal: Principal, brand: Brand) -> list[Product]:
        """The products a new batch may be made of."""
        check_brand(principal, (Action.BATCHES_WRITE,), brand)
        return await self._catalogue.list(brand)

    async def create(self, principal: Principal, brand: Brand, req: BatchRequest) -> Batch:
        """Record a batch (see :meth:`BatchService.create` for what is refused)."""
        check_brand(principal, (Action.BATCHES_WRITE,), brand)
        return await self._batches.create(brand, req)

    async def activate(
        self,
        principal: Principal,
        brand: Brand,
        batch_id: int,
        ranges: Sequence[IndexRange] | None = None,
        read_point: str | None = None,
    ) -> StateChange:
        """Activate ``ranges`` of the batch, or all of it (``None``); idempotent, and
        decommissioned codes stay so (see :meth:`ActivationService.activate`). The event
        names the principal as its actor."""
        check_brand(principal, (Action.LINE_OPERATE,), brand)
        batch = await self.get(principal, brand, batch_id)
        wanted = list(ranges) if ranges is not None else [make(0, batch.size - 1)]
        where = Where.parse(read_point or None, None, actor(principal))
        return await self._activation.activate(batch, wanted, where)

    async def counts(self, principal: Principal, brand: Brand, batch_id: int) -> dict[str, int]:
        """How many of the batch's codes are active, decommissioned and neither."""
        batch = await self.get(principal, brand, batch_id)
        return await self._activation.counts(batch)
