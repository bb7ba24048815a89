"""The services this plugin offers other plugins (hook ``provide_services``).

``territories.authorize``: may dealer D sell (or receive) product P in region R, or at
a point, now (or at a given time)? This is the check an orders module makes before it
accepts a dealer's order. A consumer does not import this module (plugins never import
each other): it declares the same key with its own protocol::

    class Authorization(Protocol):
        allowed: bool
        reason: str      # authorized | dealer_inactive | no_grant | grant_not_in_force
        message: str     #   | outside_territory
        def to_dict(self) -> dict[str, Any]: ...

    class Authorize(Protocol):
        async def __call__(self, brand_id: int, dealer: str, gtin: str, *,
                           region: str | None = None,
                           point: tuple[float, float] | None = None,
                           at: dt.datetime | None = None) -> Authorization: ...

    AUTHORIZE = ServiceKey[Authorize]("territories.authorize")

``territories.dealer``: a dealer as territories knows it, for (brand_id, org_id): an
object with ``code``, ``kind``, ``status`` (active | suspended | terminated) and
``regions`` (``dealer_not_found`` for an organisation that is not the brand's dealer).
Territories owns dealers' status; an orders module refuses orders of inactive dealers::

    class DealerLookup(Protocol):
        async def __call__(self, brand_id: int, org_id: int) -> DealerInfo: ...

    DEALER = ServiceKey[DealerLookup]("territories.dealer")

``territories.ship``: ship scanned ``items`` (item, case or pallet codes) to the dealer
organisation ``to_org_id`` for ``reference`` (an order number), through the shipment
service, so the shipment policy and holdings apply (``not_held``,
``shipment_not_authorized``, ... refuse it with nothing written). ``client_id`` makes a
retry a replay. The answer has ``movement_ids`` and ``items``; the movement is
published as ``territories.shipped`` and its receipt as ``territories.received``
(payload: ``movements``, ``from_org``, ``to_org``, ``units`` per GTIN, ``reference``;
a receipt adds ``shipments``: the outbound movement that put the received units in
transit to the receiver, its id as a string -> units per GTIN)::

    class Ship(Protocol):
        async def __call__(self, principal: Principal, brand_id: int, to_org_id: int,
                           items: Sequence[str], *, reference: str,
                           client_id: str | None = None) -> Shipped: ...

    SHIP = ServiceKey[Ship]("territories.ship")

``territories.take_back``: the brand takes back (a return) from the dealer organisation
``from_org_id`` the units named by ``items`` (item URIs, case or pallet SSCCs, as
``territories.ship`` accepts) that this dealer holds. ``principal`` needs ``scans.record``
on the brand's root organisation (brand staff; a dealer's user is ``forbidden``). One
movement of kind ``back`` from the dealer to the brand's root org; afterwards nobody
holds the units (the brand has them exactly as units never shipped: it can ship them
again, the dealer cannot). Units the dealer does not hold: ``not_held``, nothing
written; an org that is not the brand's dealer: ``dealer_not_found``. ``client_id``
makes a retry a replay. Published as ``territories.returned`` (payload: ``movements``,
``from_org`` the dealer, ``to_org`` the root org, ``units`` per GTIN, ``reference``). A
take-back is not a sale: diversion checks and analysis never treat the brand as a
holder, and the EPCIS export shows it as bizStep ``receiving``, disposition
``returned``::

    class TakeBack(Protocol):
        async def __call__(self, principal: Principal, brand_id: int, from_org_id: int,
                           items: Sequence[str], *, reference: str,
                           client_id: str | None = None) -> Shipped: ...

    TAKE_BACK = ServiceKey[TakeBack]("territories.take_back")

``territories.movement_ranges``: exactly which units the brand's movements moved (the
ids of a ``territories.shipped`` / ``.received`` / ``.returned`` payload's ``movements``):
movement id -> batch id -> item ranges as inclusive ``(first, last)`` index pairs,
sorted, disjoint and merged where adjacent. Ids of other brands' movements and unknown
ids are left out; a movement that moved nothing maps to ``{}``. A stock keeper uses it to
move exactly the units scanned::

    class MovementRanges(Protocol):
        async def __call__(self, brand_id: int, movement_ids: Sequence[int]
                           ) -> dict[int, dict[int, list[tuple[int, int]]]]: ...

    MOVEMENT_RANGES = ServiceKey[MovementRanges]("territories.movement_ranges")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from veriseal import Principal
from veriseal.extend import PluginContext, Provided, ServiceKey
from veriseal_territories.dealers import Dealer
from veriseal_territories.grants import Decision
from veriseal_territories.service import of
from veriseal_territories.shipments import MoveOptions, MoveResult


class Authorize(Protocol):
    """The ``territories.authorize`` service (see the module docstring)."""

    async def __call__(
        self,
        brand_id: int,
        dealer: str,
        gtin: str,
        *,
        region: str | None = None,
        point: tuple[float, float] | None = None,
        at: dt.datetime | None = None,
    ) -> Decision: ...


AUTHORIZE: ServiceKey[Authorize] = ServiceKey("territories.authorize")


def authorizer(ctx: PluginContext) -> Authorize:
    """The service over this engine's grants. A refusal is an answer, not an error;
    unknown dealers, products or regions raise their coded ``*_not_found``."""

    async def authorize(
        brand_id: int,
        dealer: str,
        gtin: str,
        *,
        region: str | None = None,
        point: tuple[float, float] | None = None,
        at: dt.datetime | None = None,
    ) -> Decision:
        return await of(ctx).grants.authorize(brand_id, dealer, gtin, region, point, at)

    return authorize


class DealerLookup(Protocol):
    """The ``territories.dealer`` service (see the module docstring)."""

    async def __call__(self, brand_id: int, org_id: int) -> Dealer: ...


DEALER: ServiceKey[DealerLookup] = ServiceKey("territories.dealer")


def dealer_lookup(ctx: PluginContext) -> DealerLookup:
    """The newest version of a dealer (its status included)."""

    async def lookup(brand_id: int, org_id: int) -> Dealer:
        return await of(ctx).dealers.get(brand_id, org_id)

    return lookup


class Ship(Protocol):
    """The ``territories.ship`` service (see the module docstring)."""

    async def __call__(
        self,
        principal: Principal,
        brand_id: int,
        to_org_id: int,
        items: Sequence[str],
        *,
        reference: str,
        client_id: str | None = None,
    ) -> MoveResult: ...


SHIP: ServiceKey[Ship] = ServiceKey("territories.ship")


def shipper(ctx: PluginContext) -> Ship:
    """Shipments to a dealer by its organisation, through :meth:`Territories.ship`."""

    async def ship(
        principal: Principal,
        brand_id: int,
        to_org_id: int,
        items: Sequence[str],
        *,
        reference: str,
        client_id: str | None = None,
    ) -> MoveResult:
        t = of(ctx)
        dealer = await t.dealers.get(brand_id, to_org_id)
        brand = await ctx.brand_by_id(brand_id)
        options = MoveOptions(client_id=client_id, note=reference, reference=reference)
        return await t.ship(principal, brand, dealer.code, items, options=options)

    return ship


class TakeBack(Protocol):
    """The ``territories.take_back`` service (see the module docstring)."""

    async def __call__(
        self,
        principal: Principal,
        brand_id: int,
        from_org_id: int,
        items: Sequence[str],
        *,
        reference: str,
        client_id: str | None = None,
    ) -> MoveResult: ...


TAKE_BACK: ServiceKey[TakeBack] = ServiceKey("territories.take_back")


def taker(ctx: PluginContext) -> TakeBack:
    """Take-backs from a dealer by its organisation, through
    :meth:`ShipmentService.take_back` (the reference is kept as the movement's note)."""

    async def take_back(
        principal: Principal,
        brand_id: int,
        from_org_id: int,
        items: Sequence[str],
        *,
        reference: str,
        client_id: str | None = None,
    ) -> MoveResult:
        brand = await ctx.brand_by_id(brand_id)
        options = MoveOptions(client_id=client_id, note=reference, reference=reference)
        return await of(ctx).shipments.take_back(
            principal, brand, from_org_id, items, options=options
        )

    return take_back


class MovementRanges(Protocol):
    """The ``territories.movement_ranges`` service (see the module docstring)."""

    async def __call__(
        self, brand_id: int, movement_ids: Sequence[int]
    ) -> dict[int, dict[int, list[tuple[int, int]]]]: ...


MOVEMENT_RANGES: ServiceKey[MovementRanges] = ServiceKey("territories.movement_ranges")


def movement_ranges(ctx: PluginContext) -> MovementRanges:
    """The ranges of movements, as plain tuples (no territories type crosses over)."""

    async def lookup(
        brand_id: int, movement_ids: Sequence[int]
    ) -> dict[int, dict[int, list[tuple[int, int]]]]:
        found = await of(ctx).shipments.ranges_of(brand_id, movement_ids)
        return {
            m: {b: [(r.first, r.last) for r in spans] for b, spans in by_batch.items()}
            for m, by_batch in found.items()
        }

    return lookup


def services(ctx: PluginContext) -> list[Provided[Any]]:
    return [
        Provided(AUTHORIZE, authorizer(ctx)),
        Provided(DEALER, dealer_lookup(ctx)),
        Provided(SHIP, shipper(ctx)),
        Provided(TAKE_BACK, taker(ctx)),
        Provided(MOVEMENT_RANGES, movement_ranges(ctx)),
    ]
