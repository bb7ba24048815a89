"""Waybills and their carrier events.

Contracts:

- a waybill is one carrier's tracking number for (part of) a shipment, unique per brand
  and carrier; creating it again with the same details returns it (a retried form), with
  other details refuses ``logistics_waybill_exists``;
- events come in from any source (快递100 push, signed webhook, CSV, pollers, by hand)
  through :meth:`WaybillService.ingest`, which is idempotent by event key (the
  carrier's event id, else a hash of the event's content) and takes events in any
  order: the timeline is ordered by event time, and the waybill's status is its latest
  event's, so a late-arriving older event never moves a waybill backwards;
- after each ingest the waybill's progress (status, first pick-up, delivery and where)
  and its ETA are recomputed from the whole timeline in the same transaction, under the
  waybill's row lock (two pushes of one waybill queue); a delivered waybill's timeline
  becomes history (dwell and remaining-time samples) for later ETAs and stall rules;
- a status change publishes ``logistics.status`` and tells the receiving organisation's
  users (``logistics_update``) when goods are out for delivery, delivered or in trouble.

Scope: brand staff see the brand's waybills; a dealer's users those shipped from or to
their organisation's subtree."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from veriseal import SYSTEM_PRINCIPAL, Action, Brand, Forbidden, NotFound, Principal, Role
from veriseal.extend import PluginContext, Tx
from veriseal_logistics import shipments, store
from veriseal_logistics.dealers import DEALER
from veriseal_logistics.errors import WaybillExists, WaybillInvalid, WaybillUnknown
from veriseal_logistics.eta import estimate
from veriseal_logistics.history import MemoryHistory, samples_of
from veriseal_logistics.models import Checkpoint, EventIn, Place, Rules, Waybill
from veriseal_logistics.permissions import LOGISTICS_MANAGE, LOGISTICS_UPDATE, LOGISTICS_VIEW
from veriseal_logistics.places import resolve_place
from veriseal_logistics.route import Route
from veriseal_logistics.settings import SettingsService
from veriseal_logistics.shipments import Shipment
from veriseal_logistics.sqlhistory import HistoryCache
from veriseal_logistics.statuses import LABELS, Status

#: promised dates are days in China time: a date promises delivery by its end
CHINA = ZoneInfo("Asia/Shanghai")
_CARRIER = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_TRACKING = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{3,39}$")
_DEALERS = frozenset({Role.DISTRIBUTOR, Role.RETAILER})
#: statuses the receiver is told about
_TELL = frozenset({Status.OUT_FOR_DELIVERY, Status.DELIVERED, Status.FAILED_ATTEMPT,
                   Status.EXCEPTION, Status.RETURNED})  # fmt: skip
SOURCES = frozenset({"kuaidi100", "webhook", "csv", "poll", "manual"})


@dataclass(frozen=True, slots=True)
class NewWaybill:
    carrier: str
    tracking_no: str
    origin: str
    destination: str | None = None
    promised: dt.date | dt.datetime | None = None
    reference: str = ""
    movement_id: int | None = None
    from_org: int | None = None
    to_org: int | None = None
    waypoints: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ingested:
    waybill: Waybill
    added: int
    duplicates: int


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def promised_at(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    """A promised date's deadline: the end of that day in China time; a datetime as
    given (a naive one read as China time)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=CHINA)
        return aware.astimezone(dt.UTC)
    end = dt.datetime.combine(value, dt.time(23, 59, 59), tzinfo=CHINA)
    return end.astimezone(dt.UTC)


def carrier_code(text: str) -> str:
    code = (text or "").strip().lower()
    if not _CARRIER.match(code):
        raise WaybillInvalid(f"bad carrier code {text!r} (letters, digits, - and _)",
                             field="carrier")  # fmt: skip
    return code


def tracking_number(text: str) -> str:
    value = (text or "").strip()
    if not _TRACKING.match(value):
        raise WaybillInvalid(f"bad tracking number {text!r}", field="tracking_no")
    return value


def progress(w: Waybill, timeline: Sequence[Checkpoint]) -> Waybill:
    """The waybill's derived state from its whole timeline (ordered by event time)."""
    if not timeline:
        return w
    last = timeline[-1]
    picked = next((c.at for c in timeline if c.status != Status.INFO_RECEIVED), None)
    delivered = last if last.status == Status.DELIVERED else None
    return replace(
        w, status=last.status, last_event_at=max(c.at for c in timeline), picked_up_at=picked,
        delivered_at=None if delivered is None else delivered.at,
        delivered_place=None if delivered is None else delivered.place,
    )  # fmt: skip


class WaybillService:
    def __init__(
        self, ctx: PluginContext, settings: SettingsService, history: HistoryCache
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.history = history

    # -- scope ---------------------------------------------------------------------------
    async def require(self, principal: Principal, action: Action, w: Waybill) -> None:
        """``forbidden`` unless ``principal`` may do ``action`` on ``w``: brand staff of
        its brand; a dealer's users when it was shipped from or to their subtree."""
        self.ctx.require(principal, action, brand_id=w.brand_id)
        if principal.role not in _DEALERS:
            return
        own = principal.org
        for org_id in (w.from_org, w.to_org):
            if own is not None and org_id is not None \
                    and own.contains(await self.ctx.org(org_id)):  # fmt: skip
                return
        raise Forbidden("this waybill is not your organisation's")

    async def _scope_sql(self, principal: Principal) -> tuple[str, list[int]]:
        if principal.role not in _DEALERS or principal.org is None:
            return "", []
        ids = [o.id for o in await self.ctx.org_tree(principal, principal.org.id)] or [-1]
        marks = ", ".join("?" * len(ids))
        return f"from_org IN ({marks}) OR to_org IN ({marks})", [*ids, *ids]

    # -- waybills ------------------------------------------------------------------------
    async def create(self, principal: Principal, brand: Brand, new: NewWaybill) -> Waybill:
        """Register a waybill (see the module docstring)."""
        self.ctx.require(principal, LOGISTICS_MANAGE, brand_id=brand.id)
        carrier, number = carrier_code(new.carrier), tracking_number(new.tracking_no)
        draft = await self._draft(principal, brand, new, carrier, number)
        rules = await self.settings.rules(brand.id)
        history = await self.history.get(rules, [carrier])
        async with self.ctx.db.write() as tx:
            found = await store.waybill_by_number(tx, brand.id, carrier, number)
            if found is not None:
                if _same(found, draft):
                    return found
                raise WaybillExists(f"{carrier} {number} is already a waybill",
                                    waybill=found.id)  # fmt: skip
            route = Route.plan(draft.origin, draft.destination, draft.waypoints)
            draft = replace(draft, eta=estimate(draft, [], history, route, draft.created_at))  # fmt: skip
            waybill_id = await store.insert_waybill(tx, draft)
        return replace(draft, id=waybill_id)

    async def _draft(
        self, principal: Principal, brand: Brand, new: NewWaybill, carrier: str, number: str
    ) -> Waybill:
        """The waybill as it would be stored (places resolved, the shipment's parties
        filled in, the scope checked), before anything is written."""
        shipment = await self._shipment(brand, new)
        from_org, to_org, reference = new.from_org, new.to_org, new.reference.strip()
        if shipment is not None:
            from_org, to_org = shipment.from_org, shipment.to_org
            reference = reference or shipment.reference
        if from_org is None and principal.org is not None:
            from_org = principal.org.id
        for org_id in (from_org, to_org):
            if org_id is not None and (await self.ctx.org(org_id)).brand_id != brand.id:
                raise WaybillInvalid("the shipper or receiver is not the brand's", field="to_org")
        if principal.role in _DEALERS:  # a dealer registers what it ships itself
            own = principal.org
            if own is None or from_org is None or not own.contains(await self.ctx.org(from_org)):
                raise Forbidden("a dealer registers waybills of its own shipments")
        if len(new.waypoints) > 10 or len(reference) > 64:
            raise WaybillInvalid("at most 10 waypoints and a reference of 64 characters")
        origin = resolve_place(new.origin)
        target = new.destination or await self._home(brand, to_org)
        if not target:
            raise WaybillInvalid("a destination is needed", field="destination")
        at = now_utc()
        return Waybill(
            id=0, brand_id=brand.id, carrier=carrier, tracking_no=number, reference=reference,
            movement_id=None if shipment is None else shipment.movement_id, from_org=from_org,
            to_org=to_org, origin=origin, destination=resolve_place(target),
            waypoints=tuple(resolve_place(p) for p in new.waypoints),
            promised_at=promised_at(new.promised), status=Status.INFO_RECEIVED,
            last_event_at=None, picked_up_at=None, delivered_at=None, delivered_place=None,
            eta=None, created_at=at, created_by=_actor(principal),
        )  # fmt: skip

    async def _shipment(self, brand: Brand, new: NewWaybill) -> Shipment | None:
        """The shipment named by ``movement_id``, or the one shipment of the order named
        by ``reference`` (none when the reference names no shipment)."""
        async with self.ctx.db.read() as tx:
            if new.movement_id is not None:
                found = await shipments.by_movement(tx, brand.id, new.movement_id)
                if found is None:
                    raise WaybillInvalid(f"no shipment {new.movement_id} of the brand",
                                         field="movement_id")  # fmt: skip
                return found
            if not new.reference.strip() or new.to_org is not None:
                return None
            of_order = await shipments.by_reference(tx, brand.id, new.reference.strip())
        if len(of_order) > 1:
            ids = [m.movement_id for m in of_order]
            raise WaybillInvalid(f"{new.reference} has {len(of_order)} shipments: name one",
                                 field="movement_id", shipments=ids)  # fmt: skip
        return of_order[0] if of_order else None

    async def _home(self, brand: Brand, to_org: int | None) -> str | None:
        """The receiving dealer's first territory region, if territories knows it."""
        lookup = self.ctx.optional(DEALER)
        if to_org is None or not lookup:
            return None
        try:
            dealer = await lookup(brand.id, to_org)  # type: ignore[operator]
        except NotFound:
            return None
        return dealer.regions[0] if dealer.regions else None

    async def get(self, principal: Principal, waybill_id: int) -> Waybill:
        w = await self.load(waybill_id)
        await self.require(principal, LOGISTICS_VIEW, w)
        return w

    async def load(self, waybill_id: int) -> Waybill:
        """A waybill, no permission check (``logistics_waybill_unknown``)."""
        async with self.ctx.db.read() as tx:
            found = await store.waybill(tx, waybill_id)
        if found is None:
            raise WaybillUnknown(f"no waybill {waybill_id}", waybill=waybill_id)
        return found

    async def find(self, brand_id: int, carrier: str, tracking_no: str) -> Waybill | None:
        async with self.ctx.db.read() as tx:
            return await store.waybill_by_number(tx, brand_id, carrier.strip().lower(),
                                                 tracking_no.strip())  # fmt: skip

    async def timeline(self, principal: Principal, waybill_id: int) -> list[Checkpoint]:
        await self.get(principal, waybill_id)
        async with self.ctx.db.read() as tx:
            return await store.timeline(tx, waybill_id)

    async def listing(
        self, principal: Principal, brand: Brand, *, status: Status | None = None,
        reference: str | None = None, alerted: bool | None = None, limit: int = 50,
        after: int | None = None,
    ) -> list[Waybill]:  # fmt: skip
        """The brand's waybills in ``principal``'s scope, newest first."""
        self.ctx.require(principal, LOGISTICS_VIEW, brand_id=brand.id)
        scope, args = await self._scope_sql(principal)
        parts = [f"({scope})"] if scope else []
        if status is not None:
            parts.append("status = ?")
            args.append(status.value)  # type: ignore[arg-type]
        if reference:
            parts.append("reference = ?")
            args.append(reference)  # type: ignore[arg-type]
        if alerted is not None:
            parts.append(
                ("" if alerted else "NOT ") + "EXISTS (SELECT 1 FROM logistics_alerts a"
                " WHERE a.waybill_id = logistics_waybills.id AND a.status = 'open')"
            )
        async with self.ctx.db.read() as tx:
            return await store.waybills(tx, brand.id, where=" AND ".join(parts), args=args,
                                        limit=max(1, min(limit, 500)), after=after)  # fmt: skip

    # -- events --------------------------------------------------------------------------
    async def ingest(
        self, brand_id: int, carrier: str, tracking_no: str, events: Sequence[EventIn],
        source: str,
    ) -> Ingested:  # fmt: skip
        """Store a carrier's events of a waybill (see the module docstring);
        ``logistics_waybill_unknown`` with nothing stored for a waybill not registered."""
        found = await self.find(brand_id, carrier, tracking_no)
        if found is None:
            raise WaybillUnknown(f"no waybill {carrier} {tracking_no}", carrier=carrier,
                                 tracking_no=tracking_no)  # fmt: skip
        return await self.ingest_into(found, events, source)

    async def ingest_into(self, w: Waybill, events: Sequence[EventIn], source: str) -> Ingested:
        if source not in SOURCES:
            raise WaybillInvalid(f"unknown event source {source!r}")
        rules = await self.settings.rules(w.brand_id)
        history = await self.history.get(rules, [w.carrier])
        receivers = await self._receivers(w)
        at = now_utc()
        async with self.ctx.db.write() as tx:
            locked = await store.waybill(tx, w.id, lock=True)
            assert locked is not None
            added = await store.insert_events(tx, w.id, events, source, at)
            after = locked
            if added:
                after = await self._recompute(tx, locked, (rules, history), at)
        if added and after.status != locked.status and after.status in _TELL and receivers:
            en, zh = LABELS[after.status]
            await self.ctx.notify(
                receivers, LOGISTICS_UPDATE,
                f"物流动态 / Shipment {w.carrier} {w.tracking_no}: {zh} / {en}",
                f"{w.reference or w.tracking_no}: {zh} / {en}",
                {"waybill_id": w.id, "status": after.status.value, "reference": w.reference},
            )  # fmt: skip
        return Ingested(after, added, len(events) - added)

    async def _recompute(
        self, tx: Tx, w: Waybill, known: tuple[Rules, MemoryHistory], at: dt.datetime
    ) -> Waybill:
        rules, history = known
        timeline = await store.timeline(tx, w.id)
        after = progress(w, timeline)
        route = Route.plan(after.origin, after.destination, after.waypoints)
        if after.status == Status.DELIVERED:
            await store.insert_samples(tx, w.id, samples_of(after, timeline), at)
        after = replace(after, eta=estimate(after, timeline, history, route, at))
        await store.update_progress(tx, after)
        if after.status != w.status:
            await self.ctx.publish(
                tx, "logistics.status", w.brand_id, w.id,
                {"waybill_id": w.id, "from": w.status.value, "to": after.status.value,
                 "reference": w.reference, "movement_id": w.movement_id, "to_org": w.to_org,
                 "carrier": w.carrier},
            )  # fmt: skip
        return after

    async def _receivers(self, w: Waybill) -> list[int]:
        if w.to_org is None:
            return []
        users = await self.ctx.users(SYSTEM_PRINCIPAL, w.to_org)
        return [u.id for u in users if u.org_id == w.to_org]

    # -- polling ---------------------------------------------------------------------------
    async def due_for_poll(self, now: dt.datetime, limit: int = 100) -> list[Waybill]:
        """Undelivered waybills whose next poll is due, the longest waiting first."""
        async with self.ctx.db.read() as tx:
            return await store.due_for_poll(tx, now, limit)

    async def polled(self, waybill_id: int, next_at: dt.datetime) -> None:
        """Record a poll: the waybill is not due again before ``next_at``."""
        async with self.ctx.db.write() as tx:
            await store.set_next_poll(tx, waybill_id, next_at)


def _same(a: Waybill, b: Waybill) -> bool:
    """Whether a retried registration says the same as the stored one."""
    return (a.reference, a.movement_id, a.to_org, a.origin.name, a.destination.name,
            a.promised_at) == (b.reference, b.movement_id, b.to_org, b.origin.name,
                               b.destination.name, b.promised_at)  # fmt: skip


def _actor(principal: Principal) -> str:
    return "system" if principal.user is None else f"user:{principal.user.id}"


__all__ = ["Ingested", "NewWaybill", "Place", "WaybillService", "progress"]
