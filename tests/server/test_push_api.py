"""The Web Push API over real HTTP on loopback, on both ledger backends: the VAPID key
(public, stable across restarts) and each user's own browser subscriptions."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.server.conftest import Api
from veriseal.accounts.models import SYSTEM, OrgKind, Role
from veriseal.catalog.keys import Keyring, KeySource
from veriseal.notifications.vapid import VapidKey

FCM = "https://fcm.googleapis.com/fcm/send/"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def browser_json(token: str) -> dict[str, object]:
    """What ``subscription.toJSON()`` gives a page on Chrome."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {
        "endpoint": FCM + token,
        "expirationTime": None,
        "keys": {"p256dh": b64(point), "auth": b64(os.urandom(16))},
    }


async def test_the_vapid_key_is_public_and_survives_a_restart(api: Api, tmp_path: Path) -> None:
    status, body = await api.call("GET", "/api/v1/push/vapid-key")
    assert status == 200
    raw = base64.urlsafe_b64decode(body["key"] + "==")
    assert len(raw) == 65 and raw[0] == 4
    # another process with the same key file (a restart) derives the same key
    again = Keyring(KeySource(key_file=tmp_path / "k.key"))
    assert VapidKey.derive(again).application_server_key == body["key"]


async def test_each_user_manages_only_their_own_subscriptions(api: Api) -> None:
    engine = api.engine
    root = await engine.accounts.brand_org(await engine.brand(None))
    shop = await engine.accounts.create_org(SYSTEM, root.id, OrgKind.RETAILER, "西湖店")
    clerk = await engine.accounts.create_user(
        SYSTEM, contact="clerk@demo.example", display_name="店员", role=Role.RETAILER,
        org_id=shop.id,
    )  # fmt: skip
    clerk_token, _ = await engine.accounts.create_token(
        SYSTEM, "app", ["messages.own"], for_user=clerk.id
    )
    admin = api.brand_admin_token
    sub = browser_json("abc123")
    status, stored = await api.call(
        "POST",
        "/api/v1/me/push-subscriptions",
        admin,
        json=sub,
        headers={"Accept-Language": "en-GB,en;q=0.9", "User-Agent": "Chrome/130"},
    )
    assert status == 201, stored
    assert stored["service"] == "fcm.googleapis.com" and stored["lang"] == "en"
    assert stored["user_agent"] == "Chrome/130" and stored["failures"] == 0
    assert "endpoint" not in stored and "keys" not in stored  # never shown back
    status, again = await api.call(
        "POST", "/api/v1/me/push-subscriptions", admin, json={**sub, "lang": "zh"}
    )
    assert status == 201 and again["id"] == stored["id"] and again["lang"] == "zh"
    status, mine = await api.call("GET", "/api/v1/me/push-subscriptions", admin)
    assert [s["id"] for s in mine["subscriptions"]] == [stored["id"]]
    # the clerk sees none of them and cannot remove the admin's
    status, theirs = await api.call("GET", "/api/v1/me/push-subscriptions", clerk_token)
    assert (status, theirs) == (200, {"subscriptions": []})
    path = f"/api/v1/me/push-subscriptions/{stored['id']}"
    status, body = await api.call("DELETE", path, clerk_token)
    assert (status, body["error"]["code"]) == (404, "push_subscription_not_found")
    status, body = await api.call("DELETE", path, admin)
    assert (status, body) == (200, {"removed": True})
    status, body = await api.call("DELETE", path, admin)
    assert status == 404
    status, mine = await api.call("GET", "/api/v1/me/push-subscriptions", admin)
    assert mine["subscriptions"] == []


async def test_bad_subscriptions_are_refused(api: Api) -> None:
    good = browser_json("x")
    keys = good["keys"]
    assert isinstance(keys, dict)
    cases = [
        ({**good, "endpoint": "http://fcm.googleapis.com/fcm/send/x"}, "push_subscription_invalid"),
        ({**good, "endpoint": "https://127.0.0.1/push/x"}, "push_subscription_invalid"),
        ({**good, "keys": {**keys, "p256dh": keys["p256dh"][:-4]}}, "push_subscription_invalid"),
        ({**good, "keys": {**keys, "auth": b64(os.urandom(12))}}, "push_subscription_invalid"),
        ({**good, "keys": {**keys, "auth": "not base64!"}}, "invalid_input"),
        ({**good, "extra": 1}, "invalid_input"),
        ({"endpoint": good["endpoint"]}, "invalid_input"),
        ({**good, "lang": "fr"}, "invalid_input"),
    ]
    for body, code in cases:
        status, answer = await api.call(
            "POST", "/api/v1/me/push-subscriptions", api.brand_admin_token, json=body
        )
        assert (status, answer["error"]["code"]) == (400, code), body
    status, mine = await api.call("GET", "/api/v1/me/push-subscriptions", api.brand_admin_token)
    assert mine["subscriptions"] == []
