"""The signed JSON webhook: Stripe-style signatures with replay protection, and bodies
of any shape read into events or refused with a coded error."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal import VerisealError
from veriseal_logistics import webhook
from veriseal_logistics.intake_errors import SignatureInvalid, WebhookInvalid
from veriseal_logistics.statuses import Status

SECRET = "whsec_test"
NOW = 1_800_000_000


def body(**over: Any) -> bytes:
    events = [
        {"id": "e-2", "time": "2026-12-02T09:30:00+08:00", "status": "in_transit",
         "description": "到达中转场", "place": {"name": "上海", "lat": 31.2, "lon": 121.5}},
        {"id": "e-1", "time": "2026-12-01T18:00:00Z", "raw_status": "揽收",
         "area_code": "440300"},
    ]  # fmt: skip
    return json.dumps({"carrier": "sf", "tracking_no": "SF1", "events": events, **over},
                      ensure_ascii=False).encode()  # fmt: skip


def test_a_signed_body_verifies_within_the_skew() -> None:
    b = body()
    header = webhook.signature(SECRET, b, NOW)
    webhook.verify(header, b, SECRET, NOW)
    webhook.verify(header, b, SECRET, NOW + 300)
    webhook.verify(header, b, SECRET, NOW - 300)
    # a rotated secret: one of several v1 matches
    webhook.verify(f"t={NOW},v1={'0' * 64},{header.split(',')[1]}", b, SECRET, NOW)


@pytest.mark.parametrize("case", ["replayed", "future", "tampered", "other_secret", "missing",
                                  "garbage", "no_secret", "no_v1"])  # fmt: skip
def test_bad_signatures_are_403(case: str) -> None:
    b = body()
    header: str | None = webhook.signature(SECRET, b, NOW)
    secret, now, sent = SECRET, NOW, b
    if case == "replayed":
        now = NOW + 301
    elif case == "future":
        now = NOW - 301
    elif case == "tampered":
        sent = b.replace(b"SF1", b"SF2")
    elif case == "other_secret":
        secret = "another"
    elif case == "missing":
        header = None
    elif case == "garbage":
        header = "t=abc,v1=签名"
    elif case == "no_secret":
        secret = ""
    elif case == "no_v1":
        header = f"t={NOW}"
    with pytest.raises(SignatureInvalid) as caught:
        webhook.verify(header, sent, secret, now)
    assert caught.value.code == "logistics_signature_invalid"
    assert caught.value.http_status == 403


def test_a_body_reads_into_keyed_events() -> None:
    d = webhook.read(body())
    assert (d.carrier, d.tracking_no) == ("sf", "SF1")
    second, first = d.events
    assert second.key == "e-2" and second.status is Status.IN_TRANSIT
    assert second.at == dt.datetime(2026, 12, 2, 1, 30, tzinfo=dt.UTC)
    assert second.place.located and second.place.name == "上海"
    assert first.status is Status.PICKED_UP and first.raw_status == "揽收"
    assert first.place.city == "440300" and first.area_code == "440300"


@pytest.mark.parametrize("raw", [
    b"", b"{", b"[]", b"null", b'{"carrier": "sf"}',
    body(events=[]), body(extra=1), body(carrier=""), body(tracking_no="x" * 65),
    body(events=[{"time": "2026-12-01T10:00:00", "status": "in_transit"}]),  # no offset
    body(events=[{"time": "soon", "status": "in_transit"}]),
    body(events=[{"time": "2026-12-01T10:00:00Z", "status": "teleported"}]),
    body(events=[{"time": "2026-12-01T10:00:00Z"}]),  # no status at all
    body(events=[{"time": "2026-12-01T10:00:00Z", "status": "delivered",
                  "place": {"lat": 95, "lon": 1}}]),
    body(events=[{"time": "2026-12-01T10:00:00Z", "status": "delivered",
                  "place": {"lat": 22.5}}]),
    body(events=[{"time": "2026-12-01T10:00:00Z", "status": "delivered",
                  "description": "a\u0000b"}]),
    body(events=[{"time": "2026-12-01T10:00:00Z", "status": "delivered"}] * 1001),
])  # fmt: skip
def test_malformed_bodies_are_coded_400s(raw: bytes) -> None:
    with pytest.raises(WebhookInvalid) as caught:
        webhook.read(raw)
    assert caught.value.http_status == 400


def test_an_unknown_area_code_is_a_coded_place_error() -> None:
    raw = body(events=[{"time": "2026-12-01T10:00:00Z", "status": "in_transit",
                        "area_code": "999999"}])  # fmt: skip
    with pytest.raises(VerisealError) as caught:
        webhook.read(raw)
    assert caught.value.code == "logistics_place_unknown"


_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
_json = st.recursive(
    _scalar,
    lambda c: st.one_of(
        st.lists(c, max_size=3), st.dictionaries(st.text(max_size=10), c, max_size=4)
    ),
    max_leaves=20,
)
_event = st.fixed_dictionaries({}, optional={
    "id": _scalar, "time": st.one_of(st.just("2026-12-01T10:00:00+08:00"), _scalar),
    "status": st.one_of(st.sampled_from([s.value for s in Status]), _scalar),
    "raw_status": _scalar, "description": _scalar, "area_code": _scalar,
    "place": st.one_of(_json, st.fixed_dictionaries({}, optional={
        "name": _scalar, "lat": st.one_of(st.floats(), _scalar),
        "lon": st.one_of(st.floats(), _scalar)}))})  # fmt: skip
_body = st.fixed_dictionaries({}, optional={
    "carrier": st.one_of(st.just("sf"), _scalar), "tracking_no": st.one_of(st.just("1"), _scalar),
    "events": st.one_of(st.lists(st.one_of(_event, _json), max_size=4), _json)})  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(_body, _json))
def test_any_body_is_events_or_a_coded_error(value: Any) -> None:
    try:
        d = webhook.read(json.dumps(value).encode())
    except VerisealError as exc:
        assert exc.http_status == 400 and exc.code.startswith("logistics_")
        return
    assert d.events and all(e.at.tzinfo is dt.UTC for e in d.events)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120), st.binary(max_size=50), st.integers())
def test_any_header_verifies_or_is_refused(header: str, raw: bytes, now: int) -> None:
    try:
        webhook.verify(header, raw, SECRET, now)
    except SignatureInvalid:
        return
    raise AssertionError("an arbitrary header verified")
