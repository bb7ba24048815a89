"""The hello plugin on the event stream: its consumer ``hello.counts`` counts every
recorded scan by country and, when a brand's codes are first scanned in a country,
tells the brand's admins and publishes ``hello.new_country`` for other plugins.

Delivery is at least once: every effect (the counts, the notices, the published event)
is written in the consumer's transaction, which moves its cursor too, and a scan
counted already is a no-op, so a redelivered batch changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from veriseal.extend import Batch, Consumer, PluginContext, StreamEvent, Tx, publish
from veriseal_hello.models import NEW_COUNTRY, NEW_COUNTRY_EVENT, Sighting
from veriseal_hello.service import of

#: The consumer's name keys its cursor: renaming it starts over from the beginning.
CONSUMER = "hello.counts"


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare` found: each scan's sighting, and the admins of each brand
    that may be seen in a new country."""

    sightings: tuple[Sighting, ...]
    admins: dict[int, list[int]] = field(default_factory=dict)


async def prepare(ctx: PluginContext, events: Sequence[StreamEvent]) -> Prepared:
    """Before the transaction opens (reads only; may run again for the same events)."""
    sightings = []
    for event in events:
        scan = await ctx.scan(event.ref)
        country = scan.scan.region.country if scan.scan.region else ""
        sightings.append(Sighting(scan.id, scan.scan.brand_id, country))
    hello = of(ctx)
    candidates = await hello.store.unknown(
        (s.brand_id, s.country) for s in sightings if s.brand_id is not None and s.country
    )
    brands = {brand_id for brand_id, _ in candidates}
    return Prepared(tuple(sightings), {b: await hello.admins(b) for b in brands})


async def handle(ctx: PluginContext, batch: Batch, tx: Tx) -> None:
    """In the consumer's transaction: count, notify, and publish last."""
    prepared: Prepared = batch.prepared
    firsts = await of(ctx).store.record(tx, prepared.sightings)
    for s in firsts:
        assert s.brand_id is not None  # record() returns branded sightings only
        admins = prepared.admins.get(s.brand_id, [])
        if admins:
            title = f"Scanned in a new country: {s.country} / 新的扫码国家或地区：{s.country}"
            body = f"Your codes were scanned in {s.country} for the first time (scan {s.scan_id})."
            await ctx.notify(admins, NEW_COUNTRY, title, body, {"country": s.country}, tx=tx)
    # last in the transaction: on PostgreSQL publishing holds the stream's append lock
    for s in firsts:
        await publish(tx, NEW_COUNTRY_EVENT, s.brand_id, s.scan_id, {"country": s.country})


def consumers() -> list[Consumer]:
    """What the ``event_consumers`` hook declares."""
    return [Consumer(CONSUMER, frozenset({"scan"}), handle, batch_size=200, prepare=prepare)]
