"""Diversion (窜货) detection: held goods seen outside their holder's territory.

Two sources of evidence:

- a recorded **scan** (consumer, inspector, dealer handheld) of a genuine unit that a
  dealer holds (``territories_holdings``), located outside the territory the dealer is
  authorized for that product (:mod:`.grants`) at the time of the scan;
- another dealer's **inbound scan** (:mod:`.shipments`) of units the first dealer held:
  the receiver's location (its GPS fix, else its registered home regions) is judged
  against the previous holder's territory.

Tolerances, per brand (``veriseal diversion tolerance``; the newest setting wins):

- ``buffer_km``: a point is outside only if no point within ``buffer_km`` + the fix's
  stated accuracy of it lies inside the territory. Administrative regions come from the
  offline nearest-place resolver, so the buffer is applied by resolving a ring of points
  around the fix (two radii, 12 bearings); custom GeoJSON regions buffer exactly;
- ``max_gps_accuracy_m``: GPS fixes less precise than this are ignored;
- ``ip_weight`` / ``declared_weight``: how much an IP-derived or a typed-in location
  counts (0 = ignored). Observations add up per (unit, holder); an alert needs a total
  weight of 1 (one good GPS fix is 1).

One alert per (unit, holder) for scans, one per receipt for inbound scans; a code the
core has raised a clone alert for is a copy, not a diversion: no diversion alert is
raised for it, and open diversion alerts of that code are dismissed when the clone
alert arrives. Alerts go to the brand admins (``DIVERSION_ALERT``) and onto the event
stream (kind ``territories.diversion_alert``), in the transaction that raises them.
Scans and the core's alerts reach the checks through the stream's consumer
``territories.diversion`` (:meth:`DiversionService.prepare_batch` /
:meth:`DiversionService.apply_batch`), off the verify request.

The workflow (:class:`AlertWorkflow`): ``open -> investigating -> confirmed |
dismissed`` (an open alert may be dismissed at once), each step an appended event with a
note; confirming records a penalty and may suspend or revoke the dealer's grants.
"""

from __future__ import annotations

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
from veriseal_territories.dealers import DealerNotFound, DealerService
from veriseal_territories.grants import Grant, GrantService, row_time
from veriseal_territories.hierarchy import default_hierarchy
from veriseal_territories.permissions import DIVERSION_ALERT, TERRITORY_GRANT
from veriseal_territories.shipments import Point, ShipmentService, Taken

log = logging.getLogger("veriseal.territories")

register_messages(
    {
        "error.alert_not_found": ("Diversion alert not found", "未找到该窜货预警"),
        "error.alert_transition": ("This alert cannot move to that state", "预警无法转到该状态"),
        "error.tolerance_invalid": ("Invalid diversion tolerance", "窜货容差设置无效"),
    }
)

STATES = ("open", "investigating", "confirmed", "dismissed")
TRANSITIONS = {
    "open": {"investigating", "dismissed"},
    "investigating": {"confirmed", "dismissed"},
    "confirmed": set(),
    "dismissed": set(),
}
CLONE_KINDS = {
    str(AlertKind.CLONE_COUNT),
    str(AlertKind.IMPOSSIBLE_TRAVEL),
    str(AlertKind.CLONE_REGIONS),
}
IP_RADIUS_KM = 25.0  # an IP-derived position is city-level at best
RING_BEARINGS = 12
CACHE_SECONDS = 5.0


#: alerts read per query by an export (which takes every page)
EXPORT_PAGE = 1000


class AlertNotFound(NotFound):
    code = "alert_not_found"


class AlertTransition(Conflict):
    code = "alert_transition"


class ToleranceInvalid(InvalidInput):
    code = "tolerance_invalid"


@dataclass(frozen=True)
class Tolerances:
    buffer_km: float = 5.0
    max_gps_accuracy_m: float = 2000.0
    ip_weight: float = 0.0
    declared_weight: float = 0.5

    def check(self) -> Tolerances:
        for name, value, hi in (
            ("buffer_km", self.buffer_km, 500.0),
            ("max_gps_accuracy_m", self.max_gps_accuracy_m, 100_000.0),
            ("ip_weight", self.ip_weight, 1.0),
            ("declared_weight", self.declared_weight, 1.0),
        ):
            if not (math.isfinite(value) and 0 <= value <= hi):
                raise ToleranceInvalid(f"{name} must be within 0..{hi:g}")
        return self

    def weigh(self, source: str, accuracy_m: float | None) -> tuple[float, float]:
        """(weight, uncertainty radius in km) of a location of this source."""
        if source == "ip":
            return self.ip_weight, IP_RADIUS_KM
        if source == "declared":
            return self.declared_weight, 0.0
        if accuracy_m is not None and accuracy_m > self.max_gps_accuracy_m:
            return 0.0, 0.0
        return 1.0, (accuracy_m or 0.0) / 1000.0


def ring(
    lat: float, lon: float, radius_km: float, bearings: int = RING_BEARINGS
) -> list[tuple[float, float]]:
    """Points at ``radius_km`` and half of it around (lat, lon) (flat-earth offsets:
    fine at the tens of kilometres a buffer spans)."""
    out = []
    scale = max(math.cos(math.radians(lat)), 0.01)
    for r in (radius_km / 2, radius_km):
        for k in range(bearings):
            a = 2 * math.pi * k / bearings
            out.append((lat + r * math.cos(a) / 111.32, lon + r * math.sin(a) / (111.32 * scale)))
    return out


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
        found = Tolerances(**json.loads(row["settings"])) if row else Tolerances()
        self._tolerances[brand_id] = (time.monotonic(), found)
        return found

    async def set_tolerances(
        self, principal: Principal, brand_id: int, **changes: float | None
    ) -> Tolerances:
        require_permission(principal, TERRITORY_GRANT, brand_id=brand_id)
        current = await self.tolerances(brand_id)
        merged = Tolerances(
            **{**asdict(current), **{k: float(v) for k, v in changes.items() if v is not None}}
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
        self, brand_id: int, org_id: int, gtin: str, at: dt.datetime
    ) -> tuple[int, list[Grant]]:
        """Whose grants define the dealer's territory, and those in force for the
        product at ``at``."""
        owner, grants = await self.grants.effective(brand_id, org_id)
        code, category = await self.product(brand_id, gtin)
        return owner, [g for g in grants if g.in_force(at) and g.covers_product(code, category)]

    async def inside(
        self,
        brand_id: int,
        live: Sequence[Grant],
        region: Region | None,
        point: tuple[float, float] | None,
        radius_km: float,
    ) -> bool:
        """Whether the place (region, and point if known) is inside the territory of
        ``live`` grants, granting ``radius_km`` of doubt."""
        h = default_hierarchy()
        admin = [g.region for g in live if not g.region.startswith("custom:")]
        if region is not None and any(h.contains(code, region) for code in admin):
            return True
        if point is None:
            return False
        customs = await self.grants.custom_regions(brand_id)
        for g in live:
            shape = customs.get(g.region[7:]) if g.region.startswith("custom:") else None
            if shape is not None and shape.contains(point[0], point[1], radius_km):
                return True
        if radius_km <= 0 or not admin:
            return False
        pts = ring(point[0], point[1], radius_km)
        nearby = default_resolver().resolve_many([p[0] for p in pts], [p[1] for p in pts])
        return any(r is not None and h.contains(code, r) for r in nearby for code in admin)

    # -- scans -------------------------------------------------------------------------
    async def check_scan(self, scan: Scan) -> int | None:
        """Judge one recorded scan and store what it shows, in a transaction of its own;
        the id of the alert it raised, if any. The event stream's consumer
        (:meth:`prepare_batch` / :meth:`apply_batch`) does the same for every scan."""
        finding = await self.judge_scan(scan)
        return None if finding is None else await self._raise(finding)

    async def judge_scan(self, scan: Scan) -> Finding | None:
        """What one recorded scan shows (reads only): a :class:`Finding` if the unit was
        seen outside its holder's territory, else None."""
        s = scan.scan
        if (
            s.outcome != "genuine"
            or s.brand_id is None
            or s.batch_id is None
            or s.index is None
            or s.location is None
            or s.gtin is None
        ):
            return None
        held = await self.shipments.holder(s.batch_id, s.index)
        if held is None:
            return None  # still the brand's: no dealer's territory to leave
        org_id, movement_id, _ = held
        tol = await self.tolerances(s.brand_id)
        loc = s.location
        weight, uncertainty = tol.weigh(str(loc.source), loc.accuracy_m)
        if weight <= 0:
            return None
        owner, live = await self.territory(s.brand_id, org_id, s.gtin, s.at)
        region = s.region or default_resolver().resolve(loc.lat, loc.lon)
        radius = tol.buffer_km + uncertainty
        if await self.inside(s.brand_id, live, region, (loc.lat, loc.lon), radius):
            return None
        if await self.ctx.alerts(s.brand_id, code=s.code, limit=1):
            return None  # a known copy: the clone alert tells the story
        try:
            dealer = await self.dealers.get(s.brand_id, org_id)
        except DealerNotFound:
            return None
        key = f"unit:{s.batch_id}:{s.index}:{org_id}"
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
                "country": region.country if region else None,
                "province": region.province if region else None,
                "city": region.city if region else None,
                "gb2260": region.gb2260 if region else None,
            },
            "by": {"actor": s.actor, "channel": str(s.channel), "role": await self._role(s.actor)},
            "scan_id": scan.id,
            "weight": weight,
            "tolerances": asdict(tol),
        }
        return Finding(
            s.brand_id, key, "scan", org_id, s.code, s.gtin, s.batch_id, s.index, 1,
            scan.id, None, region, evidence, weight, s.at,
        )  # fmt: skip

    async def _role(self, actor: str) -> str:
        if actor.startswith("user:") and actor[5:].isdigit():
            try:
                return str((await self.ctx.user(int(actor[5:]))).role)
            except NotFound:
                return "unknown"
        return "consumer" if actor.startswith(("device:", "anonymous")) else "unknown"

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
        """Judge units a receiver took from another dealer without a shipment to it."""
        receiver = await self.dealers.get(brand_id, receiver_org)
        tol = await self.tolerances(brand_id)
        h = default_hierarchy()
        gtins: dict[int, str] = {}
        for batch_id in taken.by_batch:
            gtins[batch_id] = (await self.ctx.batch(batch_id)).gtin
        where: dict[str, Any]
        outside_batches = []
        for batch_id, gtin in gtins.items():
            owner, live = await self.territory(brand_id, taken.from_org, gtin, at)
            if point is not None:
                weight, radius = tol.weigh("gps", point.accuracy_m)
                if weight <= 0:
                    return None
                region = default_resolver().resolve(point.lat, point.lon)
                inside = await self.inside(
                    brand_id, live, region, (point.lat, point.lon), tol.buffer_km + radius
                )
            elif receiver.regions:
                # every home region of the receiver must lie in the holder's territory
                admin = {g.region for g in live if not g.region.startswith("custom:")}
                inside = all(
                    admin & {n.code for n in h.ancestors(code)} for code in receiver.regions
                )
                region = None
            else:
                continue  # nothing to judge the receiver's place by
            if not inside:
                outside_batches.append((batch_id, gtin, owner, live, region))
        if not outside_batches:
            return None
        batch_id, gtin, owner, live, region = outside_batches[0]
        holder = await self.dealers.get(brand_id, taken.from_org)
        first = taken.by_batch[batch_id][0]
        where = (
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
        finding = Finding(
            brand_id, f"receipt:{taken.movement_id}", "receipt", taken.from_org,
            str(evidence["code"]), gtin, batch_id, first.first, taken.items, None,
            taken.movement_id, reg, evidence, 1.0, at,
        )  # fmt: skip
        return await self._raise(finding)

    # -- storing and announcing --------------------------------------------------------
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

    async def store(self, tx: Tx, f: Finding) -> int | None:
        """Store a finding in ``tx``: a sighting when its weight alone is below 1, and
        the alert once the unit's sightings add up; the new alert's id, else None.
        Idempotent: a scan already counted or an alert already raised for the same key
        changes nothing, so a redelivered stream event never doubles an alert."""
        if await tx.fetchrow(
            "SELECT id FROM territories_alerts WHERE brand_id = ? AND dedup_key = ?",
            f.brand_id,
            f.key,
        ):
            return None
        evidence = dict(f.evidence)
        if f.weight < 1.0 and f.scan_id is not None and f.batch_id is not None:
            total, n = await self._sighting(tx, f)
            if total < 1.0 - 1e-9:
                return None
            evidence["weight"] = total
            evidence["sightings"] = n
        row = await tx.fetchrow(
            "INSERT INTO territories_alerts (brand_id, at, dedup_key, source, org_id,"
            " code, gtin, batch_id, idx, items, scan_id, movement_id, country,"
            " province, city, evidence) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            f.brand_id, f.at, f.key, f.source, f.org_id, f.code, f.gtin, f.batch_id,
            f.index, f.items, f.scan_id, f.movement_id,
            f.region.country if f.region else None,
            f.region.province if f.region else None,
            f.region.city if f.region else None,
            json.dumps(evidence, ensure_ascii=False, sort_keys=True),
        )  # fmt: skip
        assert row is not None
        alert_id = int(row["id"])
        await _append_event(tx, alert_id, "open", "system", "raised", None, None)
        return alert_id

    async def _sighting(self, tx: Tx, f: Finding) -> tuple[float, int]:
        """Count the finding's scan once as a sighting of the unit by its holder; the
        sightings' total weight and number."""
        if not await tx.fetchrow(
            "SELECT id FROM territories_sightings WHERE batch_id = ? AND idx = ?"
            " AND org_id = ? AND scan_id = ?",
            f.batch_id,
            f.index,
            f.org_id,
            f.scan_id,
        ):
            await tx.execute(
                "INSERT INTO territories_sightings (brand_id, batch_id, idx, org_id,"
                " scan_id, weight, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                f.brand_id, f.batch_id, f.index, f.org_id, f.scan_id, f.weight, f.at,
            )  # fmt: skip
        row = await tx.fetchrow(
            "SELECT SUM(weight) AS total, COUNT(*) AS n FROM territories_sightings"
            " WHERE batch_id = ? AND idx = ? AND org_id = ?",
            f.batch_id,
            f.index,
            f.org_id,
        )
        total = float(row["total"]) if row and row["total"] is not None else 0.0
        return total, int(row["n"]) if row else 1

    async def announce(
        self, tx: Tx, brand_id: int, alert_id: int, evidence: dict[str, Any]
    ) -> None:
        """In ``tx``, with the alert: a message to the brand admins (through the outbox)
        and the stream event ``territories.diversion_alert`` (last: see ``publish``)."""
        holder = evidence["holder"]
        seen = evidence["seen"]
        place = seen.get("province") or ", ".join(seen.get("home_regions", [])) or "?"
        title = f"窜货预警 Diversion alert #{alert_id}"
        body = (
            f"经销商 {holder['code']}（{holder['name']}）的货品 {evidence['code']}"
            f" 出现在授权区域外：{place}。\n"
            f"Goods {evidence['code']} held by dealer {holder['code']} ({holder['name']})"
            f" were seen outside its territory: {place}."
        )
        data = {
            "alert_id": alert_id,
            "dealer": holder["code"],
            "code": evidence["code"],
            "province": seen.get("province"),
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
        for scan in await self._scans(wanted):
            finding = await self.judge_scan(scan)
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
        for e in batch:
            if e.kind == "scan" and e.ref in findings:
                f = findings[e.ref]
                alert_id = await self.store(tx, f)
                if alert_id is not None:
                    await self.announce(tx, f.brand_id, alert_id, f.evidence)
            elif e.kind == "alert":
                await self.on_core_alert(e.brand_id, e.ref, e.payload, tx)

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
        """A clone alert: dismiss the code's open diversion alerts (a copy, not a
        diversion), in ``tx`` (else a transaction of its own). Returns how many were
        dismissed; a second call for the same alert finds none open."""
        if brand_id is None or details.get("kind") not in CLONE_KINDS or not details.get("code"):
            return 0
        if tx is None:
            async with self.ctx.db.write() as own:
                return await self.on_core_alert(brand_id, alert_id, details, own)
        found = await tx.fetch(
            "SELECT a.id FROM territories_alerts a WHERE a.brand_id = ? AND a.code = ?"
            " AND (SELECT e.state FROM territories_alert_events e WHERE e.alert_id = a.id"
            " ORDER BY e.id DESC LIMIT 1) = 'open'",
            brand_id,
            details["code"],
        )
        for r in found:
            await _append_event(
                tx,
                int(r["id"]),
                "dismissed",
                "system",
                f"superseded by clone alert {alert_id} ({details['kind']}): the label is"
                " copied, not diverted",
                None,
                None,
            )
        return len(found)

    async def raise_finding(self, finding: Finding) -> int | None:
        """Store a finding made elsewhere in the plugin (a flagged shipment) and announce
        its alert, in a transaction of its own; the alert's id, None if its key had one."""
        return await self._raise(finding)


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
    ) -> list[DiversionAlert]:
        """The brand's alerts matching every filter, by id; at most ``limit`` with ids
        above ``after_id`` (keyset paging)."""
        require_permission(principal, Action.ALERTS_READ, brand_id=brand_id)
        if state is not None and state not in STATES:
            raise InvalidInput(f"state {state!r}: one of {', '.join(STATES)}")
        # the state is derived (the newest event), so it is filtered on the derived row
        sql = f"SELECT * FROM ({_ALERT_SELECT} WHERE a.brand_id = ?) x WHERE 1 = 1"
        args: list[Any] = [brand_id]
        for clause, value in (
            (" AND x.org_id = ?", org_id),
            (" AND x.at >= ?", since),
            (" AND x.id > ?", after_id),
            (" AND COALESCE(x.state, 'open') = ?", state),
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
