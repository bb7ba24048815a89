"""Clone rules: the pure evaluation, and the verdicts and alerts through scanning."""

from __future__ import annotations

import datetime as dt
import json

from tests.catalog.test_lifecycle import first_codes, make_batch
from veriseal.engine import Engine
from veriseal.models import (
    AlertKind,
    Brand,
    ClonePolicy,
    Location,
    LocationSource,
    ScanChannel,
    ScanQuery,
    ScanSummary,
)
from veriseal.regions.geo import distance_km
from veriseal.scanning.clones import evaluate
from veriseal.scanning.service import ScanContext
from veriseal.scanning.verification import Outcome

T0 = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
SHANGHAI = Location(31.2304, 121.4737, 20.0, LocationSource.GPS)
BEIJING = Location(39.9042, 116.4074, 20.0, LocationSource.GPS)
PUDONG = Location(31.2214, 121.5447, 30.0, LocationSource.GPS)


def before(count: int, last: Location | None, minutes_ago: float) -> ScanSummary:
    at = T0 - dt.timedelta(minutes=minutes_ago)
    return ScanSummary(count, at, last, at, first_id=1, last_id=9, last_location=last)


def test_distances() -> None:
    assert 1060 < distance_km(SHANGHAI, BEIJING) < 1075  # 1,067 km by great circle
    assert distance_km(SHANGHAI, SHANGHAI) == 0


def test_impossible_travel() -> None:
    policy = ClonePolicy(max_verifications=None, max_speed_kmh=900)
    flagged = evaluate(policy, before(1, SHANGHAI, 30), T0, BEIJING)  # 1,067 km in 30 min
    assert [f.kind for f in flagged] == [AlertKind.IMPOSSIBLE_TRAVEL]
    assert flagged[0].evidence == (9,) and flagged[0].details["speed_kmh"] > 2000
    assert evaluate(policy, before(1, SHANGHAI, 180), T0, BEIJING) == []  # 3 h: a flight
    assert evaluate(policy, before(1, SHANGHAI, 0.1), T0, PUDONG) == []  # across town
    assert evaluate(policy, before(1, None, 1), T0, BEIJING) == []  # no earlier location
    assert evaluate(policy, before(1, SHANGHAI, 1), T0, None) == []
    vague = Location(39.9042, 116.4074, 1_500_000.0, LocationSource.IP)  # +-1,500 km
    assert evaluate(policy, before(1, SHANGHAI, 30), T0, vague) == []


def test_verification_count() -> None:
    policy = ClonePolicy(max_verifications=3, max_speed_kmh=None)
    assert evaluate(policy, before(2, None, 5), T0, None) == []  # third verification
    crossing = evaluate(policy, before(3, None, 5), T0, None)
    assert [(f.kind, f.raise_alert) for f in crossing] == [(AlertKind.CLONE_COUNT, True)]
    later = evaluate(policy, before(7, None, 5), T0, None)
    assert [(f.kind, f.raise_alert) for f in later] == [(AlertKind.CLONE_COUNT, False)]
    assert evaluate(ClonePolicy(None, None), before(99, SHANGHAI, 0), T0, BEIJING) == []


async def test_scans_raise_alerts_and_change_the_verdict(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand)
    uri_a, uri_b = await first_codes(engine, brand, batch, 2)
    await engine.ledger.set_clone_policy(brand.id, None, ClonePolicy(max_verifications=2))

    def ctx(where: Location | None = None) -> ScanContext:
        return ScanContext(ScanChannel.WEB, "device:x", where)

    outcomes = [(await engine.scans.scan(uri_a, ctx())).verification.outcome for _ in range(4)]
    assert outcomes == [
        Outcome.GENUINE,
        Outcome.GENUINE,
        Outcome.SUSPECTED_CLONE,
        Outcome.SUSPECTED_CLONE,
    ]
    alerts = await engine.ledger.list_alerts(brand.id, kind=AlertKind.CLONE_COUNT)
    assert len(alerts) == 1  # raised once, at the crossing
    assert json.loads(alerts[0].alert.details) == {"limit": 2, "verifications": 3}
    scans = await engine.ledger.list_scans(brand.id, ScanQuery(code=alerts[0].alert.code))
    assert set(alerts[0].alert.evidence) <= {s.id for s in scans}
    assert scans[2].scan.outcome == "suspected_clone"

    first = await engine.scans.scan(uri_b, ctx(SHANGHAI))
    assert first.verification.outcome is Outcome.GENUINE
    copy = await engine.scans.scan(uri_b, ctx(BEIJING))  # seconds later, 1,067 km away
    assert (copy.verification.outcome, copy.verification.reason) == (
        Outcome.SUSPECTED_CLONE,
        "impossible_travel",
    )
    travel = await engine.ledger.list_alerts(brand.id, kind=AlertKind.IMPOSSIBLE_TRAVEL)
    assert [a.alert.evidence for a in travel] == [(first.scan_id, copy.scan_id)]
    # a product's own policy overrides the brand's
    await engine.ledger.set_clone_policy(brand.id, batch.gtin, ClonePolicy(None, None))
    assert (await engine.scans.scan(uri_a, ctx())).verification.outcome is Outcome.GENUINE
