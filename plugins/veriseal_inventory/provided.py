"""The services this plugin offers other plugins (hook ``provide_services``).

Keys are strings agreed between plugins; a consumer declares the same key with its own
protocol (plugins never import each other).

``inventory.reserve``: hold stock of the brand's own warehouses for a reference (an
order number) until a time; ``stock_insufficient`` (409) naming the product and what is
available when it cannot, with nothing held. Reserving a reference again replaces its
hold. The hold ends when the goods ship under that reference, when the order ends
unfulfilled (the ``commerce.order`` event), or at ``expires_at``::

    class Reserve(Protocol):
        async def __call__(self, brand_id: int, reference: str,
                           lines: Sequence[tuple[str, int]],   # (GTIN, quantity)
                           expires_at: dt.datetime) -> Any: ...

    RESERVE = ServiceKey[Reserve]("inventory.reserve")

``inventory.release``: ``async (brand_id, reference, reason) -> int`` gives a hold back
now (units released).

``inventory.availability``: ``async (brand_id, gtin, org_id | None) -> Availability``
what the brand can still promise of a product (``available``, ``sellable``,
``reserved``, ``warehouses``; ``str()`` is a bilingual one-liner)."""

from __future__ import annotations

from typing import Any

from veriseal.extend import PluginContext, Provided, ServiceKey
from veriseal_inventory.service import of

RESERVE: ServiceKey[Any] = ServiceKey("inventory.reserve")
RELEASE: ServiceKey[Any] = ServiceKey("inventory.release")
AVAILABILITY: ServiceKey[Any] = ServiceKey("inventory.availability")


def services(ctx: PluginContext) -> list[Provided[Any]]:
    inventory = of(ctx)
    return [
        Provided(RESERVE, inventory.reservations.reserve),
        Provided(RELEASE, inventory.reservations.release),
        Provided(AVAILABILITY, inventory.reservations.availability),
    ]
