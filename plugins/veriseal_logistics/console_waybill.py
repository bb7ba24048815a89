"""``/console/logistics/waybills/{id}``: one shipment (phone first).

- its timeline: the checkpoints in event-time order, numbered from 1 (the numbers of
  the map's dots), each with its status in the reader's language, the carrier's own
  status text and description, the place and the source it came from;
- the ETA the receiver sees ("expected 12–14 Dec" / "预计 12月12日–14日": the days of
  the ETA's p50 and p90 in the reader's time zone) and what it rests on;
- the waybill's open alerts with their evidence, and for ``logistics.manage`` a form
  closing each with a note;
- a map (:mod:`.console_map`, drawn on the server from the shipped boundary data): the
  provinces the planned route's corridor crosses and those the checkpoints lie in, the
  route (origin, waypoints, destination), the corridor and the checkpoints, those off
  the route marked: the checkpoints the off-route rule names (:func:`.rules.off_route`).

The service checks the reader's scope (``get`` / ``timeline``); the map is drawn in a
worker thread (simplifying provinces takes a few milliseconds each)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from veriseal.extend import Page
from veriseal_logistics.console_common import context, labels
from veriseal_logistics.console_format import (
    eta_basis,
    eta_text,
    evidence_summary,
    kind_label,
    status_label,
)
from veriseal_logistics.console_map import MapPoint, province_shapes, route_map
from veriseal_logistics.models import Checkpoint, Place, Rules, Waybill
from veriseal_logistics.permissions import LOGISTICS_MANAGE
from veriseal_logistics.route import Route
from veriseal_logistics.rules import off_route

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

_T = "veriseal_logistics/"


def off_route_flags(timeline: Sequence[Checkpoint], route: Route, rules: Rules) -> list[bool]:
    """Which checkpoints the off-route rule names (:func:`.rules.off_route`, so the map
    and the alert agree): beyond the corridor, or, without coordinates, in a province
    the corridor does not cross. Delivery checkpoints are the wrong-destination rule's."""
    finding = off_route(timeline, route, rules)
    strays = {s.get("id") for s in finding.evidence.get("checkpoints", [])} if finding else set()
    return [c.id in strays for c in timeline]


def _located(places: Sequence[Place]) -> list[tuple[float, float]]:
    return [(p.lat, p.lon) for p in places if p.lat is not None and p.lon is not None]


def draw(w: Waybill, timeline: Sequence[Checkpoint], route: Route, rules: Rules,
         lang: str, flags: Sequence[bool]) -> str:  # fmt: skip
    """The waybill's map (see the module docstring); ``flags``: off-route per checkpoint."""
    line = _located([w.origin, *w.waypoints, w.destination])
    points = [
        MapPoint(n, c.place.lat, c.place.lon,
                 f"{status_label(c.status, lang)} {c.place.name}".strip(), off)
        for n, (c, off) in enumerate(zip(timeline, flags, strict=True), start=1)
        if c.place.lat is not None and c.place.lon is not None
    ]  # fmt: skip
    codes = sorted(route.provinces) + [
        p.province for p in (w.origin, w.destination, *(c.place for c in timeline))
        if p.province and p.province not in route.provinces
    ]  # fmt: skip
    title = (f"{w.origin.name} → {w.destination.name}: 路线与轨迹" if lang == "zh"
             else f"{w.origin.name} → {w.destination.name}: route and checkpoints")  # fmt: skip
    description = (
        f"{len(points)} 个轨迹点，其中 {sum(p.off_route for p in points)} 个偏离路线"
        if lang == "zh"
        else f"{len(points)} checkpoints, {sum(p.off_route for p in points)} off the route"
    )
    corridor = (route.corridor_km(rules) or 0.0) if len(line) >= 2 else 0.0
    return route_map(province_shapes(codes, lang), line, corridor, points, title=title,
                     description=description)  # fmt: skip


async def waybill_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, brand, ctx, lg = await context(call)
    waybill_id = call.int_param("id")
    w = await lg.waybills.get(who, waybill_id)
    timeline = await lg.waybills.timeline(who, waybill_id)
    rules = await lg.settings.rules(w.brand_id)
    route = Route.plan(w.origin, w.destination, w.waypoints, rules)
    flags = off_route_flags(timeline, route, rules)
    svg = await asyncio.to_thread(draw, w, timeline, route, rules, call.lang, flags)
    alerts = await lg.alerts.listing(who, brand, status="open", waybill_id=w.id, limit=100)
    today = dt.datetime.now(call.tz).date()
    eta: dict[str, Any] | None = None
    if w.eta is not None:
        eta = {"text": eta_text(w.eta, call.tz, call.lang, today),
               "basis": eta_basis(w.eta, call.lang)}  # fmt: skip
    return Page(_T + "waybill.html", {
        "brand": brand, "w": w, "status_text": status_label(w.status, call.lang),
        "timeline": [(n, c, off) for n, (c, off) in enumerate(zip(timeline, flags,
                                                                   strict=True), start=1)],
        "eta": eta, "map": svg, "route_km": route.length_km,
        "corridor_km": route.corridor_km(rules) or 0.0,
        "alerts": [(a, kind_label(a.kind, call.lang), evidence_summary(a.evidence, call.lang))
                   for a in alerts],
        "can_close": ctx.allowed(who, LOGISTICS_MANAGE), "error": error, **labels(),
    }, status)  # fmt: skip
