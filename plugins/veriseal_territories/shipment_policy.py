"""Shipments checked at the source: may the receiver sell what it is being sent, there?

When goods are scanned out to a dealer (``shipments out``, ``POST shipments``, ``sync``)
the receiving dealer is asked, for each product shipped, the same question as the
order-time check ``territories.authorize`` (:meth:`GrantService.authorize`), with the
destination:

- the shipment's ``destination`` (a region code or a point) when the shipper names one;
- else the receiver's home regions (its dealer record): the shipment passes for a
  product when the receiver is authorized in AT LEAST ONE of them (a dealer spanning
  two provinces and authorized in one may be stocking that one; name the destination to
  be stricter);
- else the destination is unknown: only what holds wherever the goods go is judged
  (the receiver is inactive, has no grant for the product, or none in force:
  :meth:`GrantService.refusal_anywhere`); a receiver with a grant in force gets the
  benefit of the doubt, and the scan-time diversion check watches the goods from there.

A dealer shipping to a dealer outside its own line (not its shops, not its upstream) is
asked the same question about ITSELF: goods a Guangdong dealer sells on to a Zhejiang
dealer are diverted even when the Zhejiang dealer may sell them in Zhejiang (it should
buy from its own upstream); the shipment passes only when both may sell there.

A brand with no grant at all does not use territories: nothing is checked.

The per-brand policy (``veriseal shipments policy``, newest setting wins) says what a
failed check does, separately for the two kinds of shipper:

- ``check`` (shipments from a dealer: lateral, or down to its own shops), default
  ``flag``: the shipment is recorded and a diversion alert of source ``shipment`` is
  raised for the shipper. Refusing would not stop the truck, only its record: the
  dealer ships unscanned and the goods trail is lost; the flag keeps the trail and the
  evidence the penalty workflow needs.
- ``warehouse_check`` (the brand's own warehouse), default ``refuse``: an error of the
  brand's own dock, caught before the goods leave (``shipment_not_authorized``, nothing
  written); the operator picks the right dealer or the brand grants the territory first.

``off`` checks nothing. A refusal names the first product refused and why; the
shipment's answer (``territory_check``) lists every product's answers either way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from veriseal import (
    Brand,
    Forbidden,
    IndexRange,
    InvalidInput,
    Principal,
    Region,
    RegionNotFound,
    default_boundaries,
    default_resolver,
    register_messages,
    require_permission,
)
from veriseal.extend import PluginContext
from veriseal_territories import ranges
from veriseal_territories.custom import CustomRegion
from veriseal_territories.dealers import Dealer, DealerService
from veriseal_territories.diversion import Finding
from veriseal_territories.evidence import same_line
from veriseal_territories.grants import Decision, GrantService, row_time
from veriseal_territories.hierarchy import default_hierarchy
from veriseal_territories.permissions import TERRITORY_GRANT

register_messages(
    {
        "error.shipment_not_authorized": (
            "The receiving dealer is not authorized for these goods there",
            "收货经销商无权在该区域销售这些货品",
        ),
        "error.shipment_policy_invalid": ("Invalid shipment check policy", "发货检查策略无效"),
    }
)

CHECKS = ("refuse", "flag", "off")
SOURCE = "shipment"  # the diversion alerts' source


class ShipmentNotAuthorized(Forbidden):
    """A shipment refused by the brand's policy: the receiver may not sell a product
    shipped where the goods are going."""

    code = "shipment_not_authorized"


class PolicyInvalid(InvalidInput):
    code = "shipment_policy_invalid"


@dataclass(frozen=True)
class ShipmentPolicy:
    """What a failed check does (see the module docstring)."""

    check: str = "flag"  # shipments from a dealer
    warehouse_check: str = "refuse"  # shipments from the brand's warehouse

    def mode(self, from_warehouse: bool) -> str:
        return self.warehouse_check if from_warehouse else self.check

    def to_dict(self) -> dict[str, str]:
        return {"check": self.check, "warehouse_check": self.warehouse_check}


@dataclass(frozen=True)
class Destination:
    """Where the shipper says the goods are going: a region code, a point, or both."""

    region: str | None = None
    point: tuple[float, float] | None = None

    @classmethod
    def parse(cls, text: str) -> Destination:
        """``CN-ZJ`` / ``330000`` / ``CN-ZJ/Hangzhou``, or ``lat,lon``."""
        m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*", text)
        if m:
            lat, lon = float(m.group(1)), float(m.group(2))
            if abs(lat) > 90 or abs(lon) > 180:
                raise InvalidInput("destination: latitude within ±90, longitude within ±180")
            return cls(point=(lat, lon))
        if not text.strip() or "\x00" in text or len(text) > 100:
            raise InvalidInput("destination: a region code (CN-ZJ) or lat,lon")
        return cls(region=text.strip())

    def label(self) -> str:
        if self.region is not None:
            return self.region
        assert self.point is not None
        return f"{self.point[0]:.5f},{self.point[1]:.5f}"

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "point": list(self.point) if self.point else None}


@dataclass(frozen=True)
class Answer:
    """One ``authorize`` answer: product ``gtin`` at ``place`` (None: no destination)."""

    gtin: str
    place: str | None
    decision: Decision

    def to_dict(self) -> dict[str, Any]:
        return {"gtin": self.gtin, "place": self.place, **self.decision.to_dict()}


@dataclass
class Verdict:
    """The check of one shipment, before anything is written."""

    mode: str  # refuse | flag | off
    shipper: Dealer | None  # None: the brand's warehouse
    shipper_org: int
    receiver: Dealer
    by_batch: dict[int, list[IndexRange]]
    destination: Destination | None = None
    skipped: str | None = None  # "off" | "no_grants": nothing judged
    answers: list[Answer] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # GTINs, in the order judged

    @property
    def authorized(self) -> bool:
        return not self.refused

    def enforce(self) -> None:
        """``shipment_not_authorized`` when the policy refuses and a product failed."""
        if self.mode != "refuse" or self.authorized:
            return
        gtin = self.refused[0]
        mine = [a for a in self.answers if a.gtin == gtin]
        first = mine[0].decision
        where = ", ".join(a.place for a in mine if a.place) or "destination unknown"
        raise ShipmentNotAuthorized(
            f"refused: product {gtin} to dealer {self.receiver.code} for {where}:"
            f" {first.dealer}: {first.reason} ({first.message})",
            product=gtin,
            reason=first.reason,
            dealer=self.receiver.code,
            refused_by=first.dealer,
            places=[a.place for a in mine],
            products=self.refused,
        )

    def to_dict(self) -> dict[str, Any]:
        """The shipment answer's ``territory_check``."""
        return {
            "policy": self.mode,
            "shipper": "warehouse" if self.shipper is None else "dealer",
            "skipped": self.skipped,
            "authorized": None if self.skipped else self.authorized,
            "destination": self.destination.to_dict() if self.destination else None,
            "refused_products": self.refused,
            "answers": [a.to_dict() for a in self.answers],
        }

    def finding(self, brand_id: int, movement_id: int, actor: str, at: dt.datetime) -> Finding:
        """The diversion alert of a flagged shipment, raised for the shipper: one per
        movement (key ``shipment:<movement id>``)."""
        gtin = self.refused[0]
        batch_id = min(self.by_batch)
        first = self.by_batch[batch_id][0]
        items = sum(ranges.count(r) for r in self.by_batch.values())
        region = _region(self.destination, self.receiver)
        shipper = (
            {"org_id": self.shipper_org, "code": "", "name": "warehouse", "warehouse": True}
            if self.shipper is None
            else {"org_id": self.shipper_org, "code": self.shipper.code,
                  "name": self.shipper.name}
        )  # fmt: skip
        receiver = self.receiver
        territory = sorted({r for a in self.answers for r in a.decision.territory})
        seen: dict[str, Any] = {"at": at.isoformat(), "home_regions": list(receiver.regions)}
        if self.destination is not None:
            seen["destination"] = self.destination.to_dict()
        if region is not None:
            seen.update(country=region.country, province=region.province, city=region.city)
        evidence = {
            "code": f"batch {batch_id} items {first}",
            "ranges": {str(b): [str(r) for r in spans] for b, spans in self.by_batch.items()},
            "items": items,
            "holder": shipper,
            "shipper": shipper,
            "receiver": {"org_id": receiver.org_id, "code": receiver.code,
                         "name": receiver.name, "regions": list(receiver.regions)},
            "territory": {"owner_org_id": receiver.org_id, "regions": territory},
            "seen": seen,
            "products": sorted({a.gtin for a in self.answers}),
            "refused_products": self.refused,
            "authorize": [a.to_dict() for a in self.answers],
            "by": {"actor": actor, "channel": "handheld", "role": "shipper"},
            "movement_id": movement_id,
            "policy": self.mode,
        }  # fmt: skip
        return Finding(
            brand_id, f"shipment:{movement_id}", SOURCE, self.shipper_org,
            str(evidence["code"]), gtin, batch_id, first.first, items, None, movement_id,
            region, evidence, 1.0, at,
        )  # fmt: skip


def _overlaps(decision: Decision, region: str, customs: Mapping[str, CustomRegion]) -> bool:
    """Whether a refused ``decision``'s territory lies partly inside ``region``: an
    administrative area below it, or a custom region whose polygon reaches into it."""
    if decision.reason != "outside_territory":
        return False
    h = default_hierarchy()
    try:
        wide = h.get(region).code
        area = default_boundaries().geometry(wide) if h.get(region).kind != "place" else None
    except RegionNotFound:
        return False
    for code in decision.territory:
        if code.startswith("custom:"):
            shape = customs.get(code[7:])
            if shape is not None and area is not None and shape.geometry.intersects(area):
                return True
        elif wide in {n.code for n in h.ancestors(code)}:
            return True
    return False


def _region(destination: Destination | None, receiver: Dealer) -> Region | None:
    """Country, province and city of where the goods go, for the alert's columns."""
    if destination is not None and destination.point is not None:
        return default_resolver().resolve(*destination.point)
    code = destination.region if destination is not None else None
    code = code or (receiver.regions[0] if receiver.regions else None)
    if code is None:
        return None
    nodes = {n.kind: n for n in default_hierarchy().ancestors(code)}
    country, province, city = nodes.get("country"), nodes.get("province"), nodes.get("city")
    return Region(
        country.code if country else "",
        province.code if province else (country.code if country else ""),
        city.name if city else "",
        province.gb2260 if province else None,
    )


class ShipmentChecks:
    """The brand's policy (stored appended in ``territories_shipment_policy``) and the
    check of a shipment against it."""

    def __init__(self, ctx: PluginContext, dealers: DealerService, grants: GrantService) -> None:
        self.ctx = ctx
        self.dealers = dealers
        self.grants = grants

    async def policy(self, brand_id: int) -> ShipmentPolicy:
        async with self.ctx.db.read() as tx:
            row = await tx.fetchrow(
                "SELECT dealer_check, warehouse_check FROM territories_shipment_policy"
                " WHERE brand_id = ? ORDER BY id DESC LIMIT 1",
                brand_id,
            )
        if row is None:
            return ShipmentPolicy()
        return ShipmentPolicy(str(row["dealer_check"]), str(row["warehouse_check"]))

    async def history(self, brand_id: int) -> list[dict[str, Any]]:
        """Every setting of the brand's policy, oldest first (who changed it, when)."""
        async with self.ctx.db.read() as tx:
            found = await tx.fetch(
                "SELECT dealer_check, warehouse_check, actor, at"
                " FROM territories_shipment_policy WHERE brand_id = ? ORDER BY id",
                brand_id,
            )
        return [
            {"check": r["dealer_check"], "warehouse_check": r["warehouse_check"],
             "actor": r["actor"], "at": row_time(r["at"]).isoformat()}
            for r in found
        ]  # fmt: skip

    async def set_policy(
        self,
        principal: Principal,
        brand_id: int,
        check: str | None = None,
        warehouse_check: str | None = None,
    ) -> ShipmentPolicy:
        """Change one or both settings (``territory.grant``); the new policy."""
        require_permission(principal, TERRITORY_GRANT, brand_id=brand_id)
        for name, value in (("check", check), ("warehouse_check", warehouse_check)):
            if value is not None and value not in CHECKS:
                raise PolicyInvalid(f"{name} must be one of {', '.join(CHECKS)}, not {value!r}")
        current = await self.policy(brand_id)
        new = ShipmentPolicy(check or current.check, warehouse_check or current.warehouse_check)
        actor = f"user:{principal.user_id}" if principal.user_id is not None else principal.client
        async with self.ctx.db.write() as tx:
            await tx.execute(
                "INSERT INTO territories_shipment_policy (brand_id, dealer_check,"
                " warehouse_check, actor, at) VALUES (?, ?, ?, ?, ?)",
                brand_id,
                new.check,
                new.warehouse_check,
                actor,
                dt.datetime.now(dt.UTC),
            )
        return new

    async def judge(
        self,
        brand: Brand,
        from_org: int,
        to: Dealer,
        by_batch: dict[int, list[IndexRange]],
        destination: Destination | None = None,
        at: dt.datetime | None = None,
    ) -> Verdict:
        """Check a shipment (reads only). ``region_not_found`` for an unknown destination."""
        warehouse = from_org == (await self.ctx.brand_org(brand)).id
        shipper = None if warehouse else await self.dealers.get(brand.id, from_org)
        mode = (await self.policy(brand.id)).mode(warehouse)
        verdict = Verdict(mode, shipper, from_org, to, by_batch, destination)
        if mode == "off":
            verdict.skipped = "off"
            return verdict
        if not await self.grants.grants(brand.id):
            verdict.skipped = "no_grants"  # the brand does not use territories
            return verdict
        places = (
            [destination]
            if destination is not None
            else [Destination(region=r) for r in to.regions]
        )
        gtins = dict.fromkeys([(await self.ctx.batch(b)).gtin for b in sorted(by_batch)])
        # a dealer selling to a dealer outside its own line must be selling where it may:
        # goods sent on to another territory's dealer are diverted even when that dealer
        # may sell them there (it should buy from its own upstream)
        lateral = shipper is not None and not same_line(shipper.path, to.path)
        for gtin in gtins:
            answers = await self._answers(brand.id, to, gtin, places, at, destination)
            if lateral and any(a.decision.allowed for a in answers):
                assert shipper is not None
                answers = await self._answers(brand.id, shipper, gtin, places, at, destination)
            verdict.answers += answers
            if not any(a.decision.allowed for a in answers):
                verdict.refused.append(gtin)
        return verdict

    async def _answers(
        self,
        brand_id: int,
        to: Dealer,
        gtin: str,
        places: list[Destination],
        at: dt.datetime | None,
        explicit: Destination | None = None,
    ) -> list[Answer]:
        """``authorize`` at every place; with no place, the refusal that holds anywhere
        (no answer: the receiver holds a grant in force for the product). A home region
        (any place but the ``explicit`` destination) that contains part of the territory
        is enough."""
        if not places:
            refusal = await self.grants.refusal_anywhere(brand_id, to.code, gtin, at)
            if refusal is None:
                ok = Decision(True, "destination_unknown", "no destination: a grant is in force",
                              to.code)  # fmt: skip
                return [Answer(gtin, None, ok)]
            return [Answer(gtin, None, refusal)]
        out = []
        for p in places:
            decision = await self.grants.authorize(brand_id, to.code, gtin, p.region, p.point, at)
            if (
                p is not explicit
                and p.region is not None
                and _overlaps(decision, p.region, await self.grants.custom_regions(brand_id))
            ):
                # a home region wider than the grant (an importer registered for "VN",
                # granted "VN-34"): the goods may be for the granted part of it
                decision = replace(decision, allowed=True, reason="overlaps_territory")
            out.append(Answer(gtin, p.label(), decision))
        return out
