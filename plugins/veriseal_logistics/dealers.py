"""The territories service the plugin uses (declared here: plugins never import each
other): ``territories.dealer``, a dealer's newest data, whose ``regions`` are where it
may sell (``dealer_not_found``, a NotFound, for an organisation that is not a dealer)."""

from __future__ import annotations

from typing import Protocol

from veriseal.extend import ServiceKey


class DealerInfo(Protocol):
    @property
    def regions(self) -> tuple[str, ...]: ...


class DealerLookup(Protocol):
    async def __call__(self, brand_id: int, org_id: int) -> DealerInfo: ...


DEALER: ServiceKey[DealerLookup] = ServiceKey("territories.dealer")
