"""A consumer over real HTTP: scans made with a console session land in their own list
(a bad cookie never fails a scan), suspected-fake reports with photos, read by the
brand only; malformed uploads are coded 4xx answers, never a 500."""

from __future__ import annotations

import io
import json

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from veriseal.accounts.models import SYSTEM, Role
from veriseal.models import AlertKind
from veriseal.server.session_principal import SECURE_SESSION_COOKIE, SESSION_COOKIE

from .conftest import Api

PASSWORD = "a consumer's own words"


def png(size: tuple[int, int] = (200, 150)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 160, 90)).save(out, "PNG")
    return out.getvalue()


async def consumer(api: Api, name: str) -> tuple[int, str]:
    """A consumer who signed in: (user id, session token from the login route)."""
    user = await api.engine.accounts.create_user(
        SYSTEM, contact=f"{name}@example.com", display_name=name, role=Role.CONSUMER, org_id=None,
        password=PASSWORD,
    )  # fmt: skip
    status, body = await api.call(
        "POST", "/api/v1/auth/login", json={"identifier": f"{name}@example.com",
                                            "password": PASSWORD},
    )  # fmt: skip
    assert status == 200, body
    return user.id, body["token"]


async def scan_with_cookie(api: Api, cookie: str) -> tuple[int, dict[str, object]]:
    link = "/01/" + api.codes[0].uri.split("/01/", 1)[1]
    async with (
        aiohttp.ClientSession() as s,
        s.get(api.base + link, headers={"Cookie": cookie, "Accept": "application/json"}) as r,
    ):
        return r.status, await r.json()


async def test_a_console_session_names_the_scanning_user(api: Api) -> None:
    uid, token = await consumer(api, "lin")
    status, verdict = await scan_with_cookie(api, f"{SECURE_SESSION_COOKIE}={token}")
    assert status == 200 and verdict["outcome"] == "genuine"
    scan_id = verdict["scan"]["id"]  # type: ignore[index]
    assert (await api.engine.ledger.get_scan(scan_id)).scan.user_id == uid
    status, mine = await api.call("GET", "/api/v1/me/scans", token)
    assert status == 200 and [s["id"] for s in mine["scans"]] == [scan_id]
    assert mine["scans"][0]["code"].startswith("••••")

    # never a reason to fail a scan, never a user: garbage, an unknown token, a revoked
    # one, and the unprefixed cookie (plantable from a subdomain) on a secure installation
    await api.call("POST", "/api/v1/auth/logout", token)
    for cookie in (
        f"{SECURE_SESSION_COOKIE}=vst_nonsense",
        f"{SECURE_SESSION_COOKIE}=vst_99_{'A' * 43}",
        f"{SECURE_SESSION_COOKIE}={token}",  # signed out: revoked
        f"{SESSION_COOKIE}={token}",
        f"{SECURE_SESSION_COOKIE}=%00%ff",
    ):
        status, verdict = await scan_with_cookie(api, cookie)
        assert status == 200 and verdict["outcome"] == "genuine", (cookie, verdict)
        stored = await api.engine.ledger.get_scan(verdict["scan"]["id"])  # type: ignore[index]
        assert stored.scan.user_id is None


async def test_a_report_over_http(api: Api) -> None:
    _, alice = await consumer(api, "alice")
    _, mallory = await consumer(api, "mallory")
    form = aiohttp.FormData()
    form.add_field("code", api.codes[0].uri)
    form.add_field("place", "夜市")
    form.add_field("note", "价格只有一半")
    form.add_field("photo", png(), filename="IMG_0001.png", content_type="image/png")
    status, report = await api.call("POST", "/api/v1/reports", alice, data=form)
    assert status == 201, report
    assert report["place"] == "夜市" and [p["n"] for p in report["photos"]] == [1]

    status, alerts = await api.call(
        "GET", f"/api/v1/alerts?kind={AlertKind.CONSUMER_REPORT}", api.brand_admin_token
    )
    assert status == 200
    [alert] = alerts["alerts"]
    assert alert["details"]["report_id"] == report["id"] and alert["id"] == report["alert_id"]

    status, seen = await api.call("GET", f"/api/v1/reports/{report['id']}", api.brand_admin_token)
    assert status == 200 and seen["note"] == "价格只有一半"
    async with (
        aiohttp.ClientSession() as s,
        s.get(
            f"{api.base}/api/v1/reports/{report['id']}/photos/1",
            headers={"Authorization": f"Bearer {api.brand_admin_token}"},
        ) as r,
    ):
        assert r.status == 200 and r.content_type == "image/jpeg"
        assert "no-store" in r.headers["Cache-Control"]
        assert Image.open(io.BytesIO(await r.read())).size == (200, 150)
    for path in (f"/api/v1/reports/{report['id']}", f"/api/v1/reports/{report['id']}/photos/1"):
        status, body = await api.call("GET", path, mallory)
        assert (status, body["error"]["code"]) == (403, "forbidden"), path

    # a report without photos may come url-encoded
    status, plain = await api.call(
        "POST", "/api/v1/reports", alice, data={"gtin": "09506000134352", "note": "no QR"}
    )
    assert status == 201 and plain["photos"] == []


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
async def test_uploads_that_are_refused(api: Api) -> None:
    _, token = await consumer(api, "wei")

    def form(*photos: bytes, **fields: str) -> aiohttp.FormData:
        out = aiohttp.FormData()
        for name, value in fields.items():
            out.add_field(name, value)
        for data in photos:
            out.add_field("photo", io.BytesIO(data), filename="p.jpg", content_type="image/jpeg")
        return out

    cases = [
        (form(png(), png(), png(), png(), code="X"), 400, "too_many_photos"),
        (form(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, code="X"), 400, "photo_invalid"),
        (form(b"<svg onload=alert(1)>", code="X"), 400, "photo_invalid"),
        (form(b"\xff\xd8" + b"\x00" * (8 * 1024 * 1024), code="X"), 413, "photo_too_large"),
        (form(png(), comment="?"), 400, "invalid_input"),
        (form(png()), 400, "report_invalid"),
        (form(code="X", scan_id="12x"), 400, "invalid_input"),
    ]
    for data, status, code in cases:
        got, body = await api.call("POST", "/api/v1/reports", token, data=data)
        assert (got, body["error"]["code"]) == (status, code), body
    got, body = await api.call("POST", "/api/v1/reports", token, json={"code": "X"})
    assert (got, body["error"]["code"]) == (400, "invalid_input")
    async with api.engine.ledger.read() as tx:
        row = await tx.fetchrow("SELECT COUNT(*) AS n FROM fake_reports")
    assert row is not None and row["n"] == 0  # nothing of the refused reports was stored


_BOUNDARY = "vsboundary"


def _multipart(parts: list[tuple[str, bytes]], tail: bytes) -> bytes:
    body = b""
    for name, data in parts:
        body += (
            f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"'
            f'; filename="x"\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    return body + tail


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(
        st.tuples(
            st.sampled_from(["photo", "code", "note", "scan_id", "x"]), st.binary(max_size=300)
        ),
        max_size=5,
    ),
    tail=st.one_of(st.just(f"--{_BOUNDARY}--\r\n".encode()), st.binary(max_size=64)),
)
async def test_any_multipart_body_is_a_report_or_a_coded_4xx(
    api: Api, parts: list[tuple[str, bytes]], tail: bytes
) -> None:
    headers = {
        "Authorization": f"Bearer {api.brand_admin_token}",
        "Content-Type": f"multipart/form-data; boundary={_BOUNDARY}",
    }
    async with (
        aiohttp.ClientSession() as s,
        s.post(api.base + "/api/v1/reports", data=_multipart(parts, tail), headers=headers) as r,
    ):
        body = json.loads(await r.read())
    assert r.status == 201 or (400 <= r.status < 500 and body["error"]["code"]), body
