"""Parsing browsers' push subscriptions (property-based), and the one-language halves of
bilingual texts that push and WeChat show."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import assume, given
from hypothesis import strategies as st

from veriseal.notifications.errors import PushSubscriptionInvalid
from veriseal.notifications.push_input import (
    EndpointPolicy,
    b64url_encode,
    check_endpoint,
    parse_subscription,
)
from veriseal.notifications.texts import in_language
from veriseal.notifications.vapid import _N

POLICY = EndpointPolicy()
LOOPBACK = EndpointPolicy(insecure_hosts=frozenset({"127.0.0.1"}))


def point(scalar: int) -> bytes:
    key = ec.derive_private_key(scalar, ec.SECP256R1())
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def b64(raw: bytes, padded: bool) -> str:
    text = base64.urlsafe_b64encode(raw).decode()
    return text if padded else text.rstrip("=")


scalars = st.integers(min_value=1, max_value=_N - 1)
tokens = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:",
    min_size=1,
    max_size=300,
)
hosts = st.sampled_from(
    ["fcm.googleapis.com", "updates.push.services.mozilla.com", "wns2-by3p.notify.windows.com",
     "web.push.apple.com"]
)  # fmt: skip


@given(scalars, st.binary(min_size=16, max_size=16), hosts, tokens, st.booleans())
def test_a_browser_subscription_is_accepted_and_normalised(
    scalar: int, auth: bytes, host: str, token: str, padded: bool
) -> None:
    raw = point(scalar)
    endpoint = f"https://{host}/push/{token}"
    got = parse_subscription(endpoint, b64(raw, padded), b64(auth, padded), POLICY)
    assert got.endpoint == endpoint
    assert got.p256dh == b64url_encode(raw) and "=" not in got.p256dh
    assert got.auth == b64url_encode(auth)


@given(st.text(max_size=400), st.text(max_size=120), st.text(max_size=40))
def test_any_input_is_parsed_or_refused_with_the_coded_error(
    endpoint: str, p256dh: str, auth: str
) -> None:
    try:
        parse_subscription(endpoint, p256dh, auth, POLICY)
    except PushSubscriptionInvalid as exc:
        assert exc.code == "push_subscription_invalid"


@given(scalars, st.binary(min_size=0, max_size=40))
def test_keys_of_the_wrong_size_are_refused(scalar: int, auth: bytes) -> None:
    assume(len(auth) != 16)
    raw = point(scalar)
    endpoint = "https://fcm.googleapis.com/fcm/send/x"
    with pytest.raises(PushSubscriptionInvalid, match="auth"):
        parse_subscription(endpoint, b64(raw, False), b64(auth, False), POLICY)
    with pytest.raises(PushSubscriptionInvalid, match="p256dh"):
        parse_subscription(endpoint, b64(raw[:-1], False), b64(bytes(16), False), POLICY)
    with pytest.raises(PushSubscriptionInvalid, match="p256dh"):  # compressed form
        parse_subscription(endpoint, b64(b"\x02" + raw[1:33], False), b64(bytes(16), False), POLICY)


@given(st.binary(min_size=64, max_size=64))
def test_a_point_off_the_curve_is_refused(xy: bytes) -> None:
    raw = b"\x04" + xy
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        with pytest.raises(PushSubscriptionInvalid, match="P-256"):
            parse_subscription("https://fcm.googleapis.com/x", b64(raw, False), "A" * 22, POLICY)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/x",  # not https
        "https://evil.example/push",  # not a push service
        "https://fcm.googleapis.com.evil.example/x",  # a suffix is not a match
        "https://evilfcm.googleapis.com/x",  # a host suffix matches after a dot only
        "https://user:pw@fcm.googleapis.com/x",
        "https://fcm.googleapis.com/x#frag",
        "https://fcm.googleapis.com:0/x",
        "https://fcm.googleapis.com:99999/x",
        "https:///x",
        "https://fcm.googleapis.com/ x",
        "https://fcm.googleapis.com/é",
        "http://127.0.0.1:8080/push/x",  # loopback only where the policy allows it
        "https://" + "a" * 2048 + ".fcm.googleapis.com/",
        "",
    ],
)
def test_endpoints_the_server_must_not_post_to(endpoint: str) -> None:
    with pytest.raises(PushSubscriptionInvalid):
        check_endpoint(endpoint, POLICY)


def test_the_policy_opens_loopback_and_any_public_host_only_when_told() -> None:
    assert check_endpoint("http://127.0.0.1:8080/push/x", LOOPBACK)
    assert check_endpoint("https://a.fcm.googleapis.com/x", POLICY)
    anywhere = EndpointPolicy(hosts=("*",))
    assert check_endpoint("https://push.example.cn/x", anywhere)
    for internal in ("https://10.0.0.1/x", "https://[::1]/x", "https://localhost/x",
                     "https://169.254.169.254/x"):  # fmt: skip
        with pytest.raises(PushSubscriptionInvalid):
            check_endpoint(internal, anywhere)


# -- one language out of two ----------------------------------------------------------------
english = st.text(alphabet=st.characters(codec="ascii", categories=["L", "N", "Zs"]), min_size=1,
                  max_size=60).filter(lambda s: s.strip() and "  " not in s)  # fmt: skip
chinese = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1,
                  max_size=40)  # fmt: skip


@given(english, chinese, st.sampled_from([" / ", "\n\n"]), st.booleans())
def test_each_half_of_a_bilingual_text(en: str, zh: str, sep: str, en_first: bool) -> None:
    en = en.strip()
    text = f"{en}{sep}{zh}" if en_first else f"{zh}{sep}{en}"
    assert in_language(text, "zh") == zh
    assert in_language(text, "en") == en


@given(st.text(max_size=200), st.sampled_from(["zh", "en"]))
def test_a_text_is_shortened_only_to_one_of_its_halves(text: str, lang: str) -> None:
    got = in_language(text, lang)
    assert got == text or any(
        got in text.split(sep) or got in [p.strip() for p in text.split(sep)]
        for sep in (" / ", "\n\n")
    )


def test_texts_that_are_not_bilingual_are_kept() -> None:
    for text in ("订单 42 已发货", "Order shipped", "A / B", "甲 / 乙", "a / b / 丙"):
        assert in_language(text, "zh") == text and in_language(text, "en") == text
    assert in_language("Sign-in from 上海 / 在上海登录", "en") == "Sign-in from 上海"
