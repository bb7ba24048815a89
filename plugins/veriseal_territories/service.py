"""The territories services of one engine, bundled: what the CLI, the routes and the
hooks call. ``of(ctx)`` returns the instance kept in the plugin context's state (built
on first use; its caches live as long as the engine)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from veriseal import Brand, IndexRange, InvalidInput, Principal, VerisealError
from veriseal.extend import PluginContext
from veriseal_territories.dealers import Dealer, DealerService
from veriseal_territories.diversion import AlertWorkflow, DiversionService
from veriseal_territories.grants import GrantService
from veriseal_territories.network import NetworkView
from veriseal_territories.shipment_policy import Destination, ShipmentChecks, Verdict
from veriseal_territories.shipments import (
    NO_OPTIONS,
    MoveOptions,
    MoveResult,
    Point,
    ShipmentService,
)


@dataclass
class Territories:
    ctx: PluginContext
    dealers: DealerService
    grants: GrantService
    shipments: ShipmentService
    diversion: DiversionService
    alerts: AlertWorkflow
    checks: ShipmentChecks
    network: NetworkView  # a dealer's own views: goods held, movements, alerts

    @classmethod
    def build(cls, ctx: PluginContext) -> Territories:
        dealers = DealerService(ctx)
        grants = GrantService(ctx, dealers)
        shipments = ShipmentService(ctx, dealers)
        diversion = DiversionService(ctx, dealers, grants, shipments)
        checks = ShipmentChecks(ctx, dealers, grants)
        alerts = AlertWorkflow(ctx, grants)
        network = NetworkView(ctx, dealers, grants)
        return cls(ctx, dealers, grants, shipments, diversion, alerts, checks, network)

    async def ship(
        self,
        principal: Principal,
        brand: Brand,
        to_ref: str,
        items: Sequence[str],
        *,
        from_ref: str | None = None,
        options: MoveOptions = NO_OPTIONS,
        destination: Destination | None = None,
    ) -> MoveResult:
        """Scan goods out, checked at the source (:mod:`.shipment_policy`): refused with
        ``shipment_not_authorized`` (nothing written), or recorded and flagged with a
        diversion alert for the shipper, as the brand's policy says."""
        when = options.at or dt.datetime.now(dt.UTC)
        judged: list[Verdict] = []

        async def vet(from_org: int, to: Dealer, by_batch: dict[int, list[IndexRange]]) -> None:
            verdict = await self.checks.judge(brand, from_org, to, by_batch, destination, when)
            verdict.enforce()
            judged.append(verdict)

        result = await self.shipments.ship(
            principal, brand, to_ref, items, from_ref=from_ref,
            options=replace(options, at=when), vet=vet,
        )  # fmt: skip
        if not judged:
            return result  # a replayed client_id: checked when it was first recorded
        verdict = judged[0]
        result.check = verdict.to_dict()
        if verdict.mode == "flag" and not verdict.skipped and not verdict.authorized:
            finding = verdict.finding(brand.id, result.movement_ids[0], _actor(principal), when)
            alert = await self.diversion.raise_finding(finding)
            if alert is not None:
                result.diversion_alerts.append(alert)
        return result

    async def receive(
        self,
        principal: Principal,
        brand: Brand,
        items: Sequence[str],
        *,
        at_ref: str | None = None,
        options: MoveOptions = NO_OPTIONS,
    ) -> MoveResult:
        """Scan goods in, then judge units taken from another dealer (diversion)."""
        when = options.at or dt.datetime.now(dt.UTC)
        result = await self.shipments.receive(
            principal, brand, items, at_ref=at_ref, options=replace(options, at=when)
        )
        actor = _actor(principal)
        for taken in result.taken:
            alert = await self.diversion.check_receipt(
                brand.id, result.to_org, taken, options.location, actor, when
            )
            if alert is not None:
                result.diversion_alerts.append(alert)
        return result

    async def take_back(
        self,
        principal: Principal,
        brand: Brand,
        from_ref: str,
        items: Sequence[str],
        *,
        options: MoveOptions = NO_OPTIONS,
    ) -> MoveResult:
        """The brand takes goods back from dealer ``from_ref`` (its code or ``org:<id>``;
        see :meth:`ShipmentService.take_back`). Nothing is judged: goods going back up
        to the brand are no diversion."""
        dealer = await self.dealers.find(brand.id, from_ref)
        return await self.shipments.take_back(
            principal, brand, dealer.org_id, items, options=options
        )


def _actor(principal: Principal) -> str:
    return f"user:{principal.user_id}" if principal.user_id is not None else principal.client


_STATE = "services"  # kept in the context's state: it lives and dies with the engine


def of(ctx: PluginContext) -> Territories:
    """The plugin's services in this engine (one instance per context)."""
    found = ctx.state.get(_STATE)
    if not isinstance(found, Territories):
        found = Territories.build(ctx)
        ctx.state[_STATE] = found
    return found


def when(text: str | None) -> dt.datetime | None:
    """``2026-01-01``, an ISO date-time (naive = UTC), or ``30d`` / ``12h`` ago."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*([dh])\s*", text)
    if m:
        n = int(m.group(1))
        delta = dt.timedelta(days=n) if m.group(2) == "d" else dt.timedelta(hours=n)
        return dt.datetime.now(dt.UTC) - delta
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date, an ISO date-time, or Nd / Nh") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def sync_operations(
    ctx: PluginContext, principal: Any, brand: Any, operations: list[Any]
) -> list[dict[str, Any]]:
    """Apply an offline handheld batch in order; one result (or coded error) each. Every
    operation needs a client_id, so the whole batch can be re-sent safely."""
    t = of(ctx)
    results: list[dict[str, Any]] = []
    for n, op in enumerate(operations, 1):
        try:
            if not isinstance(op, dict):
                raise InvalidInput(f"operation {n} is not an object")
            cid, kind, items = op.get("client_id"), op.get("kind"), op.get("items")
            if not isinstance(cid, str) or not cid.strip():
                raise InvalidInput(f"operation {n}: client_id is required for a sync")
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise InvalidInput(f"operation {n}: items must be a list of strings")
            point = Point.parse(op.get("location"))
            if kind == "out":
                if not isinstance(op.get("to"), str):
                    raise InvalidInput(f"operation {n}: 'to' (dealer code) is required")
                r = await t.ship(
                    principal,
                    brand,
                    op["to"],
                    items,
                    from_ref=op.get("from"),
                    options=MoveOptions(client_id=cid, location=point),
                    destination=destination(op.get("destination")),
                )
            elif kind == "in":
                r = await t.receive(
                    principal,
                    brand,
                    items,
                    at_ref=op.get("at"),
                    options=MoveOptions(client_id=cid, location=point),
                )
            else:
                raise InvalidInput(f"operation {n}: kind must be 'out' or 'in'")
            results.append({"client_id": cid, "ok": True, **r.to_dict()})
        except VerisealError as exc:
            results.append(
                {
                    "client_id": op.get("client_id") if isinstance(op, dict) else None,
                    "ok": False,
                    **exc.to_dict(),
                }
            )
    return results


def destination(data: Any) -> Destination | None:
    """A shipment's ``destination`` as JSON: ``{"region": "CN-ZJ"}`` or ``{"lat", "lon"}``
    (or null); ``invalid_input`` otherwise."""
    if data is None:
        return None
    if not isinstance(data, dict) or set(data) - {"region", "lat", "lon"}:
        raise InvalidInput("destination: {region} or {lat, lon}")
    region, lat, lon = data.get("region"), data.get("lat"), data.get("lon")
    if region is not None:
        if not isinstance(region, str) or lat is not None or lon is not None:
            raise InvalidInput("destination: a region code or a point, not both")
        return Destination.parse(region)
    point = Point.parse({"lat": lat, "lon": lon})
    assert point is not None
    return Destination(point=(point.lat, point.lon))
