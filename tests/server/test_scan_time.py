"""Device-reported scan times (``scanned_at``) on handheld uploads, over real HTTP on
both ledger backends: the scan is stored and judged by the clone rules at the device's
time, the server's receive time is kept apart, and an implausible time is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal.models import AlertKind, Location, LocationSource, ScanSummary
from veriseal.scanning.clones import DEFAULT_POLICY, evaluate
from veriseal.scanning.errors import ScanTimeInvalid
from veriseal.scanning.handheld import MAX_CLOCK_AHEAD, MAX_SCAN_AGE, parse_scan_time

from .conftest import Api

BEIJING = {"lat": 39.90, "lon": 116.40}
TIANJIN = {"lat": 39.08, "lon": 117.20}  # ~114 km from BEIJING
CST = dt.timezone(dt.timedelta(hours=8))  # the devices report China Standard Time

# DEFAULT_POLICY allows 900 km/h: 114 km in 2 h is 57 km/h (a car); in 5 minutes, or
# in the one minute two scans uploaded together are judged as apart, it is not.
assert DEFAULT_POLICY.max_speed_kmh == 900.0


def _genuine(api: Api) -> str:
    return next(c.uri for c in api.codes if c.pin is None)


def _device_time(ago: dt.timedelta) -> str:
    return (dt.datetime.now(dt.UTC) - ago).astimezone(CST).isoformat()


async def _upload(api: Api, *items: dict[str, Any]) -> tuple[int, Any]:
    return await api.call("POST", "/api/v1/scans", api.brand_admin_token, json={"scans": items})


async def _count_scans(api: Api) -> int:
    async with api.engine.ledger.read() as tx:
        row = await tx.fetchrow("SELECT COUNT(*) AS n FROM scans")
    assert row is not None
    return int(row["n"])


async def _listed(api: Api) -> dict[str, dict[str, Any]]:
    """The handheld scans listed by the API, by client_scan_id."""
    status, body = await api.call("GET", "/api/v1/scans?limit=1000", api.brand_admin_token)
    assert status == 200, body
    return {s["client_scan_id"]: s for s in body["scans"] if s["client_scan_id"]}


async def _travel_alerts(api: Api) -> list[dict[str, Any]]:
    status, body = await api.call(
        "GET", "/api/v1/alerts?kind=impossible_travel", api.brand_admin_token
    )
    assert status == 200, body
    return list(body["alerts"])


def _same_instant(a: str, b: str) -> bool:
    return dt.datetime.fromisoformat(a) == dt.datetime.fromisoformat(b)


async def test_device_times_two_hours_apart_are_no_impossible_travel(api: Api) -> None:
    code = _genuine(api)
    beijing_at, tianjin_at = (
        _device_time(dt.timedelta(hours=3)),
        _device_time(dt.timedelta(hours=1)),
    )
    before = dt.datetime.now(dt.UTC)
    status, body = await _upload(
        api,
        {"code": code, "client_scan_id": "t-1", **BEIJING, "scanned_at": beijing_at},
        {"code": code, "client_scan_id": "t-2", **TIANJIN, "scanned_at": tianjin_at},
    )
    after = dt.datetime.now(dt.UTC)
    assert status == 200, body
    assert [(r["outcome"], r["reason"]) for r in body["results"]] == [("genuine", "genuine")] * 2
    assert body["results"][1]["scan"]["previous_verifications"] == 1  # it saw the first
    assert await _travel_alerts(api) == []
    listed = await _listed(api)
    for cid, device_at in (("t-1", beijing_at), ("t-2", tianjin_at)):
        assert _same_instant(listed[cid]["at"], device_at)  # when it happened, in UTC
        assert dt.datetime.fromisoformat(listed[cid]["at"]).utcoffset() == dt.timedelta(0)
        received = dt.datetime.fromisoformat(listed[cid]["received_at"])
        assert before <= received <= after
    stored = await api.engine.ledger.get_scan(body["results"][0]["scan"]["id"])
    assert stored.scan.at == dt.datetime.fromisoformat(beijing_at)
    assert stored.scan.received_at is not None and before <= stored.scan.received_at <= after


async def test_without_device_times_the_same_scans_are_impossible_travel(api: Api) -> None:
    code = _genuine(api)
    status, body = await _upload(
        api,
        {"code": code, "client_scan_id": "u-1", **BEIJING},
        {"code": code, "client_scan_id": "u-2", **TIANJIN},
    )
    assert status == 200, body
    assert [(r["outcome"], r["reason"]) for r in body["results"]] == [
        ("genuine", "genuine"),
        ("suspected_clone", "impossible_travel"),
    ]
    assert len(await _travel_alerts(api)) == 1
    listed = await _listed(api)
    assert listed["u-1"]["received_at"] is None  # ``at`` is the receive time itself
    assert listed["u-2"]["received_at"] is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (lambda: _device_time(-(MAX_CLOCK_AHEAD + dt.timedelta(minutes=1))), "future"),
        (lambda: _device_time(MAX_SCAN_AGE + dt.timedelta(hours=1)), "too_old"),
        (lambda: "2026-11-25T09:00:00", "no_offset"),
        (lambda: "2026-11-25", "no_offset"),
        (lambda: 1764032400, "not_string"),
        (lambda: ["2026-11-25T09:00:00+08:00"], "not_string"),
        (lambda: "yesterday at nine", "not_iso8601"),
        (lambda: "2026-11-25T09:00:00+08:00" + " " * 100, "not_iso8601"),
    ],
    ids=["future", "too_old", "no_offset", "date_only", "number", "list", "words", "long"],
)
def test_parse_refuses(value: Any, problem: str) -> None:
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(ScanTimeInvalid) as caught:
        parse_scan_time(value(), now)
    assert caught.value.code == "scan_time_invalid"
    assert caught.value.details == {"problem": problem, "server_time": now.isoformat()}


async def test_a_bad_scan_time_rejects_the_upload_and_records_nothing(api: Api) -> None:
    code = _genuine(api)
    hour_ago = _device_time(dt.timedelta(hours=1))
    good = {"code": code, "client_scan_id": "ok-1", **BEIJING, "scanned_at": hour_ago}
    bad_values: dict[str, Any] = {
        "future": _device_time(-(MAX_CLOCK_AHEAD + dt.timedelta(minutes=1))),
        "too_old": _device_time(MAX_SCAN_AGE + dt.timedelta(hours=1)),
        "no_offset": "2026-11-25T09:00:00",
        "not_iso8601": "25/11/2026 09:00",
    }
    scans_before = await _count_scans(api)
    for problem, value in bad_values.items():
        bad = {"code": code, "client_scan_id": f"bad-{problem}", "scanned_at": value}
        status, body = await _upload(api, good, bad)
        assert status == 400, (problem, body)
        error = body["error"]
        assert error["code"] == "scan_time_invalid", body
        assert error["details"]["problem"] == problem
        assert error["message"].startswith("scans[1]: ")
        assert "Traceback" not in error["message"]
    # not a string at all: the typed edge refuses it, naming the item's field
    bad = {"code": code, "client_scan_id": "bad-number", "scanned_at": 1764032400}
    status, body = await _upload(api, good, bad)
    assert (status, body["error"]["code"]) == (400, "invalid_input")
    assert "scans[1].scanned_at" in body["error"]["message"]
    assert await _count_scans(api) == scans_before  # not even the good item
    # just inside both bounds: accepted
    ahead, oldest = -MAX_CLOCK_AHEAD / 2, MAX_SCAN_AGE - dt.timedelta(hours=1)
    status, body = await _upload(
        api,
        {"code": code, "client_scan_id": "edge-1", "scanned_at": _device_time(ahead)},
        {"code": code, "client_scan_id": "edge-2", "scanned_at": _device_time(oldest)},
    )
    assert status == 200, body
    assert await _count_scans(api) == scans_before + 2


async def test_a_replayed_upload_answers_the_stored_device_time(api: Api) -> None:
    code = _genuine(api)
    device_at = _device_time(dt.timedelta(hours=5))
    item = {"code": code, "client_scan_id": "r-1", **BEIJING, "scanned_at": device_at}
    status, first = await _upload(api, item)
    assert status == 200 and first["results"][0]["replayed"] is False, first
    scans_before = await _count_scans(api)
    # the retry carries the same id; even a different time changes nothing stored
    for retry in (item, {**item, "scanned_at": _device_time(dt.timedelta(hours=1))}):
        status, again = await _upload(api, retry)
        assert status == 200, again
        (result,) = again["results"]
        assert result["replayed"] is True
        assert result["scan"]["id"] == first["results"][0]["scan"]["id"]
        assert _same_instant(result["scan"]["at"], device_at)
    assert await _count_scans(api) == scans_before


async def test_an_out_of_order_upload_is_judged_by_the_absolute_time_difference(
    api: Api,
) -> None:
    code = _genuine(api)
    latest = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    status, body = await _upload(
        api,
        {"code": code, "client_scan_id": "o-1", **BEIJING,
         "scanned_at": latest.astimezone(CST).isoformat()},
    )  # fmt: skip
    assert status == 200 and body["results"][0]["outcome"] == "genuine", body
    # uploaded later, scanned 2 h EARLIER, 114 km away: 57 km/h, genuine
    earlier = latest - dt.timedelta(hours=2)
    status, body = await _upload(
        api,
        {"code": code, "client_scan_id": "o-2", **TIANJIN,
         "scanned_at": earlier.astimezone(CST).isoformat()},
    )  # fmt: skip
    assert status == 200, body
    assert (body["results"][0]["outcome"], body["results"][0]["reason"]) == ("genuine", "genuine")
    assert await _travel_alerts(api) == []
    # earlier still by 5 minutes than the last recorded scan, back in Beijing: too fast
    status, body = await _upload(
        api,
        {"code": code, "client_scan_id": "o-3", **BEIJING,
         "scanned_at": (earlier - dt.timedelta(minutes=5)).isoformat()},
    )  # fmt: skip
    assert status == 200, body
    assert body["results"][0]["reason"] == "impossible_travel"
    (alert,) = await _travel_alerts(api)
    assert alert["details"]["hours"] == round(5 / 60, 3)  # positive: |difference|
    assert alert["details"]["speed_kmh"] > 0


async def test_back_dated_wrong_pins_still_count_for_the_throttle(api: Api) -> None:
    """The PIN throttle counts by the server's receive time: a handheld cannot escape
    it by dating its guesses back."""
    pin_code = next(c for c in api.codes if c.pin)
    assert pin_code.pin is not None
    wrong = str((int(pin_code.pin) + 1) % 10**6).zfill(6)
    items = [
        {"code": pin_code.uri, "client_scan_id": f"p-{i}", "pin": wrong,
         "scanned_at": _device_time(dt.timedelta(days=20, minutes=i))}
        for i in range(6)
    ]  # fmt: skip
    status, body = await _upload(api, *items)
    assert status == 200, body
    assert [r["reason"] for r in body["results"]] == ["pin_wrong"] * 5 + ["pin_throttled"]


def test_evaluate_takes_the_absolute_time_difference() -> None:
    """A scan reported EARLIER than the code's last one is judged by how far apart in
    time they are, never by a negative interval (clamped to the one-minute floor)."""
    last_at = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
    beijing = Location(39.90, 116.40, 10.0, LocationSource.GPS)
    tianjin = Location(39.08, 117.20, 10.0, LocationSource.GPS)
    before = ScanSummary(1, last_at, beijing, last_at, 1, 1, beijing)
    for hours in (2, -2):
        at = last_at + dt.timedelta(hours=hours)
        assert evaluate(DEFAULT_POLICY, before, at, tianjin) == []
    (finding,) = evaluate(DEFAULT_POLICY, before, last_at - dt.timedelta(minutes=5), tianjin)
    assert finding.kind is AlertKind.IMPOSSIBLE_TRAVEL
    assert finding.details["hours"] == round(5 / 60, 3)


NOW = dt.datetime(2026, 11, 25, 4, 0, tzinfo=dt.UTC)
_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))


@given(
    when=st.datetimes(
        min_value=(NOW - MAX_SCAN_AGE).replace(tzinfo=None),
        max_value=(NOW + MAX_CLOCK_AHEAD).replace(tzinfo=None),
        timezones=st.just(dt.UTC),
    ),
    zone=_OFFSETS,
)
def test_any_time_within_bounds_round_trips(when: dt.datetime, zone: dt.tzinfo) -> None:
    parsed = parse_scan_time(when.astimezone(zone).isoformat(), NOW)
    assert parsed == when and parsed.tzinfo is dt.UTC


@given(
    ahead=st.timedeltas(min_value=dt.timedelta(microseconds=1), max_value=dt.timedelta(days=3650)),
    zone=_OFFSETS,
)
def test_any_time_out_of_bounds_is_refused(ahead: dt.timedelta, zone: dt.tzinfo) -> None:
    for when, problem in (
        (NOW + MAX_CLOCK_AHEAD + ahead, "future"),
        (NOW - MAX_SCAN_AGE - ahead, "too_old"),
    ):
        with pytest.raises(ScanTimeInvalid) as caught:
            parse_scan_time(when.astimezone(zone).isoformat(), NOW)
        assert caught.value.details["problem"] == problem
