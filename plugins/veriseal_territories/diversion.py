"""Diversion (窜货) detection: held goods seen outside their holder's territory.

Two sources of evidence:

- a recorded **scan** (consumer, inspector, dealer handheld) of a genuine unit that a
  dealer holds (``territories_holdings``), located outside the territory the dealer is
  authorized for that product (:mod:`.grants`) at the time of the scan;
- another dealer's **inbound scan** (:mod:`.shipments`) of units the first dealer held:
  the receiver's location (its GPS fix, else its registered home regions) is judged
  against the previous holder's territory.

Whether a unit is outside is decided on a disc, not a point (:mod:`.placement`): the
fix's accuracy plus ``buffer_km`` around it must lie wholly outside every region of the
territory, by the shipped administrative boundaries; a disc straddling a border or
touching no known land proves nothing. The territory is the holder's grants in force
when it received the goods or when they were scanned, whichever is wider.

A sale seen outside is not an alert by itself (:mod:`.evidence`): it is an observation
of one unit of a consignment (the movement that delivered the unit to its holder), and
the consignment's alert is raised at level ``suspected`` and escalated to ``strong`` as
units, witnesses and distance add up. Scans by staff, inspectors and the holder's own
line are classified out first. Inbound scans by a dealer outside the holder's line are
alerts of their own (``strong`` with a GPS fix, ``suspected`` from home regions only).

A code the core has raised a clone alert for is a copy, not a diversion: its evidence is
set aside, and a consignment alert that no longer holds without it is dismissed. Alerts
go to the brand admins (``DIVERSION_ALERT``) and onto the event stream (kind
``territories.diversion_alert``), in the transaction that raises or escalates them.
Scans and the core's alerts reach the checks through the stream's consumer
``territories.diversion`` (:meth:`DiversionService.prepare_batch` /
:meth:`DiversionService.apply_batch`), off the verify request.

The workflow (:class:`AlertWorkflow`): ``open -> investigating -> confirmed |
dismissed`` (an open alert may be dismissed at once), each step an appended event with a
note; confirming records a penalty and may suspend or revoke the dealer's grants.
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import datetime as dt
import io
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from veriseal import (
    SYSTEM_PRINCIPAL,
    Action,
    AlertKind,
    Conflict,
    InvalidInput,
    NotFound,
    Principal,
    Region,
    Role,
    Scan,
    default_resolver,
    register_messages,
    require_permission,
)
from veriseal.extend import Batch, PluginContext, StreamEvent, Tx
from veriseal_territories.consignments import AlertState, Consignments
from veriseal_territories.dealers import Dealer, DealerNotFound, DealerService
from veriseal_territories.evidence import (
    Assessment,
    Level,
    Observation,
    ScanClass,
    Tolerances,
    classify,
    same_line,
)
from veriseal_territories.grants import Grant, GrantService, row_time
from veriseal_territories.hierarchy import default_hierarchy
from veriseal_territories.permissions import DIVERSION_ALERT, TERRITORY_GRANT
from veriseal_territories.placement import Standing, Verdict, stand
from veriseal_territories.shipments import Holding, Point, ShipmentService, Taken

log = logging.getLogger("veriseal.territories")

register_messages(
    {
        "error.alert_not_found": ("Diversion alert not found", "未找到该窜货预警"),
        "error.alert_transition": ("This alert cannot move to that state", "预警无法转到该状态"),
    }
)

STATES = ("open", "investigating", "confirmed", "dismissed")
TRANSITIONS = {
    "open": {"investigating", "dismissed"},
    "investigating": {"confirmed", "dismissed"},
    "confirmed": set(),
    "dismissed": set(),
}
#: the core's alerts that make a code a copy (a stolen roll's ``unactivated_scan`` names a
#: batch nobody holds, not a held unit)
CLONE_KINDS = {
    str(AlertKind.CLONE_COUNT),
    str(AlertKind.IMPOSSIBLE_TRAVEL),
    str(AlertKind.CLONE_REGIONS),
    str(AlertKind.LOCAL_COPIES),
}
CACHE_SECONDS = 5.0


LEVEL_ZH = {"suspected": "疑似", "strong": "证据充分"}
#: alerts read per query by an export (which takes every page)
EXPORT_PAGE = 1000


class AlertNotFound(NotFound):
    code = "alert_not_found"


class AlertTransition(Conflict):
    code = "alert_transition"


@dataclass(frozen=True)
class DiversionAlert:
    id: int
    brand_id: int
    at: dt.datetime
    source: str  # scan | receipt
    org_id: int
    code: str
    gtin: str | None
    batch_id: int | None
    index: int | None
    items: int
    scan_id: int | None
    movement_id: int | None
    province: str | None
    state: str
    evidence: dict[str, Any]
    history: tuple[dict[str, Any], ...] = ()
    level: str = Level.SUSPECTED

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["at"] = self.at.isoformat()
        out["history"] = list(self.history)
        return out


@dataclass(frozen=True)
class Finding:
    """A diversion judged from its evidence and not stored yet: one alert per ``key``
    (unit and holder, or receipt) and brand, see :meth:`DiversionService.store`."""

    brand_id: int
    key: str
    source: str  # scan | receipt
    org_id: int
    code: str
    gtin: str | None
    batch_id: int | None
    index: int | None
    items: int
    scan_id: int | None
    movement_id: int | None
    region: Region | None
    evidence: dict[str, Any]
    weight: float
    at: dt.datetime
    #: a sale seen outside: weighed with the rest of its consignment before any alert
    observation: Observation | None = None
    #: the level of an alert raised on this finding alone (receipts, shipments)
    level: Level = Level.STRONG


class _Reads:
    """What judging a scan reads about its holder, read once per batch of scans: a
    batch's scans mostly share a handful of dealers, whose rows and grants do not change
    in the moment a batch takes. A scan judged alone gets a fresh one."""

    def __init__(
        self, dealers: DealerService, grants: GrantService, shipments: ShipmentService
    ) -> None:
        self._dealer_service = dealers
        self._grant_service = grants
        self._shipment_service = shipments
        self._dealers: dict[tuple[int, int], Dealer | None] = {}
        self._effective: dict[tuple[int, int], tuple[int, list[Grant]]] = {}
        self._held: dict[int, list[Holding]] = {}  # by code batch, ordered by first unit

    async def holder(self, batch_id: int, index: int) -> tuple[int, int, str, dt.datetime] | None:
        """:meth:`.ShipmentService.holder`; units of a range read before cost no read
        (a batch's scans are often of one consignment's cases)."""
        held = self._held.setdefault(batch_id, [])
        at = bisect.bisect_right(held, index, key=lambda h: h.first)
        if at and (batch_id, index) in held[at - 1]:
            return held[at - 1].holder
        found = await self._shipment_service.holding(batch_id, index)
        if found is None:
            return None
        bisect.insort(held, found, key=lambda h: h.first)
        return found.holder

    async def dealer(self, brand_id: int, org_id: int) -> Dealer | None:
        """The dealer ``org_id`` of the brand, None if it is none."""
        key = (brand_id, org_id)
        if key not in self._dealers:
            try:
                self._dealers[key] = await self._dealer_service.get(brand_id, org_id)
            except DealerNotFound:
                self._dealers[key] = None
        return self._dealers[key]

    async def effective(self, brand_id: int, org_id: int) -> tuple[int, list[Grant]]:
        """:meth:`.GrantService.effective`."""
        key = (brand_id, org_id)
        if key not in self._effective:
            self._effective[key] = await self._grant_service.effective(brand_id, org_id)
        return self._effective[key]


class DiversionService:
    def __init__(
        self,
        ctx: PluginContext,
        dealers: DealerService,
        grants: GrantService,
        shipments: ShipmentService,
    ) -> None:
        self.ctx = ctx
        self.dealers = dealers
        self.grants = grants
        self.shipments = shipments
        self._tolerances: dict[int, tuple[float, Tolerances]] = {}
        self._admins: dict[int, tuple[float, list[int]]] = {}
        self._products: dict[tuple[int, str], tuple[str, str]] = {}

    # -- tolerances ------------------------------------------------------------------
    async def tolerances(self, brand_id: int) -> Tolerances:
        hit = self._tolerances.get(brand_id)
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
        async with self.ctx.db.read() as tx:
            row = await tx.fetchrow(
                "SELECT settings FROM territories_tolerances WHERE brand_id = ?"
                " ORDER BY id DESC LIMIT 1",
                brand_id,
            )
        found = Tolerances.load(json.loads(row["settings"])) if row else Tolerances()
        self._tolerances[brand_id] = (time.monotonic(), found)
        return found

    async def set_tolerances(
        self, principal: Principal, brand_id: int, **changes: float | None
    ) -> Tolerances:
        require_permission(principal, TERRITORY_GRANT, brand_id=brand_id)
        current = await self.tolerances(brand_id)
        merged = Tolerances.load(
            {**asdict(current), **{k: float(v) for k, v in changes.items() if v is not None}}
        ).check()
        async with self.ctx.db.write() as tx:
            await tx.execute(
                "INSERT INTO territories_tolerances (brand_id, settings, at) VALUES (?, ?, ?)",
                brand_id,
                json.dumps(asdict(merged)),
                dt.datetime.now(dt.UTC),
            )
        self._tolerances.pop(brand_id, None)
        return merged

    # -- the territory test ------------------------------------------------------------
    async def product(self, brand_id: int, gtin: str) -> tuple[str, str]:
        """(gtin, category path), cached: products do not change category often."""
        key = (brand_id, gtin)
        if key not in self._products:
            brand = await self.ctx.brand_by_id(brand_id)
            p = await self.ctx.product(brand, gtin)
            self._products[key] = (p.gtin, p.category_path)
        return self._products[key]

    async def territory(
        self, brand_id: int, org_id: int, gtin: str, *at: dt.datetime, reads: _Reads | None = None
    ) -> tuple[int, list[Grant]]:
        """Whose grants define the dealer's territory, and those covering the product
        that were in force at any of the moments ``at`` (the rights as they stood when
        the dealer received the goods count as much as those at the scan)."""
        reads = reads or _Reads(self.dealers, self.grants, self.shipments)
        owner, grants = await reads.effective(brand_id, org_id)
        code, category = await self.product(brand_id, gtin)
        return owner, [
            g for g in grants if any(g.in_force(t) for t in at) and g.covers_product(code, category)
        ]

    async def standing(
        self,
        brand_id: int,
        live: Sequence[Grant],
        where: tuple[float, float, float],
        region: Region | None = None,
    ) -> Standing:
        """The disc ``where`` = (lat, lon, radius km) against the territory of the
        ``live`` grants (:func:`.placement.stand`)."""
        customs = await self.grants.custom_regions(brand_id)
        lat, lon, radius = where
        return stand(lat, lon, radius, [g.region for g in live], customs, region)

    # -- scans -------------------------------------------------------------------------
    async def check_scan(self, scan: Scan) -> int | None:
        """Judge one recorded scan and store what it shows, in a transaction of its own;
        the id of the alert it raised or escalated, if any. The event stream's consumer
        (:meth:`prepare_batch` / :meth:`apply_batch`) does the same for every scan."""
        finding = await self.judge_scan(scan)
        return None if finding is None else await self._raise(finding)

    async def judge_scan(self, scan: Scan, reads: _Reads | None = None) -> Finding | None:
        """What one recorded scan shows (reads only): a :class:`Finding` carrying an
        :class:`Observation` if a sale placed the unit outside its holder's territory,
        else None. Only a disc wholly outside counts; staff, inspectors and the holder's
        own line are not sales (:func:`.evidence.classify`). ``reads``: the batch's
        (:meth:`prepare_batch`), else the scan's own."""
        s = scan.scan
        reads = reads or _Reads(self.dealers, self.grants, self.shipments)
        if (
            s.outcome != "genuine"
            or s.brand_id is None
            or s.batch_id is None
            or s.index is None
            or s.location is None
            or s.gtin is None
        ):
            return None
        held = await reads.holder(s.batch_id, s.index)
        if held is None:
            return None  # still the brand's: no dealer's territory to leave
        org_id, movement_id, _, received = held
        tol = await self.tolerances(s.brand_id)
        loc = s.location
        weight, radius = tol.weigh(str(loc.source), loc.accuracy_m)
        if weight <= 0:
            return None
        dealer = await reads.dealer(s.brand_id, org_id)
        if dealer is None:
            return None
        role, scanner_path = await self._scanner(s.actor)
        kind = classify(role, str(s.channel), scanner_path, dealer.path)
        if kind in (ScanClass.INSPECTION, ScanClass.OWN_LINE):
            return None
        owner, live = await self.territory(s.brand_id, org_id, s.gtin, s.at, received, reads=reads)
        region = s.region
        where = await self.standing(s.brand_id, live, (loc.lat, loc.lon, radius), region)
        if where.verdict is not Verdict.OUTSIDE:
            return None
        if await self.ctx.alerts(s.brand_id, code=s.code, limit=1):
            return None  # a known copy: the clone alert tells the story
        held_days = max(0.0, (s.at - received).total_seconds() / 86400.0)
        obs = Observation(
            (s.batch_id, s.index),
            s.actor,
            weight * (2.0 if kind is ScanClass.OTHER_DEALER else 1.0),
            where.km_outside,
            held_days,
            region.province if region else "",
        )
        evidence = {
            "code": s.code,
            "gtin": s.gtin,
            "batch_id": s.batch_id,
            "index": s.index,
            "holder": {
                "org_id": org_id,
                "code": dealer.code,
                "name": dealer.name,
                "since_movement": movement_id,
                "received_at": received.isoformat(),
            },
            "territory": {
                "owner_org_id": owner,
                "regions": [g.region for g in live],
                "grants": [g.id for g in live],
            },
            "seen": {
                "at": s.at.isoformat(),
                "lat": loc.lat,
                "lon": loc.lon,
                "accuracy_m": loc.accuracy_m,
                "source": str(loc.source),
                "radius_km": round(radius, 3),
                "km_outside": round(where.km_outside, 3),
                "country": region.country if region else None,
                "province": region.province if region else None,
                "city": region.city if region else None,
                "gb2260": region.gb2260 if region else None,
            },
            "by": {"actor": s.actor, "channel": str(s.channel), "role": role, "class": kind},
            "scan_id": scan.id,
            "weight": obs.weight,
            "score": obs.score(tol),
            "tolerances": asdict(tol),
        }
        return Finding(
            s.brand_id, f"consignment:{org_id}:{movement_id}", "scan", org_id, s.code,
            s.gtin, s.batch_id, s.index, 1, scan.id, movement_id, region, evidence,
            obs.weight, s.at, obs,
        )  # fmt: skip

    async def _scanner(self, actor: str) -> tuple[str, str | None]:
        """(role, organisation path) of a scan's actor; consumers' devices have none."""
        if actor.startswith("user:") and actor[5:].isdigit():
            try:
                user = await self.ctx.user(int(actor[5:]))
            except NotFound:
                return "unknown", None
            path = None
            if user.org_id is not None:
                with contextlib.suppress(NotFound):
                    path = (await self.ctx.org(user.org_id)).path
            return str(user.role), path
        return ("consumer" if actor.startswith(("device:", "anonymous")) else "unknown"), None

    async def _role(self, actor: str) -> str:
        return (await self._scanner(actor))[0]

    # -- inbound scans of another dealer's goods -----------------------------------------
    async def check_receipt(
        self,
        brand_id: int,
        receiver_org: int,
        taken: Taken,
        point: Point | None,
        actor: str,
        at: dt.datetime,
    ) -> int | None:
        """Judge units a receiver took from another dealer without a shipment to it: a
        dealer outside the holder's line scanning the goods in is a transfer, strong
        evidence when its GPS fix places it outside, suspected when only its registered
        home regions do."""
        receiver = await self.dealers.get(brand_id, receiver_org)
        holder = await self.dealers.get(brand_id, taken.from_org)
        if same_line(receiver.path, holder.path):
            return None  # goods handed back up or down the holder's own line
        tol = await self.tolerances(brand_id)
        h = default_hierarchy()
        gtins: dict[int, str] = {}
        for batch_id in taken.by_batch:
            gtins[batch_id] = (await self.ctx.batch(batch_id)).gtin
        outside_batches = []
        region: Region | None = None
        for batch_id, gtin in gtins.items():
            owner, live = await self.territory(brand_id, taken.from_org, gtin, at)
            if point is not None:
                weight, radius = tol.weigh("gps", point.accuracy_m)
                if weight <= 0:
                    return None
                region = default_resolver().resolve(point.lat, point.lon)
                verdict = (
                    await self.standing(brand_id, live, (point.lat, point.lon, radius), region)
                ).verdict
                inside = verdict is not Verdict.OUTSIDE
            elif receiver.regions:
                # every home region of the receiver must lie in the holder's territory
                admin = {g.region for g in live if not g.region.startswith("custom:")}
                inside = all(
                    admin & {n.code for n in h.ancestors(code)} for code in receiver.regions
                )
            else:
                continue  # nothing to judge the receiver's place by
            if not inside:
                outside_batches.append((batch_id, gtin, owner, live))
        if not outside_batches:
            return None
        batch_id, gtin, owner, live = outside_batches[0]
        first = taken.by_batch[batch_id][0]
        where: dict[str, Any] = (
            {
                "lat": point.lat,
                "lon": point.lon,
                "accuracy_m": point.accuracy_m,
                "source": "gps",
                "country": region.country if region else None,
                "province": region.province if region else None,
                "city": region.city if region else None,
            }
            if point is not None
            else {"home_regions": list(receiver.regions)}
        )
        evidence = {
            "code": f"batch {batch_id} items {first}",
            "ranges": {str(b): [str(r) for r in spans] for b, spans in taken.by_batch.items()},
            "items": taken.items,
            "holder": {"org_id": holder.org_id, "code": holder.code, "name": holder.name},
            "territory": {"owner_org_id": owner, "regions": [g.region for g in live]},
            "received_by": {
                "org_id": receiver.org_id,
                "code": receiver.code,
                "name": receiver.name,
            },
            "seen": {"at": at.isoformat(), **where},
            "by": {"actor": actor, "channel": "handheld", "role": await self._role(actor)},
            "movement_id": taken.movement_id,
            "outside_batches": [b for b, *_ in outside_batches],
        }
        province = (
            region.province if region else (receiver.regions[0] if receiver.regions else None)
        )
        reg = region or (Region("", province, "") if province else None)
        level = Level.STRONG if point is not None else Level.SUSPECTED
        finding = Finding(
            brand_id, f"receipt:{taken.movement_id}", "receipt", taken.from_org,
            str(evidence["code"]), gtin, batch_id, first.first, taken.items, None,
            taken.movement_id, reg, evidence, 1.0, at, None, level,
        )  # fmt: skip
        return await self._raise(finding)

    # -- storing and announcing --------------------------------------------------------
    async def raise_finding(self, finding: Finding) -> int | None:
        """Store a finding made elsewhere in the plugin (a flagged shipment) and announce
        its alert, in a transaction of its own; the alert's id, None if its key had one."""
        return await self._raise(finding)

    async def _raise(self, finding: Finding) -> int | None:
        """Store ``finding`` and announce its alert in one transaction of its own."""
        try:
            async with self.ctx.db.write() as tx:
                alert_id = await self.store(tx, finding)
                if alert_id is not None:
                    await self.announce(tx, finding.brand_id, alert_id, finding.evidence)
        except Conflict:
            return None  # a concurrent scan of the same unit raised it first
        return alert_id

    async def store(self, tx: Tx, f: Finding, held: Consignments | None = None) -> int | None:
        """Store a finding in ``tx``; the id of the alert it raised or escalated to
        ``strong`` (to announce), else None.

        A finding with an observation is one unit of a consignment: it is added to the
        consignment's evidence, and the consignment's alert is raised, escalated or merely
        updated as the evidence adds up (:func:`.evidence.assess`). Any other finding is
        an alert of its own. Idempotent: a scan already counted or an alert already
        raised for the same key changes nothing, so a redelivered stream event never
        doubles an alert. ``held``: the consignments the transaction has read (a batch
        shares them, and flushes them at its end); without it the finding is written
        through at once."""
        if f.observation is not None:
            if held is not None:
                return await self._add_evidence(tx, f, f.observation, held)
            own = Consignments()
            alert_id = await self._add_evidence(tx, f, f.observation, own)
            await own.flush(tx)
            return alert_id
        if await tx.fetchrow(
            "SELECT id FROM territories_alerts WHERE brand_id = ? AND dedup_key = ?",
            f.brand_id,
            f.key,
        ):
            return None
        return await self._insert_alert(tx, f, f.evidence, f.items, f.level)

    async def _insert_alert(
        self, tx: Tx, f: Finding, evidence: dict[str, Any], items: int, level: Level
    ) -> int:
        row = await tx.fetchrow(
            "INSERT INTO territories_alerts (brand_id, at, dedup_key, source, org_id,"
            " code, gtin, batch_id, idx, items, scan_id, movement_id, country,"
            " province, city, evidence, level) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            f.brand_id, f.at, f.key, f.source, f.org_id, f.code, f.gtin, f.batch_id,
            f.index, items, f.scan_id, f.movement_id,
            f.region.country if f.region else None,
            f.region.province if f.region else None,
            f.region.city if f.region else None,
            json.dumps(evidence, ensure_ascii=False, sort_keys=True),
            str(level),
        )  # fmt: skip
        assert row is not None
        alert_id = int(row["id"])
        await _append_event(tx, alert_id, "open", "system", f"raised ({level})", None, None)
        return alert_id

    async def _add_evidence(
        self, tx: Tx, f: Finding, obs: Observation, held: Consignments
    ) -> int | None:
        """Count the observation once for its consignment, then raise, escalate or
        update the consignment's alert."""
        assert f.batch_id is not None and f.index is not None and f.movement_id is not None
        if not await tx.fetchrow(
            "SELECT id FROM territories_evidence WHERE brand_id = ? AND scan_id = ? AND org_id = ?",
            f.brand_id,
            f.scan_id,
            f.org_id,
        ):
            detail = _unit_detail(f.evidence)
            await tx.execute(
                "INSERT INTO territories_evidence (brand_id, group_key, org_id, movement_id,"
                " batch_id, idx, code, scan_id, witness, weight, km_outside, days_held, place,"
                " at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                f.brand_id, f.key, f.org_id, f.movement_id, f.batch_id, f.index, f.code,
                f.scan_id, obs.witness, obs.weight, obs.km_outside, obs.days_held, obs.place,
                f.at, json.dumps(detail, ensure_ascii=False, sort_keys=True),
            )  # fmt: skip
            known = held.get(f.brand_id, f.key)
            if known is not None:  # read before this row: add it (else the read has it)
                known.add(obs, detail)
        tol = Tolerances.load(f.evidence.get("tolerances", {}))
        return (await self._reassess(tx, f.brand_id, f.key, tol, held, f))[0]

    async def _reassess(
        self,
        tx: Tx,
        brand_id: int,
        key: str,
        tol: Tolerances,
        held: Consignments,
        f: Finding | None = None,
    ) -> tuple[int | None, Assessment]:
        """Weigh a consignment's evidence and bring its alert in line: raise it (with
        ``f``, the finding that tipped it) or escalate it, written at once; an update of
        its evidence alone is written by ``held.flush``. The id of an alert raised or
        escalated (else None) and the assessment."""
        c = await held.read(tx, brand_id, key, tol)
        verdict = c.weigh(tol)
        if verdict.level is None and c.alert is None:
            return None, verdict
        if c.alert is None:
            assert f is not None and verdict.level is not None
            evidence = c.evidence(f.evidence, verdict)
            raised = await self._insert_alert(tx, f, evidence, verdict.units, verdict.level)
            c.alert = AlertState(raised, verdict.level, evidence)
            return raised, verdict
        before = c.alert.level
        c.alert.level = verdict.level or before
        c.verdict, c.dirty = verdict, True
        if c.alert.level is Level.STRONG and before is not Level.STRONG:
            await held.write(tx, c)  # the message announcing it reads the stored evidence
            state = await _state(tx, c.alert.id)
            if state in ("open", "investigating"):
                note = f"escalated to strong: {verdict.units} units, {verdict.witnesses} witnesses"
                await _append_event(tx, c.alert.id, state, "system", note, None, None)
                return c.alert.id, verdict
        return None, verdict

    async def announce(
        self, tx: Tx, brand_id: int, alert_id: int, evidence: dict[str, Any]
    ) -> None:
        """In ``tx``, with the alert: a message to the brand admins (through the outbox)
        and the stream event ``territories.diversion_alert`` (last: see ``publish``).
        The alert's stored evidence wins over ``evidence`` (a consignment's alert holds
        what all its units add up to, not only the finding that tipped it)."""
        stored = await tx.fetchrow("SELECT evidence FROM territories_alerts WHERE id = ?", alert_id)
        if stored is not None:
            evidence = json.loads(stored["evidence"])
        holder = evidence["holder"]
        seen = evidence["seen"]
        place = seen.get("province") or ", ".join(seen.get("home_regions", [])) or "?"
        found = evidence.get("assessment")
        level = str(found["level"]) if found else None
        title = f"窜货预警 Diversion alert #{alert_id}" + (
            f"（{LEVEL_ZH[level]} {level}）" if level in LEVEL_ZH else ""
        )
        what_zh, what_en = f"货品 {evidence['code']}", f"Goods {evidence['code']}"
        if found:
            what_zh = f"同一批到货中的 {found['units']} 件货品（{found['witnesses']} 位扫码者）"
            what_en = f"{found['units']} units of one consignment ({found['witnesses']} witnesses)"
        body = (
            f"经销商 {holder['code']}（{holder['name']}）的{what_zh}出现在授权区域外：{place}。\n"
            f"{what_en} held by dealer {holder['code']} ({holder['name']})"
            f" were seen outside its territory: {place}."
        )
        data = {
            "alert_id": alert_id,
            "dealer": holder["code"],
            "code": evidence["code"],
            "province": seen.get("province"),
            "level": level,
        }
        try:
            admins = await self._brand_admins(brand_id)
        except Exception:  # a notification problem must not lose the alert
            log.exception("could not notify the brand admins of diversion alert %s", alert_id)
            admins = []
        if admins:
            await self.ctx.notify(admins, DIVERSION_ALERT, title, body, data, tx=tx)
        await self.ctx.publish(
            tx,
            "territories.diversion_alert",
            brand_id,
            alert_id,
            {"code": evidence["code"], "dealer": holder["code"], "org_id": holder["org_id"]},
        )

    # -- the event stream's consumer ------------------------------------------------------
    async def prepare_batch(self, events: Sequence[StreamEvent]) -> list[Finding]:
        """Judge the batch's scans, before the consumer's transaction opens (the reads
        and the geometry are the slow part; see :meth:`apply_batch`)."""
        wanted = [
            e
            for e in events
            if e.kind == "scan"
            and e.brand_id is not None
            and e.payload.get("outcome") == "genuine"
            and e.payload.get("located")  # no place: nothing to judge, no read of the scan
        ]
        found: list[Finding] = []
        reads = _Reads(self.dealers, self.grants, self.shipments)
        for scan in await self._scans(wanted):
            finding = await self.judge_scan(scan, reads)
            if finding is not None:
                found.append(finding)
        return found

    async def _scans(self, events: Sequence[StreamEvent]) -> list[Scan]:
        """The scans ``events`` announce, in order: one ranged read per brand."""
        by_brand: dict[int, list[int]] = {}
        for e in events:
            assert e.brand_id is not None
            by_brand.setdefault(e.brand_id, []).append(e.ref)
        out: list[Scan] = []
        for brand_id, ids in by_brand.items():
            span = await self.ctx.scans(
                brand_id, after_id=min(ids) - 1, limit=max(ids) - min(ids) + 1
            )
            wanted = set(ids)
            out += [s for s in span if s.id in wanted]
        return sorted(out, key=lambda s: s.id)

    async def apply_batch(self, tx: Tx, batch: Batch) -> None:
        """In the consumer's transaction, in stream order: store the findings of the
        batch's scans and let clone alerts dismiss the code's open diversion alerts."""
        findings = {f.scan_id: f for f in batch.prepared or ()}
        held = Consignments()  # each consignment read once per batch
        for e in batch:
            if e.kind == "scan" and e.ref in findings:
                f = findings[e.ref]
                alert_id = await self.store(tx, f, held)
                if alert_id is not None:
                    await self.announce(tx, f.brand_id, alert_id, f.evidence)
            elif e.kind == "alert":
                await held.flush(tx)  # it sets evidence aside: what follows reads again
                held = Consignments()
                await self.on_core_alert(e.brand_id, e.ref, e.payload, tx)
        await held.flush(tx)

    async def warm(self, brand_id: int) -> None:
        """Look up the brand's admins now (kept 60 s), before a consumer's transaction
        in which :meth:`announce` tells them."""
        await self._brand_admins(brand_id)

    async def _brand_admins(self, brand_id: int) -> list[int]:
        hit = self._admins.get(brand_id)
        if hit is not None and time.monotonic() - hit[0] < 60:
            return hit[1]
        brand = await self.ctx.brand_by_id(brand_id)
        root = await self.ctx.brand_org(brand)
        users = await self.ctx.users(SYSTEM_PRINCIPAL, root.id)
        ids = [u.id for u in users if u.role is Role.BRAND_ADMIN and str(u.status) == "active"]
        self._admins[brand_id] = (time.monotonic(), ids)
        return ids

    async def on_core_alert(
        self, brand_id: int | None, alert_id: int, details: dict[str, Any], tx: Tx | None = None
    ) -> int:
        """A clone alert: the code's units are copies, not diversions. Their evidence is
        set aside, and each consignment it counted for is weighed again: an open alert
        that no longer holds is dismissed (with a note naming the clone alert), in ``tx``
        (else a transaction of its own). Returns how many alerts were dismissed; a second
        call for the same alert finds nothing left to set aside."""
        if brand_id is None or details.get("kind") not in CLONE_KINDS or not details.get("code"):
            return 0
        if tx is None:
            async with self.ctx.db.write() as own:
                return await self.on_core_alert(brand_id, alert_id, details, own)
        code = str(details["code"])
        # one statement, and only rows not yet set aside: a code's later clone alerts
        # rewrote every one of its evidence rows again (a new row version each on
        # PostgreSQL), for nothing
        set_aside = await tx.fetch(
            "UPDATE territories_evidence SET excluded = 1 WHERE brand_id = ? AND code = ?"
            " AND excluded = 0 RETURNING group_key",
            brand_id,
            code,
        )
        groups = sorted({str(r["group_key"]) for r in set_aside})
        note = (
            f"superseded by clone alert {alert_id} ({details['kind']}): the label is"
            " copied, not diverted"
        )
        dismissed = 0
        tol = await self.tolerances(brand_id)
        held = Consignments()
        for key in groups:
            _, left = await self._reassess(tx, brand_id, key, tol, held)
            if left.level is None:
                dismissed += await self._dismiss_open(tx, brand_id, key, note)
        await held.flush(tx)
        # alerts of one unit (raised before evidence was grouped) are that code's alone
        for r in await tx.fetch(
            f"{_ALERT_SELECT} WHERE a.brand_id = ? AND a.code = ? AND a.dedup_key LIKE ?",
            brand_id,
            code,
            "unit:%",
        ):
            if r["state"] == "open":
                await _append_event(tx, int(r["id"]), "dismissed", "system", note, None, None)
                dismissed += 1
        return dismissed

    async def _dismiss_open(self, tx: Tx, brand_id: int, key: str, note: str) -> int:
        """Dismiss the consignment's alert if it is open; 1 if it was."""
        alert = await tx.fetchrow(
            f"{_ALERT_SELECT} WHERE a.brand_id = ? AND a.dedup_key = ?", brand_id, key
        )
        if alert is None or alert["state"] != "open":
            return 0
        await _append_event(tx, int(alert["id"]), "dismissed", "system", note, None, None)
        return 1


async def _state(tx: Tx, alert_id: int) -> str:
    row = await tx.fetchrow(
        "SELECT state FROM territories_alert_events WHERE alert_id = ? ORDER BY id DESC LIMIT 1",
        alert_id,
    )
    return str(row["state"]) if row else "open"


def _unit_detail(evidence: dict[str, Any]) -> dict[str, Any]:
    """What a consignment's alert lists of one unit seen outside."""
    return {
        "code": evidence["code"],
        "batch_id": evidence["batch_id"],
        "index": evidence["index"],
        "scan_id": evidence["scan_id"],
        "seen": evidence["seen"],
        "by": evidence["by"],
        "score": evidence.get("score"),
    }


async def _append_event(
    tx: Any,
    alert_id: int,
    state: str,
    actor: str,
    note: str,
    penalty: dict[str, Any] | None,
    action: str | None,
) -> None:
    await tx.execute(
        "INSERT INTO territories_alert_events (alert_id, state, at, actor, note, penalty,"
        " action) VALUES (?, ?, ?, ?, ?, ?, ?)",
        alert_id,
        state,
        dt.datetime.now(dt.UTC),
        actor,
        note.strip()[:1000],
        json.dumps(penalty, ensure_ascii=False) if penalty else None,
        action,
    )


_ALERT_SELECT = (
    "SELECT a.*, (SELECT e.state FROM territories_alert_events e WHERE e.alert_id = a.id"
    " ORDER BY e.id DESC LIMIT 1) AS state FROM territories_alerts a"
)


def _alert(row: Any, history: tuple[dict[str, Any], ...] = ()) -> DiversionAlert:
    return DiversionAlert(
        int(row["id"]),
        int(row["brand_id"]),
        row_time(row["at"]),
        str(row["source"]),
        int(row["org_id"]),
        str(row["code"]),
        row["gtin"],
        None if row["batch_id"] is None else int(row["batch_id"]),
        None if row["idx"] is None else int(row["idx"]),
        int(row["items"]),
        None if row["scan_id"] is None else int(row["scan_id"]),
        None if row["movement_id"] is None else int(row["movement_id"]),
        row["province"],
        str(row["state"] or "open"),
        json.loads(row["evidence"]),
        history,
        str(row["level"]),
    )


class AlertWorkflow:
    """Listing, exporting and moving diversion alerts through their states."""

    def __init__(self, ctx: PluginContext, grants: GrantService) -> None:
        self.ctx = ctx
        self.grants = grants

    async def list(
        self,
        principal: Principal,
        brand_id: int,
        *,
        state: str | None = None,
        org_id: int | None = None,
        since: dt.datetime | None = None,
        limit: int = 1000,
        after_id: int | None = None,
        level: str | None = None,
    ) -> list[DiversionAlert]:
        """The brand's alerts matching every filter, by id; at most ``limit`` with ids
        above ``after_id`` (keyset paging). ``level`` ``strong`` keeps strong alerts,
        ``suspected`` keeps both levels."""
        require_permission(principal, Action.ALERTS_READ, brand_id=brand_id)
        if state is not None and state not in STATES:
            raise InvalidInput(f"state {state!r}: one of {', '.join(STATES)}")
        if level is not None and level not in set(Level):
            raise InvalidInput(f"level {level!r}: suspected or strong")
        # the state is derived (the newest event), so it is filtered on the derived row
        sql = f"SELECT * FROM ({_ALERT_SELECT} WHERE a.brand_id = ?) x WHERE 1 = 1"
        args: list[Any] = [brand_id]
        for clause, value in (
            (" AND x.org_id = ?", org_id),
            (" AND x.at >= ?", since),
            (" AND x.id > ?", after_id),
            (" AND COALESCE(x.state, 'open') = ?", state),
            (" AND x.level = ?", "strong" if level == Level.STRONG else None),
        ):
            if value is not None:
                sql += clause
                args.append(value)
        async with self.ctx.db.read() as tx:
            found = await tx.fetch(sql + " ORDER BY x.id LIMIT ?", *args, limit)
        return [_alert(r) for r in found]

    async def get(self, principal: Principal, brand_id: int, alert_id: int) -> DiversionAlert:
        require_permission(principal, Action.ALERTS_READ, brand_id=brand_id)
        async with self.ctx.db.read() as tx:
            row = await tx.fetchrow(
                _ALERT_SELECT + " WHERE a.brand_id = ? AND a.id = ?", brand_id, alert_id
            )
            events = await tx.fetch(
                "SELECT state, at, actor, note, penalty, action FROM territories_alert_events"
                " WHERE alert_id = ? ORDER BY id",
                alert_id,
            )
        if row is None:
            raise AlertNotFound(f"no diversion alert {alert_id} in this brand")
        history = tuple(
            {
                "state": e["state"],
                "at": row_time(e["at"]).isoformat(),
                "actor": e["actor"],
                "note": e["note"],
                "penalty": json.loads(e["penalty"]) if e["penalty"] else None,
                "action": e["action"],
            }
            for e in events
        )
        return _alert(row, history)

    async def transition(
        self,
        principal: Principal,
        brand_id: int,
        alert_id: int,
        to: str,
        note: str = "",
        penalty: dict[str, Any] | None = None,
        action: str | None = None,
    ) -> DiversionAlert:
        """Move an alert on (``alert_transition`` for a step the workflow does not
        allow). ``penalty`` and ``action`` (``suspend`` / ``revoke`` the holding dealer's
        own grants in force) only with ``confirmed``."""
        require_permission(principal, TERRITORY_GRANT, brand_id=brand_id)
        alert = await self.get(principal, brand_id, alert_id)
        if to not in STATES:
            raise AlertTransition(f"state {to!r}: one of {', '.join(STATES)}")
        if to not in TRANSITIONS[alert.state]:
            allowed = ", ".join(sorted(TRANSITIONS[alert.state])) or "none (final)"
            raise AlertTransition(
                f"alert {alert_id} is {alert.state}: it can move to {allowed}, not {to}",
                state=alert.state,
            )
        if (penalty or action) and to != "confirmed":
            raise AlertTransition("a penalty or an action comes with confirmed only")
        if action not in (None, "suspend", "revoke"):
            raise AlertTransition(f"action {action!r}: suspend or revoke")
        clean_penalty = _penalty(penalty) if penalty else None
        if to in ("confirmed", "dismissed") and not note.strip():
            raise AlertTransition("say why: confirming or dismissing needs a note")
        actor = f"user:{principal.user_id}" if principal.user_id is not None else principal.client
        now = dt.datetime.now(dt.UTC)
        async with self.ctx.db.write() as tx:
            await _append_event(tx, alert_id, to, actor, note, clean_penalty, action)
            if action is not None:
                for g in await self.grants.grants(brand_id):
                    if (
                        g.org_id == alert.org_id
                        and g.state != "revoked"
                        and (action == "revoke" or g.in_force(now))
                    ):
                        await GrantService.append_change(
                            tx, g.id, action, actor, f"diversion alert {alert_id}: {note}"
                        )
        self.grants.forget(brand_id)
        return await self.get(principal, brand_id, alert_id)

    async def export(self, principal: Principal, brand_id: int, fmt: str, **filters: Any) -> str:
        """Every alert matching ``filters`` as CSV (one row per alert, evidence flattened)
        or JSON lines: read a page (:data:`EXPORT_PAGE`) at a time, never capped."""
        alerts: list[DiversionAlert] = []
        while True:
            after = alerts[-1].id if alerts else None
            page = await self.list(principal, brand_id, **filters, limit=EXPORT_PAGE,
                                   after_id=after)  # fmt: skip
            alerts += page
            if len(page) < EXPORT_PAGE:
                break
        if fmt == "jsonl":
            return "".join(json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in alerts)
        if fmt != "csv":
            raise InvalidInput("format: csv or jsonl")
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(
            [
                "id",
                "at",
                "state",
                "level",
                "source",
                "dealer_code",
                "dealer_org_id",
                "code",
                "gtin",
                "batch_id",
                "index",
                "items",
                "country",
                "province",
                "city",
                "lat",
                "lon",
                "accuracy_m",
                "location_source",
                "seen_by",
                "territory",
                "scan_id",
                "movement_id",
            ]
        )
        for a in alerts:
            seen, ev = a.evidence.get("seen", {}), a.evidence
            w.writerow(
                [
                    a.id,
                    a.at.isoformat(),
                    a.state,
                    a.level,
                    a.source,
                    ev["holder"]["code"],
                    a.org_id,
                    a.code,
                    a.gtin or "",
                    a.batch_id if a.batch_id is not None else "",
                    a.index if a.index is not None else "",
                    a.items,
                    seen.get("country") or "",
                    seen.get("province") or "",
                    seen.get("city") or "",
                    seen.get("lat", ""),
                    seen.get("lon", ""),
                    seen.get("accuracy_m") or "",
                    seen.get("source", ""),
                    ev.get("by", {}).get("actor", ""),
                    " ".join(ev["territory"]["regions"]),
                    a.scan_id or "",
                    a.movement_id or "",
                ]
            )
        return out.getvalue()


def _penalty(data: dict[str, Any]) -> dict[str, Any]:
    amount = data.get("amount")
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int | float)
        or not (math.isfinite(amount) and amount >= 0)
    ):
        raise AlertTransition("penalty amount must be a non-negative number")
    currency = str(data.get("currency") or "CNY").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise AlertTransition("penalty currency is a 3-letter code (CNY)")
    return {"amount": amount, "currency": currency, "reason": str(data.get("reason") or "")[:500]}
