"""Anomaly alerts: the rules run over the waybills in flight (and those delivered in the
last :data:`JUDGED_AFTER_DELIVERY`), each finding an alert with its evidence.

Contracts:

- at most one open alert per (waybill, kind); a finding already open changes nothing;
- an open alert whose rule no longer finds it (events resumed after a stall) is closed
  by the rules (``closed_by`` ``rules``) and may open again later; one a person closed
  never reopens for that waybill;
- an opened alert is published (``logistics.alert``) in the transaction that writes it,
  and a wrong destination also as ``logistics.misdelivered`` (the territories plugin
  takes it as diversion evidence); the brand's admins are told (``logistics_alert``)
  after the commit;
- a waybill silent for ``expire_days`` becomes ``expired``;
- the rules are pure (:func:`veriseal_logistics.rules.evaluate`): ``now`` is passed in,
  so a simulation can drive the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from veriseal import SYSTEM_PRINCIPAL, Brand, Principal, Role
from veriseal.extend import PluginContext
from veriseal_logistics import store
from veriseal_logistics.dealers import DEALER
from veriseal_logistics.errors import AlertClosed, AlertUnknown
from veriseal_logistics.models import Alert, AlertKind, Finding, Rules, Waybill
from veriseal_logistics.permissions import LOGISTICS_ALERT, LOGISTICS_MANAGE, LOGISTICS_VIEW
from veriseal_logistics.route import Route
from veriseal_logistics.rules import evaluate
from veriseal_logistics.settings import SettingsService
from veriseal_logistics.sqlhistory import HistoryCache
from veriseal_logistics.statuses import FINAL, Status
from veriseal_logistics.waybills import WaybillService, now_utc

JUDGED_AFTER_DELIVERY = dt.timedelta(days=7)
PAGE = 200
_TITLES = {
    AlertKind.STALLED: ("Shipment stalled", "物流停滞"),
    AlertKind.LATE: ("Shipment late", "物流延误"),
    AlertKind.OFF_ROUTE: ("Shipment off its route", "物流偏离路线"),
    AlertKind.WRONG_DESTINATION: ("Delivered to the wrong place", "签收地异常"),
}


@dataclass
class Checked:
    opened: list[Alert] = field(default_factory=list)
    closed: list[Alert] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)


class AlertService:
    def __init__(
        self, ctx: PluginContext, waybills: WaybillService, settings: SettingsService,
        history: HistoryCache,
    ) -> None:  # fmt: skip
        self.ctx = ctx
        self.waybills = waybills
        self.settings = settings
        self.history = history

    async def check(self, brand_id: int | None = None, now: dt.datetime | None = None) -> Checked:
        """Run the rules (see the module docstring) over every brand's waybills, or one's."""
        at = now or now_utc()
        done = Checked()
        after = 0
        while True:
            async with self.ctx.db.read() as tx:
                page = await store.open_waybills(tx, brand_id, at - JUDGED_AFTER_DELIVERY,
                                                 after, PAGE)  # fmt: skip
            if not page:
                return done
            for brand in sorted({w.brand_id for w in page}):
                await self._check_page([w for w in page if w.brand_id == brand], at, done)
            after = page[-1].id

    async def _check_page(self, page: Sequence[Waybill], at: dt.datetime, done: Checked) -> None:
        brand_id = page[0].brand_id
        rules = await self.settings.rules(brand_id)
        history = await self.history.get(rules, {w.carrier for w in page})
        regions = {w.id: await self._regions(w) for w in page}
        ids = [w.id for w in page]
        async with self.ctx.db.read() as tx:
            timelines = await store.timelines(tx, ids)
        found: dict[int, list[Finding]] = {}
        for w in page:
            route = Route.plan(w.origin, w.destination, w.waypoints)
            found[w.id] = evaluate(w, timelines[w.id], history, route, rules, at, regions[w.id])
        opened: list[tuple[Alert, Waybill]] = []
        async with self.ctx.db.write() as tx:
            current = await store.open_alerts_of(tx, ids)
            settled = await store.closed_by_people(tx, ids)
            events: list[tuple[str, int, dict[str, Any]]] = []
            for w in page:
                kinds = {f.kind for f in found[w.id]}
                for kind, a in current[w.id].items():
                    if kind not in kinds and await store.close_alert(tx, a.id, at, "rules"):
                        done.closed.append(a)
                for f in found[w.id]:
                    if f.kind in current[w.id] or (w.id, f.kind) in settled:
                        continue
                    alert_id = await store.insert_alert(tx, w.brand_id, w.id, f.kind,
                                                        f.evidence, at)  # fmt: skip
                    a = Alert(alert_id, w.brand_id, w.id, f.kind, "open", at, None, f.evidence)
                    opened.append((a, w))
                    events += _events(a, w, regions[w.id])
                if _expired(w, rules, at):
                    await store.set_status(tx, w.id, Status.EXPIRED)
                    done.expired.append(w.id)
            for kind, ref, payload in events:
                await self.ctx.publish(tx, kind, brand_id, ref, payload)
        done.opened += [a for a, _ in opened]
        if opened:
            await self._tell(brand_id, opened)

    async def _regions(self, w: Waybill) -> list[str] | None:
        """Where the receiver may be delivered to: its territory (territories), else
        None (the rules use the destination's own area)."""
        if w.to_org is None:
            return None
        lookup = self.ctx.optional(DEALER)
        if not lookup:
            return None
        try:
            dealer = await lookup(w.brand_id, w.to_org)  # type: ignore[operator]
        except Exception:
            return None
        return list(dealer.regions) or None

    async def _tell(self, brand_id: int, opened: Sequence[tuple[Alert, Waybill]]) -> None:
        brand = await self.ctx.brand_by_id(brand_id)
        root = await self.ctx.brand_org(brand)
        staff = await self.ctx.users(SYSTEM_PRINCIPAL, root.id)
        to = [u.id for u in staff if u.org_id == root.id and u.role == Role.BRAND_ADMIN]
        if not to:
            return
        for a, w in opened:
            en, zh = _TITLES.get(a.kind, (a.kind, a.kind))
            await self.ctx.notify(
                to, LOGISTICS_ALERT, f"{zh} / {en}: {w.carrier} {w.tracking_no}",
                f"{w.reference or w.tracking_no}: {summary(a)}",
                {"alert_id": a.id, "waybill_id": w.id, "kind": a.kind},
            )  # fmt: skip

    # -- people ----------------------------------------------------------------------------
    async def listing(
        self, principal: Principal, brand: Brand, *, status: str | None = "open",
        kind: str | None = None, waybill_id: int | None = None, limit: int = 50,
        after: int | None = None,
    ) -> list[Alert]:  # fmt: skip
        """The brand's alerts (brand staff), or those of a waybill in ``principal``'s
        scope (dealers: theirs only)."""
        self.ctx.require(principal, LOGISTICS_VIEW, brand_id=brand.id)
        if waybill_id is not None:
            await self.waybills.get(principal, waybill_id)
        elif principal.role in (Role.DISTRIBUTOR, Role.RETAILER):
            mine = await self.waybills.listing(principal, brand, alerted=True, limit=500)
            found: list[Alert] = []
            for w in mine:
                found += await self.listing(principal, brand, status=status, kind=kind,
                                            waybill_id=w.id, limit=limit)  # fmt: skip
            return sorted(found, key=lambda a: -a.id)[:limit]
        async with self.ctx.db.read() as tx:
            return await store.alerts(tx, brand.id, status=status, kind=kind,
                                      waybill_id=waybill_id, limit=max(1, min(limit, 500)),
                                      after=after)  # fmt: skip

    async def close(self, principal: Principal, alert_id: int, note: str = "") -> Alert:
        """Close an open alert (``logistics.manage`` on its waybill); it never reopens."""
        async with self.ctx.db.read() as tx:
            a = await store.alert(tx, alert_id)
        if a is None:
            raise AlertUnknown(f"no alert {alert_id}", alert=alert_id)
        w = await self.waybills.load(a.waybill_id)
        await self.waybills.require(principal, LOGISTICS_MANAGE, w)
        by = "system" if principal.user is None else f"user:{principal.user.id}"
        text = note.strip()[:500]
        async with self.ctx.db.write() as tx:
            if not await store.close_alert(
                tx, alert_id, now_utc(), by + (f": {text}" if text else "")
            ):
                raise AlertClosed(f"alert {alert_id} is closed", alert=alert_id)
            closed = await store.alert(tx, alert_id)
        assert closed is not None
        return closed


def _expired(w: Waybill, rules: Rules, at: dt.datetime) -> bool:
    if w.status in FINAL:
        return False
    last = w.last_event_at or w.created_at
    return at - last > dt.timedelta(days=rules.expire_days)


def _events(
    a: Alert, w: Waybill, regions: list[str] | None
) -> list[tuple[str, int, dict[str, Any]]]:
    base = {"alert_id": a.id, "waybill_id": w.id, "kind": a.kind, "reference": w.reference,
            "movement_id": w.movement_id, "to_org": w.to_org, "carrier": w.carrier,
            "tracking_no": w.tracking_no}  # fmt: skip
    out = [("logistics.alert", a.id, base)]
    if a.kind == AlertKind.WRONG_DESTINATION and w.delivered_place is not None:
        p = w.delivered_place
        out.append(("logistics.misdelivered", w.id, {
            **base, "delivered_at": None if w.delivered_at is None else w.delivered_at.isoformat(),
            "place": {"name": p.name[:100], "lat": p.lat, "lon": p.lon, "province": p.province,
                      "city": p.city},
            "expected": (regions or [])[:20],
        }))  # fmt: skip
    return out


def summary(a: Alert) -> str:
    """A one-line account of an alert's evidence for notices and lists."""
    e = a.evidence
    parts = [f"{k}={e[k]}" for k in sorted(e) if isinstance(e[k], int | float | str)][:6]
    return ", ".join(parts)
