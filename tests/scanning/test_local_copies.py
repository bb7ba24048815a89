"""The distinct-devices clone rule: the pure rule against an independent oracle, and the
verdicts and alerts through the scan service on each ledger backend."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.catalog.test_lifecycle import first_codes, make_batch
from veriseal.engine import Engine
from veriseal.models import AlertKind, Brand, ClonePolicy, ScanChannel
from veriseal.scanning import store
from veriseal.scanning.identities import (
    MAX_SPAN,
    ConsumerScan,
    Tally,
    bound,
    client_key,
    identities,
    local_copies,
)
from veriseal.scanning.service import ScanContext
from veriseal.scanning.verification import Outcome, parse_input

T0 = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


# -- the rule, judged scan by scan as the service does, against an oracle -----------------


def oracle_identities(scans: list[tuple[float, str, str | None]]) -> int:
    """Written from the definition: a cookie presented in the set is one identity; the
    cookies only ever seen fresh are one identity per network."""
    presented = {cookie for _, cookie, net in scans if net is None}
    return len(presented) + len({net for _, cookie, net in scans if cookie not in presented})


def oracle_fires(scans: list[tuple[float, str, str | None]], limit: int, days: float) -> bool:
    """Whether any closed window of ``days`` holds more than ``limit`` identities."""
    return any(
        oracle_identities([s for s in scans if start <= s[0] <= start + days]) > limit
        for start, _, _ in scans
    )


def judge_in_arrival_order(
    scans: list[tuple[float, str, str | None]], policy: ClonePolicy
) -> list[bool]:
    """Each scan judged on arrival over the ones before it, reading the span the service
    reads (a window's length either side); whether it raised an alert."""
    window = dt.timedelta(days=policy.devices_window_days)
    stored: list[ConsumerScan] = []
    raised = []
    for i, (day, cookie, net) in enumerate(scans):
        current = ConsumerScan(None, T0 + day * DAY, f"device:{cookie}", net)
        span = [s for s in stored if abs(s.at - current.at) <= window]
        finding = local_copies(policy, span, current)
        raised.append(finding is not None and finding.raise_alert)
        stored.append(ConsumerScan(i + 1, current.at, current.actor, net))
    return raised


SCANS = st.lists(
    st.tuples(
        st.integers(0, 90).map(float),  # the day it happened (arrival order is the list's)
        st.sampled_from("abcdefgh"),  # the device cookie
        st.sampled_from([None, None, "n1", "n2", "n3"]),  # network when no cookie came
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(scans=SCANS, limit=st.integers(1, 5), days=st.sampled_from([7, 30]))
def test_an_alert_is_raised_iff_some_window_holds_too_many_identities(
    scans: list[tuple[float, str, str | None]], limit: int, days: int
) -> None:
    policy = ClonePolicy(max_devices=limit, devices_window_days=days)
    # a cookie comes fresh (with its network) on its first scan only: keep data coherent
    seen: set[str] = set()
    coherent = []
    for d, c, n in scans:
        coherent.append((d, c, None if c in seen else n))
        seen.add(c)
    scans = coherent
    raised = judge_in_arrival_order(scans, policy)
    assert any(raised) == oracle_fires(scans, limit, days)


def _consumer(i: int, scan: tuple[float, str, str | None]) -> ConsumerScan:
    day, cookie, net = scan
    return ConsumerScan(i, T0 + day * DAY, f"device:{cookie}", net)


@settings(max_examples=300, deadline=None)
@given(scans=SCANS, limit=st.integers(1, 5), days=st.sampled_from([7, 30]))
def test_the_bound_never_hides_a_window_over_the_limit(
    scans: list[tuple[float, str, str | None]], limit: int, days: int
) -> None:
    # any data, even a cookie fresh on two networks: the bound is at least the oracle's
    # count of identities, so "bound + 1 <= limit" never skips a window over the limit
    span = [_consumer(i, s) for i, s in enumerate(scans)]
    assert bound(span) >= oracle_identities(scans)
    if span and bound(span[1:]) + 1 <= limit:
        policy = ClonePolicy(max_devices=limit, devices_window_days=days)
        assert local_copies(policy, span[1:], span[0]) is None


@settings(max_examples=200, deadline=None)
@given(scans=SCANS, keep=st.integers(1, 8))
def test_a_tally_kept_scan_by_scan_is_the_bound_of_its_span(
    scans: list[tuple[float, str, str | None]], keep: int
) -> None:
    # as the writer's memory keeps a span: the newest first, the oldest dropped past ``keep``
    tally, span = Tally(), []
    for i, s in enumerate(scans):
        new = _consumer(i, s)
        span.insert(0, new)
        tally.add(new)
        while len(span) > keep:
            tally.remove(span.pop())
        assert tally.bound() == bound(span)
    assert all(tally.presented.values()) and all(tally.clients.values())  # no zero kept


def test_identities_merge_a_fresh_cookie_with_its_later_presentation() -> None:
    fresh = ConsumerScan(1, T0, "device:a", "n1")
    again = ConsumerScan(2, T0, "device:a", None)
    curl = [ConsumerScan(3 + i, T0, f"device:c{i}", "n2") for i in range(10)]
    assert len(identities([fresh])) == 1
    assert len(identities([fresh, again])) == 1  # the same phone's second scan
    assert len(identities(curl)) == 1  # a cookie-less client: one network, one identity
    assert len(identities([fresh, again, *curl])) == 2


def test_client_key_groups_an_ipv6_64_and_hides_the_address() -> None:
    assert client_key("2001:db8:1:2::10") == client_key("2001:db8:1:2:ffff::1")
    assert client_key("2001:db8:1:3::10") != client_key("2001:db8:1:2::10")
    assert client_key("203.0.113.7") != client_key("203.0.113.8")
    assert "203" not in (client_key("203.0.113.7") or "") and client_key(None) is None


# -- through the scan service -------------------------------------------------------------


def phone(name: str, day: float = 0) -> ScanContext:
    return ScanContext(ScanChannel.WEB, f"device:{name}", observed_at=T0 + day * DAY)


async def test_five_phones_in_one_market_fire_and_four_do_not(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand)
    copied, shared = await first_codes(engine, brand, batch, 2)
    # default policy: more than 4 devices within 30 days; the count rule (20) never sees it
    for i in range(4):
        result = await engine.scans.scan(shared, phone(f"family{i}", i))
        assert result.verification.outcome is Outcome.GENUINE
    results = [await engine.scans.scan(copied, phone(f"buyer{i}", i)) for i in range(6)]
    assert [r.verification.outcome for r in results] == [Outcome.GENUINE] * 4 + [
        Outcome.SUSPECTED_CLONE
    ] * 2
    assert results[4].verification.reason == "local_copies"
    alerts = await engine.ledger.list_alerts(brand.id, kind=AlertKind.LOCAL_COPIES)
    assert len(alerts) == 1  # raised by the scan that crossed, not by the next one
    [alert] = alerts
    details = json.loads(alert.alert.details)
    assert (details["devices"], details["limit"], details["window_days"]) == (5, 4, 30)
    assert len(details["identities"]) == 5
    assert set(alert.alert.evidence) == {r.scan_id for r in results[:5]}


async def test_staff_and_repeats_do_not_count(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand)
    [uri] = await first_codes(engine, brand, batch, 1)
    for i in range(6):  # dealers' and inspectors' handhelds
        staff = ScanContext(ScanChannel.HANDHELD, f"user:{i}", client_scan_id=f"h{i}")
        await engine.scans.scan(uri, staff)
    for _ in range(5):  # one buyer scanning again and again
        await engine.scans.scan(uri, phone("buyer"))
    for i in range(5):  # a cookie-less client: a new cookie each time, one network
        fresh = ScanContext(ScanChannel.API, f"device:curl{i}", client=client_key("198.51.100.4"))
        await engine.scans.scan(uri, fresh)
    result = await engine.scans.scan(uri, phone("shop-assistant"))
    assert result.verification.outcome is Outcome.GENUINE  # 3 identities
    assert await engine.ledger.list_alerts(brand.id, kind=AlertKind.LOCAL_COPIES) == []


async def test_the_window_and_the_policy_are_respected(engine: Engine, brand: Brand) -> None:
    batch = await make_batch(engine, brand)
    uri_a, uri_b = await first_codes(engine, brand, batch, 2)
    for i in range(4):
        assert (await engine.scans.scan(uri_a, phone(f"early{i}", 0))).verification.genuine
    for i in range(4):  # 35 days later: never more than 4 devices within 30 days
        assert (await engine.scans.scan(uri_a, phone(f"late{i}", 35))).verification.genuine
    assert await engine.ledger.list_alerts(brand.id, kind=AlertKind.LOCAL_COPIES) == []
    # a device-timed scan uploaded late, from day 5: a fifth device in the first window
    late = await engine.scans.scan(uri_a, phone("back-dated", 5))
    assert late.verification.reason == "local_copies"
    assert len(await engine.ledger.list_alerts(brand.id, kind=AlertKind.LOCAL_COPIES)) == 1

    await engine.ledger.set_clone_policy(brand.id, None, ClonePolicy(max_devices=None))
    for i in range(8):
        assert (await engine.scans.scan(uri_b, phone(f"x{i}"))).verification.genuine
    await engine.ledger.set_clone_policy(
        brand.id, batch.gtin, ClonePolicy(max_devices=8, devices_window_days=7)
    )
    stored = await engine.ledger.clone_policy(brand.id, batch.gtin)
    assert stored is not None and (stored.max_devices, stored.devices_window_days) == (8, 7)
    assert (await engine.scans.scan(uri_b, phone("y"))).verification.reason == "local_copies"


async def test_the_ledger_counts_the_bound_as_the_rule_does(engine: Engine, brand: Brand) -> None:
    # the aggregate read that settles a code when the writer's memory is off
    # (``[server] code_memory = false``) against the pure bound of the same rows
    batch = await make_batch(engine, brand)
    [uri] = await first_codes(engine, brand, batch, 1)
    for name in ("a", "b", "a"):
        await engine.scans.scan(uri, phone(name))
    for i, net in enumerate(("198.51.100.4", "198.51.100.4", "203.0.113.9")):
        fresh = ScanContext(ScanChannel.API, f"device:fresh{i}", client=client_key(net))
        await engine.scans.scan(uri, fresh)
    await engine.scans.scan(uri, ScanContext(ScanChannel.HANDHELD, "user:7", client_scan_id="h"))
    serial = parse_input(uri).serial
    async with engine.ledger.read() as tx:
        rows = await store.consumer_verifications(tx, brand.id, serial, MAX_SPAN)
        aggregate = await store.consumer_identity_bound(tx, brand.id, serial, MAX_SPAN)
    scans = [ConsumerScan(int(r["id"]), T0, r["actor"], r["client"]) for r in rows]
    assert len(scans) == 6  # the handheld is staff, not a consumer
    assert aggregate == bound(scans) == 4  # cookies a and b, two networks
