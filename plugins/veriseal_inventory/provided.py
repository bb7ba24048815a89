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
``reserved``, ``warehouses``; ``str()`` is a bilingual one-liner).

Returned goods (:mod:`.returns`; units are ``{batch id: [(first, last), ...]}``,
inclusive index ranges):

``inventory.receive_return``: the units a dealer returned into a warehouse's quarantine
(default: the brand's default warehouse) on a new inbound receipt whose lines all
require inspection (``stock.move``); idempotent by ``client_id``; given the dealer
``from_org`` and territories' take-back ``movements``, the units leave that dealer's
stock in the same transaction (once, whether or not the ``territories.returned`` event
was consumed first); units in stock anywhere else in the brand:
``stock_duplicate_code``, nothing written::

    async def receive_return(principal, brand_id: int, reference: str,
                             units: dict[int, list[tuple[int, int]]], *, supplier: str,
                             client_id: str, warehouse: str | None = None,
                             from_org: int | None = None, movements: Sequence[int] = ()
                             ) -> ReturnReceipt   # receipt_no, warehouse (code),
                                                  # lines [(line_no, gtin, lot, qty)], to_dict()

``inventory.decide_return``: per unit of that receipt, accepted -> STOCK, rejected ->
REJECTED (``reason`` required), in one or several calls (``stock.inspect``); units not
awaiting on the receipt: ``inbound_return_units``; idempotent by ``client_id``;
publishes ``inventory.inspected``::

    async def decide_return(principal, brand_id: int, receipt_no: str,
                            accepted: dict[int, list[tuple[int, int]]],
                            rejected: dict[int, list[tuple[int, int]]], *, reason: str,
                            client_id: str) -> None

``inventory.scrap``: units rejected on that receipt leave its warehouse's REJECTED
location (an adjustment post, document = receipt_no; ``stock.move``); others:
``inbound_return_units``; idempotent by ``client_id``::

    async def scrap(principal, brand_id: int, receipt_no: str,
                    units: dict[int, list[tuple[int, int]]], *, reason: str,
                    client_id: str) -> None

Every inspection decision (these and the ordinary inbound inspection / release)
publishes ``inventory.inspected``: ``{"receipt_no", "reference", "warehouse",
"decisions": [{"line_no", "gtin", "lot", "accepted", "rejected", "reason",
"accepted_units": {"<batch>": [[first, last]]}, "rejected_units": {...}}], "actor"}``
(the units maps are empty for goods received by quantity)."""

from __future__ import annotations

from typing import Any

from veriseal.extend import PluginContext, Provided, ServiceKey
from veriseal_inventory.service import of

RESERVE: ServiceKey[Any] = ServiceKey("inventory.reserve")
RELEASE: ServiceKey[Any] = ServiceKey("inventory.release")
AVAILABILITY: ServiceKey[Any] = ServiceKey("inventory.availability")
RECEIVE_RETURN: ServiceKey[Any] = ServiceKey("inventory.receive_return")
DECIDE_RETURN: ServiceKey[Any] = ServiceKey("inventory.decide_return")
SCRAP: ServiceKey[Any] = ServiceKey("inventory.scrap")


def services(ctx: PluginContext) -> list[Provided[Any]]:
    inventory = of(ctx)
    return [
        Provided(RESERVE, inventory.reservations.reserve),
        Provided(RELEASE, inventory.reservations.release),
        Provided(AVAILABILITY, inventory.reservations.availability),
        Provided(RECEIVE_RETURN, inventory.returns.receive_return),
        Provided(DECIDE_RETURN, inventory.returns.decide_return),
        Provided(SCRAP, inventory.returns.scrap),
    ]
