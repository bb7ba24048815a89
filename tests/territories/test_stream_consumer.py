"""The diversion checks as a consumer of the event stream: nothing happens on the
verify request, everything once the consumer ran, and redelivered events (at least
once) never double an alert, a sighting or a message."""

from __future__ import annotations

from tests.territories.conftest import HANGZHOU, World, drain
from tests.territories.test_shipments_diversion import pack_pallet, scan
from veriseal.accounts.models import SYSTEM, Role
from veriseal.extend.stream import lag
from veriseal.notifications.inbox import Inbox
from veriseal_territories.plugin import DIVERSION_CONSUMER


async def _redeliver_everything(w: World) -> None:
    """What a crash between the effects and the cursor would cause, were they not one
    transaction, and what a restored backup does: the consumer sees it all again."""
    async with w.engine.ledger.write() as tx:
        await tx.execute(
            "UPDATE stream_cursors SET position = 0 WHERE consumer = ?", DIVERSION_CONSUMER
        )


async def _sightings(w: World) -> int:
    async with w.engine.ledger.read() as tx:
        row = await tx.fetchrow("SELECT COUNT(*) AS n FROM territories_evidence")
    return 0 if row is None else int(row["n"])


async def test_the_check_runs_on_the_stream_and_redelivery_changes_nothing(
    network: World,
) -> None:
    w, t = network, network.t
    root = await w.engine.accounts.brand_org(w.brand)
    boss = await w.engine.accounts.create_user(
        SYSTEM, contact="boss@acme.example", display_name="Boss", role=Role.BRAND_ADMIN,
        org_id=root.id,
    )  # fmt: skip
    await t.shipments.ship(SYSTEM, w.brand, "GD01", [await pack_pallet(w)])
    await t.diversion.set_tolerances(SYSTEM, w.brand.id, ip_weight=0.5, suspect_score=1.5)
    codes = w.codes(0, 48)
    await scan(w, codes[30], HANGZHOU)  # a GPS fix outside GD01's territory
    await scan(w, codes[6], HANGZHOU, source="ip", accuracy=None, actor="device:b")  # half
    assert await t.alerts.list(SYSTEM, w.brand.id) == []  # not on the verify request
    lags = await lag(w.engine.ledger, [DIVERSION_CONSUMER])
    [behind] = [x for x in lags if x.consumer == DIVERSION_CONSUMER]
    assert behind.lag > 0
    await drain(w.engine)
    [alert] = await t.alerts.list(SYSTEM, w.brand.id)
    assert alert.index == 6 and alert.items == 2 and await _sightings(w) == 2  # 6 tipped it
    assert len(await Inbox(w.engine.ledger).history(boss.id)) == 1
    await _redeliver_everything(w)
    assert await drain(w.engine) > 0
    # no observation was counted twice
    assert await _sightings(w) == 2
    assert [a.id for a in await t.alerts.list(SYSTEM, w.brand.id)] == [alert.id]
    assert len(await Inbox(w.engine.ledger).history(boss.id)) == 1
    # the alert was announced on the stream once, with the alert it announces
    async with w.engine.ledger.read() as tx:
        announced = await tx.fetch(
            "SELECT ref FROM stream_events WHERE kind = 'territories.diversion_alert'"
        )
    assert [int(r["ref"]) for r in announced] == [alert.id]
