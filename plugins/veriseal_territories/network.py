"""A dealer's own view of the channel: the goods it holds, the shipments that left or
reached it, its territories and the diversion alerts that concern it.

Every method takes the principal and checks it before it reads anything:

- the *scope* is one organisation (the principal's own dealer org by default, or one
  it names) and, with ``subtree``, everything below it. A dealer may name only an
  organisation of its own subtree (``orgs.view``'s scope rule: never a sibling's, never
  its parent's: ``forbidden``); an organisation that does not exist is ``not_found``.
  A brand admin's default scope is the whole brand;
- a dealer reads the diversion alerts of its scope (the holder of the goods, or the
  shipper of a flagged shipment) without ``alerts.read``, and reads them redacted: the
  places and times goods were seen, never who scanned them or their exact position
  (consumers' devices and fixes are the brand's to see). The workflow's notes and
  penalties are the dealer's to know: they are decisions about it.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from veriseal import (
    Action,
    Brand,
    Forbidden,
    InvalidInput,
    NotFound,
    Org,
    Principal,
    Role,
    require_permission,
)
from veriseal.extend import PluginContext
from veriseal_territories import network_store as store
from veriseal_territories.dealers import Dealer, DealerNotFound, DealerService
from veriseal_territories.diversion import STATES, AlertNotFound
from veriseal_territories.grants import Grant, GrantService

#: logistic units looked into per holdings page (each is one read of its contents)
MAX_CASE_LOOKUPS = 500
MAX_PAGE = 500
DEALER_ROLES = (Role.DISTRIBUTOR, Role.RETAILER)


@dataclass(frozen=True)
class Scope:
    """What a view reads: ``org`` and, unless ``orgs`` is None (the whole brand), the
    organisations ``orgs``."""

    brand: Brand
    org: Org
    orgs: tuple[int, ...] | None
    root_id: int  # the brand's root org: its warehouse

    def holds(self, org_id: int | None) -> bool:
        return org_id is not None and (self.orgs is None or org_id in self.orgs)


@dataclass(frozen=True)
class Party:
    """A counterpart as a page names it: a dealer, or the brand's warehouse."""

    org_id: int | None
    code: str
    name: str
    warehouse: bool = False


@dataclass(frozen=True)
class HeldLot:
    """Units of one batch (a product's lot) one organisation holds in one state."""

    batch_id: int
    gtin: str
    product: str
    lot: str
    holder: Party
    state: str  # received | in_transit
    units: int
    #: logistic units (cases, pallets) named when the goods arrived and held whole
    cases: int


@dataclass
class Holdings:
    lots: list[HeldLot]
    next_cursor: int | None
    #: True when not every logistic unit was looked into (:data:`MAX_CASE_LOOKUPS`)
    cases_capped: bool = False

    @property
    def units(self) -> int:
        return sum(lot.units for lot in self.lots)


@dataclass(frozen=True)
class MovementView:
    """A movement seen from a scope: ``direction`` ``out`` (goods left the scope),
    ``in`` (goods reached it) or ``within`` (both ends in it)."""

    id: int
    kind: str  # out: a shipment; in: a scan-in; back: taken back by the brand (a return)
    direction: str
    at: dt.datetime
    items: int
    sender: Party | None  # None: a receipt of goods shipped to the receiver
    receiver: Party
    #: out: in_transit | partly_received | received; in: received | taken (another
    #: dealer scanned in goods the scope held); back: returned
    status: str
    pending: int  # units of a shipment not scanned in yet
    cases: tuple[str, ...]
    note: str


@dataclass
class Movements:
    movements: list[MovementView]
    next_cursor: int | None


@dataclass(frozen=True)
class Territory:
    """One dealer's territory: its own grants, or (``owner`` set) the grants of the
    nearest ancestor dealer it inherits when it has none of its own."""

    depth: int
    dealer: Dealer
    grants: tuple[Grant, ...]
    owner: Party | None = None


@dataclass(frozen=True)
class Sighting:
    """Where and when goods were seen, as a dealer may read it."""

    at: str
    country: str | None
    province: str | None
    city: str | None
    km_outside: float | None = None
    #: the receiver's registered home regions, when no position was taken
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One step of an alert's workflow, as a dealer reads it."""

    state: str
    at: dt.datetime
    by: str  # "brand" | "system"
    note: str
    penalty: dict[str, Any] | None
    action: str | None


@dataclass(frozen=True)
class DealerAlert:
    """A diversion alert redacted for the dealer it concerns (see the module doc)."""

    id: int
    at: dt.datetime
    source: str  # scan | receipt | shipment
    level: str
    state: str
    items: int
    code: str
    gtin: str | None
    dealer: Party
    seen: tuple[Sighting, ...]
    receiver: Party | None  # receipt: who took the goods; shipment: the consignee
    territory: tuple[str, ...]
    history: tuple[Step, ...] = ()
    penalties: tuple[dict[str, Any], ...] = field(default=())


@dataclass
class DealerAlerts:
    alerts: list[DealerAlert]
    next_cursor: int | None


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


class NetworkView:
    """The dealer's views (bundled in :class:`.service.Territories` as ``network``)."""

    def __init__(self, ctx: PluginContext, dealers: DealerService, grants: GrantService) -> None:
        self.ctx = ctx
        self.dealers = dealers
        self.grants = grants

    # -- scope -----------------------------------------------------------------------
    async def scope(
        self, principal: Principal, brand_id: int, org_id: int | None = None, subtree: bool = True
    ) -> Scope:
        """The scope a view of ``principal`` reads (see the module docstring)."""
        require_permission(principal, Action.ORGS_VIEW, brand_id=brand_id)
        brand = await self.ctx.brand_by_id(brand_id)
        root = await self.ctx.brand_org(brand)
        if org_id is not None:
            org = await self.ctx.org(org_id)  # not_found
        elif principal.role in DEALER_ROLES:
            if principal.org is None:
                raise Forbidden("a dealer user without an organisation sees no dealer data")
            org = principal.org
        else:
            org = root
        if org.brand_id != brand_id:
            raise Forbidden("the organisation belongs to another brand")
        require_permission(principal, Action.ORGS_VIEW, org=org)
        if not subtree:
            return Scope(brand, org, (org.id,), root.id)
        if org.id == root.id:
            return Scope(brand, org, None, root.id)
        orgs = await self.ctx.org_tree(principal, org.id)
        return Scope(brand, org, tuple(o.id for o in orgs), root.id)

    async def _party(self, brand_id: int, root_id: int, org_id: int | None) -> Party | None:
        if org_id is None:
            return None
        if org_id == root_id:
            return Party(org_id, "", "", warehouse=True)
        try:
            d = await self.dealers.get(brand_id, org_id)
        except DealerNotFound:
            org = await self.ctx.org(org_id)
            return Party(org_id, "", org.name)
        return Party(org_id, d.code, d.name)

    # -- goods held -----------------------------------------------------------------
    async def holdings(
        self,
        principal: Principal,
        brand_id: int,
        *,
        org_id: int | None = None,
        subtree: bool = True,
        after_batch: int | None = None,
        limit: int = 50,
    ) -> Holdings:
        """What the scope holds now, by batch (product and lot), holder and state, a
        page of ``limit`` batches above ``after_batch`` (keyset paging on batch ids).
        ``cases`` counts the logistic units named when the goods arrived whose every
        unit the holder still has."""
        scope = await self.scope(principal, brand_id, org_id, subtree)
        limit = _limit(limit)
        async with self.ctx.db.read() as tx:
            batches = await store.held_batches(tx, brand_id, scope.orgs, after_batch, limit)
            held = await store.held_ranges(tx, brand_id, scope.orgs, batches)
            named = await store.named_units(tx, [h.movement_id for h in held])
        cases, capped = await self._whole_cases(scope.brand, held, named)
        groups: dict[tuple[int, int, str], int] = {}
        for h in held:
            key = (h.batch_id, h.org_id, h.state)
            groups[key] = groups.get(key, 0) + h.units
        lots: list[HeldLot] = []
        parties: dict[int, Party] = {}
        for (batch_id, org, state), units in groups.items():
            batch = await self.ctx.batch(batch_id)
            product = await self.ctx.product(scope.brand, batch.gtin)
            if org not in parties:
                party = await self._party(brand_id, scope.root_id, org)
                assert party is not None
                parties[org] = party
            lots.append(
                HeldLot(batch_id, batch.gtin, product.name, batch.lot, parties[org], state,
                        units, cases.get((batch_id, org, state), 0))
            )  # fmt: skip
        lots.sort(key=lambda x: (x.batch_id, x.holder.code, x.state))
        return Holdings(lots, batches[-1] if len(batches) == limit else None, capped)

    async def _whole_cases(
        self, brand: Brand, held: Sequence[store.HeldRange], named: dict[int, list[str]]
    ) -> tuple[dict[tuple[int, int, str], int], bool]:
        """Per (batch, holder, state): the logistic units named by the movements that
        delivered ``held`` whose every unit the holder still holds; and whether the
        lookups were capped."""
        spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for h in held:
            spans.setdefault((h.org_id, h.batch_id), []).append((h.first, h.last))
        for found in spans.values():
            found.sort()
        counted: dict[tuple[int, int, str], int] = {}
        looked = 0
        seen: set[tuple[str, int]] = set()
        for h in held:
            for sscc in named.get(h.movement_id, ()):
                if (sscc, h.org_id) in seen:
                    continue
                seen.add((sscc, h.org_id))
                if looked >= MAX_CASE_LOOKUPS:
                    return counted, True
                looked += 1
                with contextlib.suppress(NotFound):
                    inner = await self.ctx.contents(brand, sscc, deep=True)
                    if inner.ranges and all(
                        _covered(spans.get((h.org_id, r.batch_id), []), r.first, r.last)
                        for r in inner.ranges
                    ):
                        key = (inner.ranges[0].batch_id, h.org_id, h.state)
                        counted[key] = counted.get(key, 0) + 1
        return counted, False

    # -- movements --------------------------------------------------------------------
    async def movements(
        self,
        principal: Principal,
        brand_id: int,
        *,
        org_id: int | None = None,
        subtree: bool = False,
        direction: str | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> Movements:
        """Shipments and receipts that left (``direction`` ``out``) or reached (``in``)
        the scope, or both (None), newest first; keyset paging on ids below
        ``before_id``. The default scope is the principal's own organisation."""
        if direction not in (None, "in", "out"):
            raise InvalidInput("direction: in or out")
        scope = await self.scope(principal, brand_id, org_id, subtree)
        limit = _limit(limit)
        sides = {"out": ("from_org",), "in": ("to_org",), None: ("from_org", "to_org")}
        async with self.ctx.db.read() as tx:
            rows = await store.movements(
                tx, brand_id, scope.orgs, sides=sides[direction], before_id=before_id,
                limit=limit,
            )  # fmt: skip
            shipped = [(m.id, m.to_org) for m in rows if m.kind == "out"]
            pending = await store.still_held(tx, shipped)
            named = await store.named_units(tx, [m.id for m in rows])
        out: list[MovementView] = []
        for m in rows:
            sender = await self._party(brand_id, scope.root_id, m.from_org)
            receiver = await self._party(brand_id, scope.root_id, m.to_org)
            assert receiver is not None
            leaves, reaches = scope.holds(m.from_org), scope.holds(m.to_org)
            way = "within" if leaves and reaches else ("out" if leaves else "in")
            if m.kind == "out":
                left = pending.get(m.id, 0)
                status = (
                    "in_transit" if left >= m.items else "received" if left == 0
                    else "partly_received"
                )  # fmt: skip
            elif m.kind == "back":  # the dealer's goods went back to the brand
                left, status = 0, "returned"
            else:
                left = 0
                status = "taken" if leaves and not reaches else "received"
            out.append(
                MovementView(m.id, m.kind, way, m.at, m.items, sender, receiver, status, left,
                             tuple(named.get(m.id, ())), m.note)
            )  # fmt: skip
        return Movements(out, rows[-1].id if len(rows) == limit else None)

    # -- territories -------------------------------------------------------------------
    async def territories(
        self,
        principal: Principal,
        brand_id: int,
        *,
        org_id: int | None = None,
        include_inactive: bool = False,
    ) -> list[Territory]:
        """The territory of every dealer in the scope (the principal's subtree by
        default), in tree order: its own grants, or those it inherits (``owner``)."""
        scope = await self.scope(principal, brand_id, org_id, True)
        orgs = await self.ctx.org_tree(principal, scope.org.id)
        base = orgs[0].path.count("/") if orgs else 0
        out: list[Territory] = []
        for org in orgs:
            try:
                dealer = await self.dealers.get(brand_id, org.id)
            except DealerNotFound:
                continue  # the brand's root, or an org the plugin holds no data of
            owner_id, grants = await self.grants.effective(brand_id, org.id)
            shown = tuple(g for g in grants if include_inactive or g.state != "revoked")
            owner = None
            if owner_id != org.id:
                owner = await self._party(brand_id, scope.root_id, owner_id)
            out.append(Territory(org.path.count("/") - base, dealer, shown, owner))
        return out

    async def counterparts(
        self, principal: Principal, brand_id: int, org_id: int | None = None
    ) -> list[Dealer]:
        """The dealers a shipper in the scope typically ships to: the dealers of its
        subtree below it and, for a dealer, those above it on its own line (returns);
        for the brand's warehouse, every active dealer. Others can still be named by
        code (the shipment check judges the shipment)."""
        scope = await self.scope(principal, brand_id, org_id, True)
        found: list[Dealer] = []
        if scope.org.id == scope.root_id:
            found = list((await self.dealers.all(brand_id)).values())
        else:
            above = [int(p) for p in scope.org.path.strip("/").split("/") if p]
            for org_id_above in above:
                if org_id_above in (scope.root_id, scope.org.id):
                    continue
                with contextlib.suppress(DealerNotFound):
                    found.append(await self.dealers.get(brand_id, org_id_above))
            for org in scope.orgs or ():
                if org != scope.org.id:
                    with contextlib.suppress(DealerNotFound):
                        found.append(await self.dealers.get(brand_id, org))
        return [d for d in found if d.status != "terminated"]

    # -- diversion alerts --------------------------------------------------------------
    async def alerts(
        self,
        principal: Principal,
        brand_id: int,
        *,
        org_id: int | None = None,
        state: str | None = None,
        level: str | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> DealerAlerts:
        """The diversion alerts concerning the scope (the principal's subtree by
        default), newest first, redacted (see the module docstring)."""
        if state is not None and state not in STATES:
            raise InvalidInput(f"state: one of {', '.join(STATES)}")
        if level not in (None, "suspected", "strong"):
            raise InvalidInput("level: suspected or strong")
        scope = await self.scope(principal, brand_id, org_id, True)
        limit = _limit(limit)
        async with self.ctx.db.read() as tx:
            rows = await store.alerts(tx, brand_id, scope.orgs, state=state, level=level,
                                      before_id=before_id, limit=limit)  # fmt: skip
            fines = await store.alert_penalties(tx, [r.id for r in rows])
        out = [await self._redacted(scope, r, [], fines.get(r.id, [])) for r in rows]
        return DealerAlerts(out, rows[-1].id if len(rows) == limit else None)

    async def alert(self, principal: Principal, brand_id: int, alert_id: int) -> DealerAlert:
        """One alert concerning the principal's scope, with its workflow;
        ``alert_not_found`` for no such alert of the brand, ``forbidden`` for an alert
        of another dealer."""
        require_permission(principal, Action.ORGS_VIEW, brand_id=brand_id)
        async with self.ctx.db.read() as tx:
            row = await store.alert(tx, brand_id, alert_id)
            events = await store.alert_events(tx, alert_id) if row is not None else []
        if row is None:
            raise AlertNotFound(f"no diversion alert {alert_id} in this brand")
        scope = await self.scope(principal, brand_id, row.org_id, False)
        fines = [e.penalty for e in events if e.penalty]
        return await self._redacted(scope, row, events, fines)

    async def _redacted(
        self,
        scope: Scope,
        r: store.AlertRow,
        events: Sequence[store.AlertEvent],
        penalties: Sequence[dict[str, Any]],
    ) -> DealerAlert:
        """The alert as a dealer reads it: ``events`` its workflow (none in lists),
        ``penalties`` those recorded on it."""
        ev = r.evidence
        dealer = await self._party(scope.brand.id, scope.root_id, r.org_id)
        assert dealer is not None
        other = ev.get("received_by") or ev.get("receiver")
        receiver = (
            Party(other.get("org_id"), str(other.get("code", "")), str(other.get("name", "")))
            if isinstance(other, dict)
            else None
        )
        units = ev.get("units")
        seen_list = [u.get("seen", {}) for u in units] if isinstance(units, list) else []
        if not seen_list and isinstance(ev.get("seen"), dict):
            seen_list = [ev["seen"]]
        seen = tuple(
            Sighting(str(s.get("at", "")), s.get("country"), s.get("province"), s.get("city"),
                     s.get("km_outside"), tuple(s.get("home_regions") or ()))
            for s in seen_list
        )  # fmt: skip
        territory = ev.get("territory", {}).get("regions", [])
        history = tuple(
            Step(e.state, e.at, "system" if e.actor == "system" else "brand", e.note,
                 e.penalty, e.action)
            for e in events
        )  # fmt: skip
        return DealerAlert(
            r.id, r.at, r.source, r.level, r.state, r.items, r.code, r.gtin, dealer, seen,
            receiver, tuple(str(x) for x in territory), history, tuple(penalties),
        )  # fmt: skip


def _covered(spans: list[tuple[int, int]], first: int, last: int) -> bool:
    """Whether the sorted, disjoint ``spans`` cover ``first..last`` (adjacent spans of
    one holder may be stored apart: they came through different movements)."""
    i = bisect.bisect_right([s for s, _ in spans], first) - 1
    at = first
    while 0 <= i < len(spans) and at <= last:
        if not spans[i][0] <= at <= spans[i][1]:
            return False
        at = spans[i][1] + 1
        i += 1
    return at > last
