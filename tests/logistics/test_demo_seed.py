"""``veriseal serve --demo``: the demo brand's dealers have parcels on the way, one of
each alert kind, and the misdelivered one is a territories diversion alert once the
stream is consumed; a second demo start adds nothing."""

from __future__ import annotations

from veriseal import demo
from veriseal.accounts.models import SYSTEM
from veriseal.engine import Engine
from veriseal.extend import drain_events
from veriseal_logistics.demo import PARCELS
from veriseal_logistics.models import AlertKind
from veriseal_logistics.service import of
from veriseal_territories.service import of as territories_of


async def test_demo_parcels_show_every_alert_kind(engine: Engine) -> None:
    for _ in range(2):  # a second demo start adds nothing
        await demo.seed(engine, "127.0.0.1:8080")
        await demo.seed_people(engine)  # as `veriseal serve --demo` does
        await demo.seed_verifications(engine)
        await engine.plugins.seed_demo(await engine.brands.get(demo.DEMO_BRAND))
    brand = await engine.brands.get(demo.DEMO_BRAND)
    lg = of(engine.plugins.context("logistics"))
    waybills = await lg.waybills.listing(SYSTEM, brand)
    assert len(waybills) == len(PARCELS)
    kinds = {a.kind for a in await lg.alerts.listing(SYSTEM, brand)}
    assert kinds == set(AlertKind.ALL)
    await drain_events(engine)
    t = territories_of(engine.plugins.context("territories"))
    diverted = [a for a in await t.alerts.list(SYSTEM, brand.id) if a.source == "delivery"]
    assert len(diverted) == 1
    shop = next(w for w in waybills if w.tracking_no.endswith("05"))
    assert diverted[0].org_id == shop.to_org is not None
