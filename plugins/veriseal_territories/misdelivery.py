"""Misdeliveries reported by the logistics plugin, taken as diversion evidence.

The logistics plugin publishes ``logistics.misdelivered`` when a carrier reports a
shipment to a dealer signed for outside the place it was sent to (its payload: the
waybill, the territories shipment ``movement_id``, the receiver ``to_org``, the
delivered ``place`` with coordinates and areas, and the ``expected`` regions). Goods
signed for outside the receiver's territory are where diversion starts, so the
consumer :data:`CONSUMER` raises a diversion alert on the receiving dealer:

- level ``suspected``: a carrier's sign-off place is the carrier's word (a depot, a
  locker), weaker than a located scan of the goods;
- one alert per waybill (dedup key ``logistics:<waybill id>``), so a redelivered event
  changes nothing;
- the alert's evidence names the waybill, the shipment, the delivered place and the
  expected regions; it goes to the brand admins and onto the stream
  (``territories.diversion_alert``) like every diversion alert;
- a receiver that is not one of the brand's dealers (the brand's own site) is passed
  over: there is no territory to leave.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from veriseal import Region
from veriseal.extend import Batch, Consumer, PluginContext, StreamEvent, Tx
from veriseal_territories.dealers import DealerNotFound
from veriseal_territories.diversion import Finding
from veriseal_territories.evidence import Level

KIND = "logistics.misdelivered"


async def _prepare(ctx: PluginContext, events: Sequence[StreamEvent]) -> list[Finding]:
    """Before the transaction: the findings (dealer lookups, and the brand admins the
    alert will tell, read now so the transaction looks nothing up)."""
    from veriseal_territories.service import of  # noqa: PLC0415

    t = of(ctx)
    out: list[Finding] = []
    for e in events:
        p = e.payload or {}
        to_org = p.get("to_org")
        if e.kind != KIND or not isinstance(to_org, int):
            continue
        try:
            dealer = await t.dealers.get(e.brand_id, to_org)
        except DealerNotFound:
            continue
        await t.diversion.warm(e.brand_id)
        out.append(_finding(e, dealer.code, dealer.name, p))
    return out


def _finding(e: StreamEvent, code: str, name: str, p: dict[str, Any]) -> Finding:
    place = p.get("place") or {}
    evidence = {
        "code": f"waybill {p.get('carrier')} {p.get('tracking_no')}",
        "holder": {"org_id": p["to_org"], "code": code, "name": name},
        "seen": {"at": p.get("delivered_at") or e.at.isoformat(), "source": "carrier",
                 "lat": place.get("lat"), "lon": place.get("lon"),
                 "province": place.get("province"), "city": place.get("city"),
                 "place": place.get("name")},
        "territory": {"regions": list(p.get("expected") or [])},
        "waybill": {"id": p.get("waybill_id"), "carrier": p.get("carrier"),
                    "tracking_no": p.get("tracking_no"), "reference": p.get("reference"),
                    "logistics_alert": p.get("alert_id")},
        "movement_id": p.get("movement_id"),
    }  # fmt: skip
    province = place.get("province")
    at = dt.datetime.fromisoformat(p["delivered_at"]) if p.get("delivered_at") else e.at
    return Finding(
        e.brand_id, f"logistics:{p.get('waybill_id')}", "delivery", int(p["to_org"]),
        str(evidence["code"]), None, None, None, 0, None,
        p.get("movement_id") if isinstance(p.get("movement_id"), int) else None,
        Region("CN" if str(province or "").startswith("CN") else "", province, "")
        if province else None,
        evidence, 1.0, at, None, Level.SUSPECTED,
    )  # fmt: skip


async def _apply(ctx: PluginContext, batch: Batch, tx: Tx) -> None:
    """In the consumer's transaction: store each finding (once per waybill) and
    announce the alert it raised."""
    from veriseal_territories.service import of  # noqa: PLC0415

    diversion = of(ctx).diversion
    for f in batch.prepared or ():
        alert_id = await diversion.store(tx, f)
        if alert_id is not None:
            await diversion.announce(tx, f.brand_id, alert_id, f.evidence)


CONSUMER = Consumer("territories.misdeliveries", frozenset({KIND}), _apply, batch_size=100,
                    prepare=_prepare)  # fmt: skip
