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

``inventory.receiving_at``: ``async (principal, brand_id, warehouse: str | None) -> str``
the code of the warehouse ``receive_return`` would use, if ``principal`` may receive
there (``warehouse_not_found`` / ``forbidden``), for a caller to ask before it starts
anything it cannot take back.

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
(the units maps are empty for goods received by quantity).

Stock movements (:mod:`.stock_facts`): every post that changes on-hand stock (any kind
but reservation-only posts) publishes ``inventory.posted`` in its own transaction,
``ref`` = the post id: ``{"post_id", "kind", "at" (ISO, effective time), "document",
"warehouses": [ids], "lines": [{"warehouse", "location_kind", "gtin", "quantity"}],
"line_count", "complete"}``; ``quantity`` is the signed on-hand change summed per
(warehouse, location kind, GTIN) (a transfer from quarantine to stock: two lines);
at most 30 lines ride along (``complete`` false beyond: read the post).

``inventory.stock_facts``: the same posts as facts (``PostFact``: ``id``, ``brand_id``,
``kind``, ``at``, ``document``, ``lines`` of ``MoveFact``), for a reader that books
from them and checks itself against them::

    class StockFacts(Protocol):
        async def posts(self, brand_id: int, after_id: int = 0,
                        limit: int = 1000) -> Sequence[PostFact]: ...   # by id
        async def by_ids(self, brand_id: int, ids: Sequence[int]) -> Sequence[PostFact]: ...
        async def warehouses(self, brand_id: int) -> dict[int, str]: ...  # id -> CODE name"""

from __future__ import annotations

from typing import Any

from veriseal.extend import PluginContext, Provided, ServiceKey
from veriseal_inventory.service import of
from veriseal_inventory.stock_facts import provided as stock_facts

RESERVE: ServiceKey[Any] = ServiceKey("inventory.reserve")
RELEASE: ServiceKey[Any] = ServiceKey("inventory.release")
AVAILABILITY: ServiceKey[Any] = ServiceKey("inventory.availability")
RECEIVE_RETURN: ServiceKey[Any] = ServiceKey("inventory.receive_return")
RECEIVING_AT: ServiceKey[Any] = ServiceKey("inventory.receiving_at")
DECIDE_RETURN: ServiceKey[Any] = ServiceKey("inventory.decide_return")
SCRAP: ServiceKey[Any] = ServiceKey("inventory.scrap")


def services(ctx: PluginContext) -> list[Provided[Any]]:
    inventory = of(ctx)
    return [
        Provided(RESERVE, inventory.reservations.reserve),
        Provided(RELEASE, inventory.reservations.release),
        Provided(AVAILABILITY, inventory.reservations.availability),
        Provided(RECEIVE_RETURN, inventory.returns.receive_return),
        Provided(RECEIVING_AT, inventory.returns.receiving_at),
        Provided(DECIDE_RETURN, inventory.returns.decide_return),
        Provided(SCRAP, inventory.returns.scrap),
        stock_facts(ctx),
    ]
