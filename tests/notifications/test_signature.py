"""Webhook signatures (HMAC-SHA256 over timestamp + body) and the SMS template."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from veriseal.notifications.channels.sms import _fill
from veriseal.notifications.channels.webhook import sign, verify_signature

NOW = 1_790_000_000


@given(st.binary(min_size=1, max_size=64), st.binary(max_size=512))
def test_a_signature_verifies_and_matches_the_documented_formula(
    secret: bytes, body: bytes
) -> None:
    header = sign(secret, NOW, body)
    assert verify_signature(secret, header, body, now=NOW)
    expected = hmac.new(secret, f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"


@given(st.binary(min_size=1, max_size=32), st.binary(max_size=256), st.data())
def test_any_change_breaks_it(secret: bytes, body: bytes, data: st.DataObject) -> None:
    header = sign(secret, NOW, body)
    other = data.draw(st.binary(max_size=256).filter(lambda b: b != body))
    assert not verify_signature(secret, header, other, now=NOW)
    wrong = data.draw(st.binary(min_size=1, max_size=32).filter(lambda s: s != secret))
    assert not verify_signature(wrong, header, body, now=NOW)
    # a replayed request: too old, or a timestamp moved (the MAC covers it)
    assert not verify_signature(secret, header, body, now=NOW + 301)
    moved = header.replace(f"t={NOW}", f"t={NOW + 1}")
    assert not verify_signature(secret, moved, body, now=NOW)


@given(st.text(max_size=40))
def test_garbage_headers_are_refused_not_raised(header: str) -> None:
    assert not verify_signature(b"k", header, b"{}", now=NOW)


@given(st.text(max_size=30), st.text(max_size=30))
def test_sms_template_fills_every_string_and_only_placeholders(to: str, text: str) -> None:
    template = {"a": "{to}", "b": ["x {text} y", 3, None], "c": {"d": "{key}{key}"}, "e": "{other}"}
    out = _fill(template, {"to": to, "text": text, "key": "K"})
    assert out == {"a": to, "b": [f"x {text} y", 3, None], "c": {"d": "KK"}, "e": "{other}"}
