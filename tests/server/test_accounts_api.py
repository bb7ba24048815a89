"""The accounts and handheld API over real HTTP on loopback, on both ledger backends."""

from __future__ import annotations

import base64
import io

from PIL import Image

from tests.accounts.soft_authenticator import SoftAuthenticator
from tests.server.conftest import PW, Api
from veriseal.accounts.models import SYSTEM, OrgKind, Role
from veriseal.catalog.minting import Minter


async def test_login_me_tokens_logout(api: Api) -> None:
    status, body = await api.call(
        "POST", "/api/v1/auth/login", json={"identifier": "admin@demo.example", "password": "x"}
    )
    assert (status, body["error"]["code"]) == (401, "login_failed")
    status, body = await api.call(
        "POST",
        "/api/v1/auth/login",
        json={"identifier": "ADMIN@demo.example".lower(), "password": PW},
    )
    assert status == 200
    session = body["token"]
    status, me = await api.call("GET", "/api/v1/me", session)
    assert (status, me["role"], me["kyc"]) == (200, "brand_admin", "none")
    status, created = await api.call(
        "POST", "/api/v1/tokens", session, json={"name": "line 3", "scopes": ["scans.record"]}
    )
    assert status == 201 and created["token"].startswith("vst_")
    status, listed = await api.call("GET", "/api/v1/tokens", session)
    assert [t["name"] for t in listed["tokens"]] == ["admin", "line 3"]
    assert listed["next_cursor"] is None
    assert all("token" not in t for t in listed["tokens"])  # secrets are shown once only
    status, _ = await api.call("POST", "/api/v1/auth/logout", session)
    assert status == 200
    status, body = await api.call("GET", "/api/v1/me", session)
    assert (status, body["error"]["code"]) == (401, "unauthenticated")


async def test_bad_bodies_are_coded_400s(api: Api) -> None:
    for body in (b"not json", b"[1,2]", b'{"identifier": 5, "password": "x"}'):
        status, answer = await api.call("POST", "/api/v1/auth/login", data=body)
        assert status == 400 and answer["error"]["code"] == "invalid_input", answer
    status, answer = await api.call(
        "POST",
        "/api/v1/users",
        api.brand_admin_token,
        json={"contact": "x@demo.example", "display_name": "X", "role": "emperor"},
    )
    assert status == 400 and "role must be one of" in answer["error"]["message"]


async def test_handheld_upload_is_idempotent_and_listed(api: Api) -> None:
    genuine = next(c for c in api.codes if c.pin is None)
    upload = {"scans": [
        {"code": genuine.uri, "client_scan_id": "dev1-0001", "lat": 31.23, "lon": 121.47,
         "acc": 15},
        {"code": "https://x.example/01/09506000134352/21/NOTACODE", "client_scan_id": "dev1-0002"},
    ]}  # fmt: skip
    token, _ = await api.engine.accounts.create_token(
        SYSTEM, "handheld", ["scans.record"], for_user=1
    )
    status, first = await api.call("POST", "/api/v1/scans", token, json=upload)
    assert status == 200, first
    outcomes = [(r["replayed"], r["outcome"]) for r in first["results"]]
    assert outcomes == [(False, "genuine"), (False, "invalid")]
    status, again = await api.call("POST", "/api/v1/scans", token, json=upload)
    assert [(r["replayed"], r["outcome"]) for r in again["results"]] == [
        (True, "genuine"),
        (True, "invalid"),
    ]
    assert [r["scan"]["id"] for r in again["results"]] == [
        r["scan"]["id"] for r in first["results"]
    ]
    # a scoped token cannot read the ledger; the brand admin can, with the region
    status, _ = await api.call("GET", "/api/v1/scans", token)
    assert status == 403
    status, listed = await api.call("GET", "/api/v1/scans?limit=10", api.brand_admin_token)
    handheld = [s for s in listed["scans"] if s["channel"] == "handheld"]
    assert [s["client_scan_id"] for s in handheld] == ["dev1-0001"]
    assert handheld[0]["country"] == "CN"
    for product, expected in (("9506000134352", ["dev1-0001"]), ("4006381333931", [])):
        status, listed = await api.call(
            "GET", f"/api/v1/scans?product={product}&limit=10", api.brand_admin_token
        )
        got = [s["client_scan_id"] for s in listed["scans"] if s["channel"] == "handheld"]
        assert (status, got) == (200, expected)
    # a malformed item rejects the whole upload and records nothing
    bad = {
        "scans": [
            {"code": genuine.uri, "client_scan_id": "dev1-0003"},
            {"code": genuine.uri, "client_scan_id": "dev1-0004", "lat": 999, "lon": 0},
        ]
    }
    status, answer = await api.call("POST", "/api/v1/scans", token, json=bad)
    assert status == 400 and "scans[1]" in answer["error"]["message"]
    status, listed = await api.call("GET", "/api/v1/scans?limit=100", api.brand_admin_token)
    assert "dev1-0003" not in [s["client_scan_id"] for s in listed["scans"]]


def _jpeg_b64() -> str:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 10)).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


async def test_avatar_and_kyc_over_http(api: Api) -> None:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), (1, 2, 3)).save(out, "PNG")
    status, body = await api.call(
        "PUT", "/api/v1/me/avatar", api.brand_admin_token, data=out.getvalue()
    )
    assert status == 200 and body["type"] == "image/png"
    status, png = await api.call("GET", "/api/v1/users/1/avatar", api.brand_admin_token)
    assert status == 200 and Image.open(io.BytesIO(png)).size == (256, 256)
    status, body = await api.call(
        "PUT", "/api/v1/me/avatar", api.brand_admin_token, data=b"<svg onload=alert(1)>"
    )
    assert (status, body["error"]["code"]) == (400, "image_invalid")
    status, sub = await api.call(
        "POST",
        "/api/v1/kyc",
        api.brand_admin_token,
        json={
            "kind": "enterprise",
            "legal_name": "Demo Tea Co.",
            "number": "91350100M000100Y43",
            "document_base64": _jpeg_b64(),
        },
    )
    assert status == 201 and sub["status"] == "pending" and "M000" not in sub["number"]


async def test_passkey_over_http(api: Api) -> None:
    device = SoftAuthenticator("127.0.0.1", api.base)
    status, options = await api.call(
        "POST", "/api/v1/passkeys/register/begin", api.brand_admin_token
    )
    assert status == 200
    status, body = await api.call(
        "POST",
        "/api/v1/passkeys/register/finish",
        api.brand_admin_token,
        json={"credential": device.create(options), "name": "phone"},
    )
    assert status == 201, body
    status, options = await api.call("POST", "/api/v1/auth/passkey/begin")
    status, body = await api.call(
        "POST", "/api/v1/auth/passkey/finish", json={"credential": device.get(options)}
    )
    assert status == 200 and body["user"]["email"] == "admin@demo.example"
    status, me = await api.call("GET", "/api/v1/me", body["token"])
    assert status == 200 and me["id"] == body["user"]["id"]


async def test_inbox_preferences_and_broadcast(api: Api) -> None:
    engine = api.engine
    root = await engine.accounts.brand_org(await engine.brand(None))
    shop = await engine.accounts.create_org(SYSTEM, root.id, OrgKind.RETAILER, "西湖店")
    clerk = await engine.accounts.create_user(
        SYSTEM,
        contact="clerk@demo.example",
        display_name="店员",
        role=Role.RETAILER,
        org_id=shop.id,
    )
    token, _ = await engine.accounts.create_token(SYSTEM, "app", ["*"], for_user=clerk.id)
    status, body = await api.call(
        "POST",
        "/api/v1/notifications",
        api.brand_admin_token,
        json={
            "org_id": shop.id,
            "type": "system_notice",
            "title": "窜货预警",
            "body": "发现窜货行为，请核查库存",
        },
    )
    assert (status, body) == (202, {"recipients": 1})
    status, body = await api.call(
        "POST",
        "/api/v1/notifications",
        token,
        json={"org_id": shop.id, "type": "system_notice", "title": "x", "body": "y"},
    )
    assert status == 403  # a retailer does not broadcast
    status, inbox = await api.call("GET", "/api/v1/messages?q=窜货", token)
    assert status == 200 and inbox["unread"] == 1
    [message] = inbox["messages"]
    status, none = await api.call("GET", "/api/v1/messages?q=促销", token)
    assert none["messages"] == []
    status, body = await api.call(
        "POST", "/api/v1/messages/read", token, json={"ids": [message["id"]]}
    )
    assert (status, body) == (200, {"changed": 1})
    status, body = await api.call("GET", "/api/v1/messages?read=false", token)
    assert body["messages"] == [] and body["unread"] == 0
    # the admin's inbox does not show the clerk's message, and cannot mark it
    status, body = await api.call(
        "POST", "/api/v1/messages/read", api.brand_admin_token, json={"ids": [message["id"]]}
    )
    assert status == 404
    status, pref = await api.call(
        "PUT",
        "/api/v1/me/preferences/system_notice",
        token,
        json={"channels": ["inbox", "email"], "dnd": {"start": "22:00", "end": "08:00"}},
    )
    assert status == 200 and pref["channels"] == ["inbox", "email"]
    assert pref["dnd"] == {"start": "22:00", "end": "08:00", "tz": "Asia/Shanghai"}
    status, body = await api.call(
        "PUT",
        "/api/v1/me/preferences/security_notice",
        token,
        json={"dnd": {"start": "22:00", "end": "08:00"}},
    )
    assert status == 400  # security notices are never held


async def test_offline_batch_shares_commits_and_keeps_each_codes_order(api: Api) -> None:
    engine = api.engine
    brand = await engine.brand(None)
    batch = next(b for b in await engine.batches.list(brand) if b.lot == "DEMO-C1")
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    with Minter(brand, batch, engine.keys.material(keys[batch.key_slot])) as m:
        chunk = m.chunk(10, 50)
    width = chunk.uris.shape[1]
    raw = chunk.uris.tobytes().decode()
    uris = [raw[i * width : (i + 1) * width] for i in range(40)]
    # 40 different codes, then the first one three more times
    items = [{"code": u, "client_scan_id": f"b-{i}"} for i, u in enumerate(uris)]
    items += [{"code": uris[0], "client_scan_id": f"r-{i}"} for i in range(3)]
    groups = engine.committer.groups
    status, body = await api.call(
        "POST", "/api/v1/scans", api.brand_admin_token, json={"scans": items}
    )
    assert status == 200
    assert [r["client_scan_id"] for r in body["results"]] == [i["client_scan_id"] for i in items]
    # the repeats of one code are judged in upload order: each sees the ones before it
    repeats = [
        r["scan"]["previous_verifications"]
        for r in body["results"]
        if r["client_scan_id"] in ("b-0", "r-0", "r-1", "r-2")
    ]
    assert repeats == [0, 1, 2, 3]
    # 43 scans in 4 waves (one per repeat of the code): a handful of commits, not 43;
    # (5 or 6 measured on both backends; the bound leaves room for a slow machine)
    assert 4 <= engine.committer.groups - groups <= 12
